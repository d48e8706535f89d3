// The HTML report builder on hand-made runs (no simulation, so it is fast):
// escaping, human units, every chart present with drawn series, the
// many-guests fold, the comparison's tables, determinism.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { timeseriesCsv } from '../../src/report/files.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { RunResult } from '../../src/sim/simulation.ts';
import type { GuestSample, LoggedEvent, Sample, Summary } from '../../src/sim/metrics.ts';
import { compareReportHtml, esc, reportParts, runReportHtml, runStory, type CompareVariant } from '../../src/report/html.ts';
import { clusterMarkers, COLORS, diskChart, FONT, GROUP_COLORS, MARKERS, markerRows, renameIds, STACK_OPACITY } from '../../src/report/charts.ts';
import {
  countColumn,
  durationColumn,
  fmtDuration,
  fmtNumber,
  fmtPercent,
  fmtSize,
  niceAxis,
  percentColumn,
  pickGuests,
  sizeColumn,
  sizeUnit,
  timeColumn,
  timeUnit,
} from '../../src/report/series.ts';
import { runTable } from '../../src/report/text.ts';
import { assertOneForm, NUMBER } from './columns.ts';

const scenarioFile = fileURLToPath(new URL('./small.yaml', import.meta.url));
const GIB = 262144;
const CHARTS = ['host', 'guests', 'tmem', 'hitrate', 'disk'];

function scenario(overrides: string[] = []): Scenario {
  return loadScenario(scenarioFile, overrides);
}

/** A run of `guests` guests over 40 s, sampled every second, with one launch of each outcome. */
function fakeRun(sc: Scenario, guests: string[], names: { launch?: string } = {}): RunResult {
  const samples: Sample[] = [];
  for (let i = 0; i <= 40; i++) {
    const g: Record<string, GuestSample> = {};
    guests.forEach((name, k) => {
      g[name] = {
        ramPages: GIB + k * 1000 + i * 100,
        targetPages: GIB + k * 1000,
        committedPages: GIB / 2 + ((i * 37 + k) % 11) * 1000,
        pageCachePages: 1000,
        cleancacheGets: i * 100,
        cleancacheHits: i * 30,
        fileReads: i * 70,
        fileWrites: i,
        swapReads: i * 5,
        swapWrites: i * 8,
        maxPages: 2 * GIB,
      };
    });
    samples.push({
      timeNs: i * 1e9,
      freePages: 4 * GIB - i * 1000,
      freeablePages: 1000 + i * 10,
      ownedPages: 4 * GIB + i * 990 - 1000,
      outstandingPages: i >= 15 && i < 19 ? GIB : 0,
      tmemEphemeralPages: i * 500,
      tmemPersistentPages: i * 1500,
      guests: g,
    });
  }
  const launch = names.launch ?? 'big-1';
  const events: LoggedEvent[] = [
    { timeNs: 15e9, kind: 'launch_request', guest: launch },
    { timeNs: 15e9, kind: 'launch_start', guest: launch },
    { timeNs: 16e9, kind: 'launch_failed_fast', guest: 'big-2', reason: 'claim_pages <ENOMEM>' },
    { timeNs: 18e9, kind: 'launch_failed_midway', guest: 'big-3', reason: 'populate ran out' },
    { timeNs: 19e9, kind: 'launch_ok', guest: launch },
  ];
  const summary: Summary = {
    scenario: sc.name,
    seed: sc.seed,
    overrides: [],
    sim_time_ns: 40e9,
    events: 1234,
    invariant_violations: 0,
    invariant_checks: 0,
    host: { total_pages: 8 * GIB, min_free_pages: 851 * 256, min_free_at_ns: 5e9, max_outstanding_pages: GIB },
    launches: [
      { name: launch, policy: 'claim', outcome: 'ok', requested_pages: 2 * GIB, request_ns: 15e9, start_ns: 15e9, end_ns: 19e9, wasted_build_ns: 0 },
      { name: 'big-2', policy: 'claim', outcome: 'failed_fast', requested_pages: 2 * GIB, request_ns: 15e9, start_ns: 16e9, end_ns: 16e9, wasted_build_ns: 0 },
      { name: 'big-3', policy: 'claim', outcome: 'failed_midway', requested_pages: 3 * GIB, request_ns: 15e9, start_ns: 17e9, end_ns: 18e9, wasted_build_ns: 1.5e9 },
    ],
    guests: guests.map((name) => ({
      name,
      cleancache: { puts: 10, gets: 4000, hits: 1200 },
      frontswap: { stores: 50, loads: 5, rejects: 1 },
      disk: { file_reads: 2800, file_writes: 40, swap_reads: 200, swap_writes: 320, busy_ns: 3360 * 5e6 },
      workingset: { refaults: 900, activations: 300 },
      oom_events: 0,
      ram_pages_mean: GIB,
    })),
    tmem: { ephemeral_pages_max: 20000, persistent_pages_max: 60000, evictions: 0, dedup_ratio: 1, compression_ratio: 1 },
    faults: { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 },
  };
  return { summary, samples, events, violations: [] };
}

/** The <section> of a chart, by id. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section class="chart" id="${id}">`);
  assert.ok(start >= 0, `chart section ${id} present`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** Paths with many segments: drawn series (axis and grid lines have one segment). */
function seriesPaths(svg: string): number {
  return [...svg.matchAll(/<path d="([^"]*)"/g)].filter((m) => (m[1].match(/[LC]/g) ?? []).length >= 10).length;
}

/**
 * Every table of a page, as rows of body cells: the cell's text (tags dropped, entities of the five
 * escaped characters decoded) and whether it is right-aligned (class "num"). Rows with a cell that
 * spans columns ("not launched in this variant") are left out.
 */
function tables(html: string): { cells: { text: string; num: boolean }[] }[][] {
  return [...html.matchAll(/<table[\s\S]*?<\/table>/g)].map((t) =>
    [...t[0].slice(t[0].indexOf('<tbody>')).matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)]
      .filter((r) => !r[1].includes('colspan'))
      .map((r) => ({
        cells: [...r[1].matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)].map((c) => ({
          text: c[2].replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).trim(),
          num: /class="num\b/.test(c[1]),
        })),
      })),
  );
}

/**
 * Asserts that in every table of the page each column of numbers (every cell a number or "-")
 * is right-aligned and written in one unit with one number of decimals.
 */
function assertColumnsLineUp(html: string, what: string): number {
  let columns = 0;
  tables(html).forEach((rows, t) => {
    const width = Math.max(0, ...rows.map((r) => r.cells.length));
    for (let c = 1; c < width; c++) {
      const cells = rows.map((r) => r.cells[c]).filter((x) => x !== undefined && x.text !== '' && x.text !== '-');
      if (cells.length < 2 || !cells.every((x) => NUMBER.test(x.text))) continue;
      columns++;
      assertOneForm(cells.map((x) => x.text), `${what}, table ${t + 1}, column ${c + 1}`);
      for (const x of cells) assert.ok(x.num, `${what}, table ${t + 1}, column ${c + 1}: "${x.text}" is right-aligned`);
    }
  });
  return columns;
}

/** WCAG contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The <text> elements of an SVG: their attributes as written (up to the closing ">") and their content. */
function svgTexts(svg: string): { attrs: string; text: string }[] {
  return [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map((m) => ({ attrs: m[1], text: m[2] }));
}

describe('units', () => {
  test('sizes pick GiB, MiB or KiB and drop trailing zeros', () => {
    assert.equal(fmtSize(12 * GIB), '12 GiB');
    assert.equal(fmtSize(1.5 * GIB), '1.5 GiB');
    assert.equal(fmtSize(851 * 256), '851 MiB');
    assert.equal(fmtSize(16), '64 KiB');
    // Nothing at all in MiB, as the terminal writes it (not "0 B").
    assert.equal(fmtSize(0), '0 MiB');
    assert.equal(sizeUnit(0).name, 'MiB');
    assert.deepEqual(sizeUnit(64 * GIB), { name: 'GiB', per: GIB });
    assert.equal(sizeUnit(100 * 256).name, 'MiB');
  });

  test('durations and time axes use s, min or h', () => {
    assert.equal(fmtDuration(0), '0 s');
    assert.equal(fmtDuration(250e6), '250 ms');
    assert.equal(fmtDuration(12.5e9), '12.5 s');
    assert.equal(fmtDuration(300e9), '5 min');
    assert.equal(fmtDuration(3 * 3600e9), '3 h');
    assert.equal(fmtDuration(-1), '-');
    assert.equal(timeUnit(90e9).name, 's');
    assert.equal(timeUnit(15 * 60e9).name, 'min');
    assert.equal(timeUnit(24 * 3600e9).name, 'h');
    assert.equal(timeColumn([62e9], timeUnit(90e9))(62e9), '62 s');
    assert.equal(timeColumn([270e9], timeUnit(600e9))(270e9), '4.5 min');
  });

  test('columns: one unit and one number of decimals from the values; nothing that is not zero reads as zero', () => {
    const col = <T extends unknown[]>(f: (...a: T) => string, values: T[]): string[] => values.map((v) => f(...v));
    const size = (pages: number[]): string[] => col(sizeColumn(pages), pages.map((p) => [p]));
    assert.deepEqual(size([1.5 * GIB, 12 * GIB, 0]), ['1.5 GiB', '12.0 GiB', '0.0 GiB']);
    assert.deepEqual(size([851 * 256, 0]), ['851 MiB', '0 MiB']);
    assert.deepEqual(size([0, 0]), ['0 MiB', '0 MiB']);
    assert.deepEqual(size([2 * GIB, 20 * 256]), ['2.00 GiB', '0.02 GiB']);
    assert.deepEqual(size([2 * GIB, 5 * 256]), ['2.00 GiB', '<0.01 GiB']);
    const dur = durationColumn([18.1e9, 0, 6e9]);
    assert.deepEqual([18.1e9, 0, 6e9, -1].map(dur), ['18.1 s', '0.0 s', '6.0 s', '-']);
    assert.deepEqual([12e9, 20e6].map(durationColumn([12e9, 20e6])), ['12.0 s', '<0.1 s']);
    const t = timeColumn([60e9, 65.1e9, -1], timeUnit(120e9));
    assert.deepEqual([60e9, 65.1e9, -1].map(t), ['60.0 s', '65.1 s', '-']);
    assert.deepEqual(col(percentColumn([[1, 4], [1, 3], [0, 0]]), [[1, 4], [1, 3], [0, 0]]), ['25.0%', '33.3%', '-']);
    // Counts and means of counts (a sweep's means over seeds): grouped, one number of decimals.
    assert.deepEqual([8741.5, 6609, 0].map(countColumn([8741.5, 6609, 0])), ['8,741.5', '6,609.0', '0.0']);
    assert.deepEqual([1234567, 3].map(countColumn([1234567, 3])), ['1,234,567', '3']);
    assert.deepEqual([0.02, 2].map(countColumn([0.02, 2])), ['<0.1', '2.0']);
  });

  test('numbers, percents and axis tops', () => {
    assert.equal(fmtNumber(2.5), '2.5');
    assert.equal(fmtNumber(3), '3');
    assert.equal(fmtNumber(-0.0001), '0');
    assert.equal(fmtPercent(1, 3), '33.3%');
    assert.equal(fmtPercent(0, 0), '-');
    assert.deepEqual(niceAxis(68.5), { max: 70, interval: 10 });
    assert.deepEqual(niceAxis(8.56), { max: 10, interval: 2 });
    assert.deepEqual(niceAxis(100), { max: 100, interval: 20 });
  });
});

describe('esc', () => {
  test('escapes the five HTML-special characters', () => {
    assert.equal(esc(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('runReportHtml', () => {
  const sc = scenario();
  const run = fakeRun(sc, ['web-1', 'web-2', 'web-3', 'big-1']);
  const html = runReportHtml(run, sc);

  test('is one self-contained page: no scripts, no external resources', () => {
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
    assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i);
    // The only absolute URLs are the SVG namespaces.
    for (const m of html.matchAll(/https?:\/\/[^\s"')]+/g)) assert.match(m[0], /^http:\/\/www\.w3\.org\//);
  });

  test('every chart is there, as inline SVG with drawn series, a title and a how-to-read line', () => {
    for (const id of CHARTS) {
      const s = section(html, id);
      assert.match(s, /<h2>[^<]+<\/h2>/, `${id}: title`);
      assert.match(s, /How to read this/, `${id}: how to read`);
      const svgs = s.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      assert.equal(svgs.length, 1, `${id}: one SVG`);
      assert.ok(seriesPaths(svgs[0]) >= 1, `${id}: drawn series`);
      // Screen readers get the how-to-read line as the figure's description.
      const described = /<figure role="img" aria-label="[^"]+" aria-describedby="([^"]+)">/.exec(s)?.[1];
      assert.ok(described !== undefined, `${id}: the figure is described`);
      assert.equal(html.split(`id="${described}"`).length, 2, `${id}: one element has the id ${described}`);
      assert.match(s, new RegExp(`<p class="how" id="${described}">`), `${id}: the description is the how-to-read line`);
    }
  });

  test('axes and legends in human units and words', () => {
    const host = section(html, 'host');
    assert.match(host, />GiB</);
    assert.match(host, />time \(s\)</);
    for (const label of ['owned (domains, Xen)', 'freeable (ephemeral tmem)', 'free', 'claimed (outstanding)', 'launch started', 'launch ok', 'failed fast', 'failed mid-way']) {
      assert.ok(host.includes(`>${esc(label)}<`), `legend ${label}`);
    }
    assert.match(section(html, 'guests'), /Committed_AS/);
    assert.match(section(html, 'hitrate'), /hits per get \(%\)/);
    assert.match(section(html, 'disk'), /swap-outs/);
    assert.match(section(html, 'disk'), />pages per s</, 'the disk axis says what it counts');
  });

  test('the summary, the scenario facts and both tables', () => {
    assert.ok(html.includes(`<h1>${esc(sc.name)}</h1>`));
    assert.ok(html.includes(esc(sc.description)));
    assert.match(html, /<dt>seed<\/dt><dd>7<\/dd>/);
    assert.match(html, /<dt>launch policy<\/dt><dd>claim<\/dd>/);
    assert.match(html, /Lowest free memory<\/div><div class="card-value">851 MiB/);
    // A run without --verify was not checked: the card says so rather than a bare 0.
    assert.match(html, /Invariant violations<\/div><div class="card-value">not checked<\/div><div class="card-sub">the run was not checked: run it with --verify/);
    const checked = runReportHtml({ ...run, summary: { ...run.summary, invariant_checks: 52 } }, sc);
    assert.match(checked, /Invariant violations<\/div><div class="card-value">0<\/div><div class="card-sub">52 whole checks with --verify/);
    // A live run (serve) with --verify before its first check: not "run it with --verify".
    assert.match(reportParts(run, sc, true).cards, /Invariant violations<\/div><div class="card-value">0<\/div><div class="card-sub">checked with --verify: the first whole check has not run yet/);
    assert.match(html, /id="launches"[\s\S]*big-3[\s\S]*failed mid-way[\s\S]*populate ran out/);
    assert.match(html, /id="guest-table"[\s\S]*web-3[\s\S]*30%/);
    // Write-backs and disk time have columns of their own (3360 I/Os at 5 ms).
    const guests = tables(html.slice(html.indexOf('id="guest-table"')))[0];
    assert.deepEqual([guests[0].cells[9].text, guests[0].cells[12].text], ['40', '16.8 s']);
    assert.match(html, /<th[^>]*>write-backs \(pages\)<\/th>[\s\S]*<th[^>]*>disk time<\/th>/);
  });

  test('a launch refused before building shows no start; a launch that waited says how long', () => {
    const row = (name: string): string => {
      const at = html.indexOf(`<b>${name}</b>`, html.indexOf('id="launches"'));
      return html.slice(at, html.indexOf('</tr>', at));
    };
    const cells = (name: string): string[] => [...row(name).matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
    // After the guest's cell: size, policy, outcome, requested, started, ended, wasted, why.
    assert.deepEqual(cells('big-2').slice(3, 6), ['15 s', '-', '16 s'], 'refused at 16 s: nothing started');
    assert.match(cells('big-2')[7], /waited 1 s in the queue; claim_pages &#60;ENOMEM&#62;/);
    assert.equal(cells('big-3')[4], '17 s', 'built from 17 s');
    assert.match(cells('big-3')[7], /^<span class="reason">waited 2 s in the queue; populate ran out/);
    assert.doesNotMatch(row('big-1'), /waited/, 'taken up when asked');
  });

  test('the outcomes legend says what "abandoned" covers: a dead toolstack, or a domain destroyed or crashed, while queued or building', () => {
    assert.match(html, /abandoned<\/span> the launch stopped, queued or building: the toolstack died, or the domain was destroyed or crashed/);
  });

  test('the same run gives the same bytes, whatever was drawn before', () => {
    runReportHtml(fakeRun(sc, ['x-1']), sc);
    assert.equal(runReportHtml(run, sc), html);
    assert.doesNotMatch(html, /zr\d+-/);
  });

  test('svg ids are renamed per chart, so they are unique in the page', () => {
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(renameIds('<g class="zr7-cls-12"><path class="zr7-cls-3" clip-path="url(#zr7-c0)"/><g class="zr7-cls-12">', 'h'), '<g class="h-0"><path class="h-1" clip-path="url(#h-2)"/><g class="h-0">');
  });

  test('text from the scenario and the run is escaped everywhere', () => {
    const evil = scenario();
    evil.name = 'x<script>alert(1)</script>';
    evil.description = `"quoted" & <b>bold</b> 'single'`;
    const bad = fakeRun(evil, ['<img src=x onerror=alert(1)>'], { launch: '<i>big</i>' });
    const out = runReportHtml(bad, evil);
    assert.doesNotMatch(out, /<script>alert/);
    assert.doesNotMatch(out, /<img src=x/);
    assert.doesNotMatch(out, /<i>big<\/i>/);
    assert.doesNotMatch(out, /<b>bold<\/b>/);
    assert.ok(out.includes('x&#60;script&#62;alert(1)&#60;/script&#62;'));
    assert.ok(out.includes('&#34;quoted&#34; &#38; &#60;b&#62;bold&#60;/b&#62; &#39;single&#39;'));
  });

  test('with 64 guests, 7 get their own panel and the other 57 are averaged in one', () => {
    const many = Array.from({ length: 64 }, (_, i) => `web-${i + 1}`);
    const r = fakeRun(sc, many);
    const picked = pickGuests(r.samples, 8);
    assert.equal(picked.shown.length, 7);
    assert.equal(picked.rest.length, 57);
    // The highest peaks are the last guests (RAM grows with the index).
    assert.deepEqual(picked.shown, many.slice(57));
    const s = section(runReportHtml(r, sc), 'guests');
    assert.match(s, /57 others, averaged/);
    assert.equal((s.match(/>web-\d+</g) ?? []).length, 7);
  });

  test('the guest chart draws each guest\'s maxmem (max_pages) as a dotted line, and explains it', () => {
    const r = fakeRun(sc, ['web-1']);
    const g = section(runReportHtml(r, sc), 'guests');
    assert.match(g, /maxmem \(max_pages\)/);
    assert.match(g, /frontswap pages held in tmem both count against it/);
    // One panel: y ticks are plain numbers in GiB (the time axis ticks are 0, 10, 20, 30, 40 s).
    // 2 GiB in every sample: the axis reaches it (the levels top out near 1 GiB).
    assert.match(g, />2</);
    // A max_pages far above the levels (a mem_max past the host) does not stretch the axis.
    for (const s of r.samples) s.guests['web-1'].maxPages = 1024 * GIB;
    const far = section(runReportHtml(r, sc), 'guests');
    assert.doesNotMatch(far, />2<|>(?:[5-9]\d|\d{3,})</);
    assert.match(far, />1</);
  });

  test('a policy that claims nothing has no claims line; claims made under any policy are drawn', () => {
    const none = scenario(['toolstack.policy=none']);
    const r = fakeRun(none, ['web-1']);
    assert.match(section(runReportHtml(r, none), 'host'), /claimed \(outstanding\)/, 'outstanding claims in the samples are drawn');
    for (const s of r.samples) s.outstandingPages = 0;
    assert.doesNotMatch(section(runReportHtml(r, none), 'host'), /claimed \(outstanding\)/);
    const claim = scenario(['toolstack.policy=claim']);
    assert.match(section(runReportHtml(fakeRun(claim, ['web-1']), claim), 'host'), /claimed \(outstanding\)/);
  });

  test('claims are drawn as steps: a claim shows at the sample that saw it, not sloping up before it was made', () => {
    const claim = scenario(['toolstack.policy=claim']);
    const host = section(runReportHtml(fakeRun(claim, ['web-1']), claim), 'host');
    const paths = [...host.matchAll(/<path d="([^"]*)"[^>]*stroke="#d9480f"/g)].map((m) => m[1]);
    assert.equal(paths.length, 1, 'one claims line');
    const pts = [...paths[0].matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    let rises = 0;
    for (let i = 1; i < pts.length; i++) {
      const [x0, y0] = pts[i - 1];
      const [x1, y1] = pts[i];
      assert.ok(x0 === x1 || y0 === y1, `segment ${i} (${x0},${y0})-(${x1},${y1}) is neither level nor upright`);
      if (x0 === x1 && y0 !== y1) rises++;
    }
    assert.ok(rises > 0, 'the claims change somewhere');
  });

  test('guests with OOM events, then the most swap I/O, get a panel before higher peaks', () => {
    const many = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
    const r = fakeRun(sc, many);
    // web-1 has the lowest peak but OOM events; web-2 the most swap I/O at the end.
    const last = r.samples[r.samples.length - 1];
    last.guests['web-2'].swapWrites += 1_000_000;
    const events: LoggedEvent[] = [{ timeNs: 3e9, kind: 'oom', guest: 'web-1' }];
    const picked = pickGuests(r.samples, 8, events);
    assert.deepEqual(picked.shown, ['web-1', 'web-2', ...many.slice(15)]);
    assert.equal(picked.rest.length, 13);
    assert.deepEqual(pickGuests(r.samples, 8).shown, ['web-2', ...many.slice(14)]);
  });

  test('a burst of launches: one marker per kind with its count, none lost below the chart', () => {
    const r = fakeRun(sc, ['web-1']);
    r.events = [];
    for (let i = 0; i < 30; i++) r.events.push({ timeNs: 5e9, kind: 'launch_start', guest: `b-${i}` }, { timeNs: 5.25e9, kind: 'launch_ok', guest: `b-${i}` });
    const host = section(runReportHtml(r, sc), 'host');
    assert.equal((host.match(/>×30</g) ?? []).length, 2, 'the started and the ok marker, each with its count');
    const m = (kind: 'start' | 'ok', timeNs: number) => ({ kind, timeNs, guest: 'g' });
    assert.deepEqual(clusterMarkers([m('start', 9), m('start', 1), m('start', 3), m('start', 20)], 5).map((c) => [c.marker.timeNs, c.count]), [[1, 2], [9, 1], [20, 1]]);
  });

  test('the first screen tells the run in one sentence: launches, failures with their times, OOM events', () => {
    const r = fakeRun(sc, ['web-1']);
    assert.equal(runStory(r.summary, r.events), '1 of 3 launches finished; big-2 failed fast at 16 s; big-3 failed mid-way at 18 s (1.5 s of build wasted); no guest ran out of memory.');
    assert.match(runReportHtml(r, sc), /<\/dl><p class="story">1 of 3 launches finished; /, 'in the header, under the facts');
    r.summary.launches = [];
    r.events.push({ timeNs: 7e9, kind: 'oom', guest: 'web-1' });
    r.summary.guests[0].oom_events = 1;
    assert.equal(runStory(r.summary, r.events), 'No launches; OOM: web-1 at 7 s.');
    // Timeline entries that did nothing, by why (a reader would otherwise take the entry as done).
    for (const where of ['timeline[0]', 'timeline[2]']) r.events.push({ timeNs: 8e9, kind: 'skipped', where, guest: 'all', note: 'tmem is off on this host' });
    for (const where of ['timeline[3]', 'timeline[4]', 'timeline[5]', 'timeline[6]']) r.events.push({ timeNs: 9e9, kind: 'skipped', where, guest: 'gone', note: 'the guest is not running' });
    assert.equal(
      runStory(r.summary, r.events),
      'No launches; OOM: web-1 at 7 s; 2 timeline entries did nothing (tmem is off on this host: timeline[0], timeline[2]); ' +
        '4 timeline entries did nothing (the guest is not running: timeline[3], timeline[4], timeline[5] and 1 more).',
    );
  });

  test('launches placed after the end of the run are said in the story, as the header counts them (a user audit read "No launches" beside "3 (3 after the end)")', () => {
    const text = ['name: late', 'duration: 5s', 'host: {memory: 2GiB}', 'dom0: {memory: 256MiB}', 'timeline:', '  - at: 6s', '    launch: {name: big, count: 3, memory: 64MiB}'];
    const none = parseScenario(text.join('\n'), 'late.yaml');
    const r = new Simulation(none).run();
    const html = runReportHtml(r, none);
    assert.match(html, /<dt>launches<\/dt><dd>3 \(3 after the end\)<\/dd>/);
    assert.match(html, /<p class="story">No launches \(3 placed after the end of the run, not run\); no guest ran out of memory\.<\/p>/);
    // One launch in the run, one after: the first part says both.
    const some = parseScenario([...text.slice(0, 5), '  - at: 1s', '    launch: {name: early, memory: 64MiB}', ...text.slice(5, 6), '    launch: {name: big, memory: 64MiB}'].join('\n'), 'late.yaml');
    const r2 = new Simulation(some).run();
    assert.match(runReportHtml(r2, some), /<p class="story">1 of 1 launch finished \(1 more placed after the end of the run, not run\); /);
    assert.equal(runStory(r2.summary, r2.events), '1 of 1 launch finished; no guest ran out of memory.', 'without the scenario: the run alone');
  });

  test('OOM events are markers on the host chart, and the card says who and when', () => {
    const r = fakeRun(sc, ['web-1', 'web-2']);
    const before = runReportHtml(r, sc);
    assert.doesNotMatch(section(before, 'host'), /OOM in a guest/, 'no OOM, no marker');
    assert.match(before, /OOM events<\/div><div class="card-value">0<\/div><div class="card-sub">no guest ran out of memory</);
    r.events.push({ timeNs: 12e9, kind: 'oom', guest: 'web-1' }, { timeNs: 12e9, kind: 'oom', guest: 'web-2' }, { timeNs: 30e9, kind: 'oom', guest: 'web-1' });
    r.summary.guests[0].oom_events = 2;
    r.summary.guests[1].oom_events = 1;
    const html = runReportHtml(r, sc);
    const host = section(html, 'host');
    assert.match(host, />OOM in a guest</, 'in the legend');
    assert.equal((host.match(/>×2</g) ?? []).length, 1, 'the two at 12 s drawn once with their count');
    assert.match(html, /OOM events<\/div><div class="card-value">3<\/div><div class="card-sub">web-1, web-2 at 12 s and 30 s</);
    // A burst of OOM events at one instant draws one rule: the page does not grow with their number.
    const burst = (n: number): string => {
      for (let i = 0; i < n; i++) r.events.push({ timeNs: 30e9, kind: 'oom', guest: 'web-2' });
      return section(runReportHtml(r, sc), 'host');
    };
    const small = burst(100);
    const large = burst(900);
    assert.match(large, />×1001</);
    assert.ok(large.length - small.length <= 2, `the host chart grew by ${large.length - small.length} characters`);
  });

  test('launch markers close in time are stacked in rows; apart, they share the top row', () => {
    const m = (timeNs: number): { kind: 'start'; timeNs: number; guest: string } => ({ kind: 'start', timeNs, guest: 'g' });
    assert.deepEqual(markerRows([m(10), m(10), m(11), m(100), m(100), m(300)], 5), [0, 1, 2, 0, 1, 0]);
    // Order of the input does not matter, only time (then input order).
    assert.deepEqual(markerRows([m(100), m(10), m(12)], 5), [0, 0, 1]);
    // A row frees once the window has passed.
    assert.deepEqual(markerRows([m(0), m(3), m(6), m(9)], 5), [0, 1, 0, 1]);
  });

  test('chart text keeps its whole style attribute: the font list has no double quote to end it early', () => {
    // A double quote inside style="…" ended the attribute: the rest of the font list and the titles' weight were lost.
    assert.doesNotMatch(FONT, /"/);
    for (const id of CHARTS) {
      const texts = svgTexts(section(html, id));
      assert.ok(texts.length > 0, `${id}: text in the chart`);
      for (const t of texts) assert.match(t.attrs, /^(?:\s+[\w:-]+="[^"]*")*\s*$/, `${id}: well-formed attributes on <text> "${t.text}"`);
    }
    const title = svgTexts(section(html, 'guests')).find((t) => t.text === 'web-1');
    assert.ok(title !== undefined);
    assert.match(title.attrs, /style="[^"]*sans-serif;font-weight:600;"/, 'panel titles are bold');
  });

  test('tick labels and axis names are dark enough to read (4.5:1 on white, WCAG AA)', () => {
    let checked = 0;
    for (const id of CHARTS) {
      for (const t of svgTexts(section(html, id))) {
        if (!/^(?:time \(\w+\)|GiB|\d+(?:\.\d+)?)$/.test(t.text)) continue;
        const fill = /fill="(#[0-9a-f]{6})"/i.exec(t.attrs)?.[1];
        assert.ok(fill !== undefined, `${id}: "${t.text}" has a fill`);
        assert.ok(contrast(fill, '#ffffff') >= 4.5, `${id}: "${t.text}" in ${fill} is ${contrast(fill, '#ffffff').toFixed(2)}:1 on white`);
        checked++;
      }
    }
    assert.ok(checked > 20, `axis labels checked (${checked})`);
  });

  test('page text is dark enough to read (4.5:1, WCAG AA): muted text on the page, "ok" badges, best values', () => {
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const long = (c: string): string => (c.length === 4 ? `#${[...c.slice(1)].map((d) => d + d).join('')}` : c);
    const v = (name: string): string => long(new RegExp(`--${name}:(#[0-9a-f]{6}|#[0-9a-f]{3})\\b`, 'i').exec(css)?.[1] ?? 'missing');
    const badge = /\.b-ok\{background:(#[0-9a-f]{6});color:var\(--good\)\}/i.exec(css)?.[1] ?? 'missing';
    for (const [what, fg, bg] of [
      ['muted text on the page', v('muted'), v('bg')],
      ['muted text on a panel', v('muted'), v('panel')],
      ['best values', v('good'), v('panel')],
      ['"ok" badges', v('good'), badge],
    ]) {
      assert.ok(contrast(fg, bg) >= 4.5, `${what}: ${fg} on ${bg} is ${contrast(fg, bg).toFixed(2)}:1`);
    }
    assert.match(css, /@media print\{[^@]*nav\.toc\{display:none\}/, 'the contents links are not printed');
  });

  test('chart and legend colours stand out from the white panel (3:1, WCAG 1.4.11); those written as text read (4.5:1)', () => {
    const WHITE = '#ffffff';
    /** A colour drawn at `opacity` over white, as it shows. */
    const over = (hex: string, opacity: number): string =>
      `#${[1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * opacity + 255 * (1 - opacity)).toString(16).padStart(2, '0')).join('')}`;
    const failures: string[] = [];
    const check = (what: string, hex: string, least: number, bg = WHITE): void => {
      assert.match(`${hex} ${bg}`, /^#[0-9a-f]{6} #[0-9a-f]{6}$/i, `${what}: colours as #rrggbb`);
      const r = contrast(hex, bg);
      if (r < least) failures.push(`${what}: ${hex} on ${bg} is ${r.toFixed(3)}:1, under ${least}:1`);
    };
    // Every chart colour has a role (a new one must be given one here): lines, stacked bands (drawn at
    // STACK_OPACITY), the edges of light bands, text, and what is exempt: the grid, and the fills of the light
    // bands (free, freeable, ephemeral; 1.3 to 2:1) — exempt only because each has an edge, a darker line of
    // its own hue along its boundary, which carries the boundary at 3:1 (checked below as drawn).
    const role: Record<keyof typeof COLORS, 'line' | 'band' | 'text' | 'light band' | 'edge' | 'grid'> = {
      owned: 'band', freeable: 'light band', free: 'light band', claims: 'line', ram: 'line', target: 'line', committed: 'line',
      ephemeral: 'light band', persistent: 'band', fileReads: 'band', fileWrites: 'band', swapReads: 'band', swapWrites: 'band', axis: 'line',
      label: 'text', grid: 'grid', text: 'text', freeEdge: 'edge', freeableEdge: 'edge', ephemeralEdge: 'edge',
    };
    assert.deepEqual(Object.keys(role).sort(), Object.keys(COLORS).sort(), 'every chart colour has a role');
    const colors: Record<string, string> = COLORS;
    for (const [name, hex] of Object.entries(COLORS) as [keyof typeof COLORS, string][]) {
      if (role[name] === 'line') check(`line ${name}`, hex, 3);
      if (role[name] === 'band') check(`band ${name} (at ${STACK_OPACITY})`, over(hex, STACK_OPACITY), 3);
      if (role[name] === 'text') check(`text ${name}`, hex, 4.5);
      if (role[name] === 'edge') check(`edge ${name}`, hex, 3);
      if (role[name] === 'light band') {
        assert.equal(role[`${name}Edge` as keyof typeof COLORS], 'edge', `the light band ${name} has an edge, ${name}Edge`);
        assert.notEqual(colors[`${name}Edge`], hex, `${name}: the edge is not the fill`);
      }
    }
    // As drawn: each light band keeps its fill, and its boundary line (and its legend swatch's outline) is its
    // edge colour, at least 1 px wide; no line of the light fill's colour is left.
    const lightBands = { free: 'host', freeable: 'host', ephemeral: 'tmem' } as const;
    assert.deepEqual(Object.keys(lightBands).sort(), Object.keys(role).filter((n) => role[n as keyof typeof COLORS] === 'light band').sort());
    for (const [name, chart] of Object.entries(lightBands)) {
      const fill = colors[name];
      const edge = colors[`${name}Edge`];
      const paths = [...section(html, chart).matchAll(/<path [^>]*>/g)].map((m) => m[0]);
      const attr = (p: string, a: string): string | undefined => new RegExp(` ${a}="([^"]*)"`).exec(p)?.[1];
      const band = paths.filter((p) => attr(p, 'fill') === fill && attr(p, 'ecmeta_ssr_type') !== 'legend');
      assert.ok(band.length >= 1, `${name}: the band is filled with ${fill}`);
      const lines = paths.filter((p) => attr(p, 'fill') === 'none' && attr(p, 'stroke') === edge && (attr(p, 'd')?.match(/[LC]/g) ?? []).length >= 10);
      assert.ok(lines.length >= 1, `${name}: its boundary is drawn in its edge colour ${edge}`);
      for (const l of lines) assert.ok(Number(attr(l, 'stroke-width') ?? 1) >= 1, `${name}: the edge is at least 1 px wide`);
      assert.equal(paths.filter((p) => attr(p, 'stroke') === fill).length, 0, `${name}: no line in the light fill ${fill}`);
      const swatch = paths.filter((p) => attr(p, 'ecmeta_ssr_type') === 'legend' && attr(p, 'fill') === fill);
      assert.equal(swatch.length, 1, `${name}: one legend swatch`);
      assert.equal(attr(swatch[0], 'stroke'), edge, `${name}: the legend swatch is outlined in the edge colour`);
    }
    // Launch markers are drawn with their count beside them in their colour ("×3"): text.
    for (const [kind, m] of Object.entries(MARKERS)) check(`marker ${kind} and its count`, m.color, 4.5);
    for (const [i, hex] of GROUP_COLORS.entries()) check(`group line ${i + 1}`, hex, 3);
    // The page: card edges and the header's rule are marks on the panel; badges are text on their background.
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const long = (c: string): string => (c.length === 4 ? `#${[...c.slice(1)].map((d) => d + d).join('')}` : c);
    const v = (name: string): string => long(new RegExp(`--${name}:(#[0-9a-f]{6}|#[0-9a-f]{3})\\b`, 'i').exec(css)?.[1] ?? 'missing');
    for (const name of ['accent', 'good', 'warn', 'bad']) check(`--${name}`, v(name), 3, v('panel'));
    const badges = [...css.matchAll(/\.b-([a-z_]+)\{background:(#[0-9a-f]{6});color:(#[0-9a-f]{6}|var\(--\w+\))\}/gi)];
    assert.ok(badges.length >= 3, 'badges found');
    for (const [, cls, bg, fg] of badges) check(`badge ${cls}`, fg.startsWith('var') ? v(fg.slice(6, -1)) : fg, 4.5, bg);
    // As drawn: a burst's counts beside its markers.
    const r = fakeRun(sc, ['web-1']);
    r.events = [];
    for (let i = 0; i < 3; i++) {
      r.events.push({ timeNs: 5e9, kind: 'launch_start', guest: `b-${i}` }, { timeNs: 5.25e9, kind: 'launch_ok', guest: `b-${i}` });
      r.events.push({ timeNs: 20e9, kind: 'launch_failed_fast', guest: `c-${i}` }, { timeNs: 30e9, kind: 'launch_failed_midway', guest: `d-${i}` });
    }
    const counts = svgTexts(section(runReportHtml(r, sc), 'host')).filter((t) => t.text === '×3');
    assert.equal(counts.length, 4, 'a count beside each kind of marker');
    for (const t of counts) check('a count "×3" as drawn', /fill="(#[0-9a-f]{6})"/i.exec(t.attrs)?.[1] ?? 'missing', 4.5);
    assert.deepEqual(failures, []);
  });

  test('the disk chart draws no swap line over the file reads of a run that never swapped', () => {
    const r = fakeRun(sc, ['web-1']);
    for (const p of r.samples) {
      p.guests['web-1'].swapReads = 0;
      p.guests['web-1'].swapWrites = 0;
    }
    const svg = diskChart([{ label: '', scenario: sc, samples: r.samples, events: [], totalPages: 8 * GIB, diskPages: 2800 }]).svg;
    assert.ok(seriesPaths(svg) >= 1, 'file reads drawn');
    for (const color of [COLORS.swapReads, COLORS.swapWrites]) {
      const strokes = [...svg.matchAll(/<path [^>]*stroke="([^"]+)"[^>]*>/g)].filter((m) => m[1] === color && !/stroke-width="0"/.test(m[0]));
      assert.equal(strokes.length, 0, `no visible ${color} outline (swap-ins, swap-outs are zero)`);
    }
  });

  test('a zero size reads "0 MiB", as in the terminal, wherever it appears: cards, sentences, axes', () => {
    const r = fakeRun(sc, ['web-1']);
    r.summary.host.min_free_pages = 0;
    r.summary.host.max_outstanding_pages = 0;
    r.summary.tmem.ephemeral_pages_max = 0;
    r.summary.tmem.persistent_pages_max = 0;
    for (const p of r.samples) {
      p.tmemEphemeralPages = 0;
      p.tmemPersistentPages = 0;
    }
    const out = runReportHtml(r, sc);
    assert.doesNotMatch(out, /\b0 B\b/);
    const card = (label: string): string => new RegExp(`${label}</div><div class="card-value">([^<]*)<`).exec(out)?.[1] ?? 'missing';
    assert.equal(card('Lowest free memory'), '0 MiB');
    assert.equal(card('Most claimed at once'), '0 MiB');
    assert.equal(card('tmem peak'), '0 MiB');
    assert.match(out, /ephemeral max 0 MiB, persistent max 0 MiB/);
    // The terminal says the same of the same quantities.
    const terminal = runTable(r.summary, sc);
    assert.match(terminal, new RegExp(`lowest free ${card('Lowest free memory')} \\(first at 5\\.0s\\), most claimed at once ${card('Most claimed at once')}\\n`));
    // The card says when, as the terminal does.
    assert.match(out, /of 8 GiB on the host, first at 5(\.0)? s/);
    assert.match(terminal, /ephemeral max 0 MiB, persistent max 0 MiB/);
    // No tmem held: the axis is in MiB too, not in KiB for a page.
    assert.match(section(out, 'tmem'), />MiB</);
    assert.doesNotMatch(section(out, 'tmem'), />KiB</);
    // A comparison: a variant with no guest running at the end says "0 MiB" of RAM.
    const gone = fakeRun(sc, ['web-1']);
    gone.samples[gone.samples.length - 1].guests = {};
    const cmp = compareReportHtml([
      { label: 'a', scenario: sc, result: r },
      { label: 'b', scenario: sc, result: gone },
    ]);
    assert.doesNotMatch(cmp, /\b0 B\b/);
    assert.match(cmp, /<li><b>b<\/b>: [^<]*, 0 guests with 0 MiB of RAM running at the end, [0-9,]+ pages of swap I\/O on the disk\.<\/li>/);
  });

  test('every numeric column of both tables: one unit, one number of decimals, right-aligned', () => {
    const r = fakeRun(sc, ['web-1', 'web-2', 'web-3', 'web-4']);
    // Sizes of different magnitudes, shares with and without decimals, times and wasted builds with and without.
    [1.5 * GIB, 12 * GIB, 851 * 256, 0].forEach((p, i) => (r.summary.guests[i].ram_pages_mean = p));
    [[1, 4], [1, 3], [0, 0], [3, 100]].forEach(([hits, gets], i) => (r.summary.guests[i].cleancache = { puts: 0, gets, hits }));
    r.summary.launches[1].requested_pages = 512 * 256;
    r.summary.launches[2].start_ns = 15.5e9;
    r.summary.launches[2].wasted_build_ns = 12e9;
    r.summary.launches[0].wasted_build_ns = 250e6;
    const out = runReportHtml(r, sc);
    assert.ok(assertColumnsLineUp(out, 'run') >= 10, 'the columns of numbers were checked');
    const guests = out.slice(out.indexOf('id="guest-table"'));
    // The meaning is kept: 12 GiB, 1.5 GiB, 851 MiB and nothing, in GiB with two decimals; 25%, 33.3%, none, 3%.
    assert.match(guests, /<b>web-1<\/b><\/td><td>[^<]*<\/td><td class="num">1\.50 GiB<\/td>/);
    assert.match(guests, /<b>web-2<\/b><\/td><td>[^<]*<\/td><td class="num">12\.00 GiB<\/td>/);
    assert.match(guests, /<b>web-3<\/b><\/td><td>[^<]*<\/td><td class="num">0\.83 GiB<\/td>/);
    assert.match(guests, /<b>web-4<\/b><\/td><td>[^<]*<\/td><td class="num">0\.00 GiB<\/td>/);
    assert.deepEqual(tables(guests)[0].map((row) => row.cells[5].text), ['25.0%', '33.3%', '-', '3.0%']);
    const launches = tables(out.slice(out.indexOf('id="launches"')))[0];
    assert.deepEqual(launches.map((row) => row.cells[1].text), ['2.0 GiB', '0.5 GiB', '3.0 GiB']);
    assert.deepEqual(launches.map((row) => row.cells[5].text), ['15.0 s', '-', '15.5 s'], 'a launch refused before building has no start');
    assert.deepEqual(launches.map((row) => row.cells[7].text), ['0.3 s', '-', '12.0 s']);
  });

  test('the disk card gives its total once: the caption says what it is made of, never the total again (found by audit)', () => {
    const r = fakeRun(sc, ['web-1', 'web-2']);
    const disk = (file: number[], swap: number[]): string => {
      r.summary.guests.forEach((g, i) => (g.disk = { file_reads: file[i], file_writes: 0, swap_reads: swap[i], swap_writes: 0, busy_ns: 0 }));
      const cards = reportParts(r, sc).cards;
      return /Disk I\/O \(pages\)<\/div><div class="card-value">([^<]*)<\/div><div class="card-sub">([^<]*)</.exec(cards)!.slice(1).join(' | ');
    };
    assert.equal(disk([700_000, 78_593], [0, 0]), '778,593 | all file reads, no swap I/O');
    assert.equal(disk([700_000, 0], [0, 78_593]), '778,593 | of which 700,000 file reads, 78,593 swap reads + writes');
    assert.equal(disk([0, 0], [5, 0]), '5 | all swap reads + writes, no file reads');
    assert.equal(disk([0, 0], [0, 0]), '0 | no file reads, no swap I/O');
  });

  test('the hit-rate card gives the puts: a 0% of gets that all missed because nothing was put does not read as tmem failing (found by review)', () => {
    const r = fakeRun(sc, ['web-1', 'web-2']);
    const card = (): string => /Cleancache hit rate<\/div><div class="card-value">([^<]*)<\/div><div class="card-sub">([^<]*)</.exec(reportParts(r, sc).cards)!.slice(1).join(' | ');
    assert.equal(card(), '30% | 2,400 hits of 8,000 gets, 20 puts');
    r.summary.guests.forEach((g) => (g.cleancache = { puts: 0, gets: 617, hits: 0 }));
    assert.equal(card(), '0% | 0 hits of 1,234 gets, 0 puts');
  });

  test('the guests table says what each guest runs: its profile, or its trace with offset and scale, and when the trace wraps (found by review)', () => {
    const text = [
      'name: workloads', 'duration: 20m', 'sample_interval: 1m', 'host: {memory: 2GiB}', 'dom0: {memory: 256MiB}',
      'guests:',
      '  - {name: tr, memory: 128MiB, workload: {anon: {profile: trace, rate: 10/s, trace: {file: data/gcd/vm_1218322450_1, offset: 1430m, scale: 50%}}, files: {working_set: 16MiB, rate: 10/s}}}',
      '  - {name: fit, memory: 128MiB, workload: {anon: {profile: trace, rate: 10/s, trace: {file: data/gcd/vm_1218322450_1}}, files: {working_set: 16MiB, rate: 10/s}}}',
      '  - {name: flat, memory: 128MiB, workload: {anon: {profile: constant, level: 50%, rate: 10/s}, files: {working_set: 16MiB, rate: 10/s}}}',
      'timeline:',
      '  - at: 1m',
      '    launch: {name: late, memory: 128MiB, workload: {anon: {profile: step, level: 40%, rate: 10/s, step: {at: 5m, level: 70%}}, files: {working_set: 16MiB, rate: 10/s}}}',
    ];
    const wl = parseScenario(text.join('\n'), 'workloads.yaml');
    const html = runReportHtml(new Simulation(wl).run(), wl);
    const guests = tables(html.slice(html.indexOf('id="guest-table"')))[0];
    assert.deepEqual(
      guests.map((row) => [row.cells[0].text, row.cells[1].text]),
      [
        // A day of samples, 23 h 50 min in: the 20 min run goes back to its first sample 10 min in.
        ['tr', 'trace vm_1218322450_1 +23.8 h ×50%, wraps after 10 min (a 24 h trace)'],
        ['fit', 'trace vm_1218322450_1 ×100%'],
        ['flat', 'constant 50%'],
        ['late', 'step 40%→70% at 5 min'],
      ],
    );
    assert.match(html, /<th title="[^"]*">workload<\/th>/);
  });

  test('the disk card counts write-backs: its total is the pages whose device time the guests table gives as disk time', () => {
    const r = fakeRun(sc, ['web-1', 'web-2']);
    const disk = (reads: number, writes: number, swap: number): string => {
      r.summary.guests.forEach((g, i) => (g.disk = { file_reads: i === 0 ? reads : 0, file_writes: i === 1 ? writes : 0, swap_reads: 0, swap_writes: i === 0 ? swap : 0, busy_ns: 0 }));
      const cards = reportParts(r, sc).cards;
      return /Disk I\/O \(pages\)<\/div><div class="card-value">([^<]*)<\/div><div class="card-sub">([^<]*)</.exec(cards)!.slice(1).join(' | ');
    };
    assert.equal(disk(700_000, 2_481, 78_593), '781,074 | of which 700,000 file reads, 2,481 write-backs, 78,593 swap reads + writes');
    assert.equal(disk(700_000, 2_481, 0), '702,481 | of which 700,000 file reads, 2,481 write-backs, no swap I/O');
    assert.equal(disk(0, 2_481, 5), '2,486 | of which 2,481 write-backs, 5 swap reads + writes');
    assert.equal(disk(0, 2_481, 0), '2,481 | all write-backs, no file reads, no swap I/O');
  });

  test('tmem peak: the most held at once, not the sum of two maxima reached at different times', () => {
    const r = fakeRun(sc, ['web-1']);
    // Ephemeral peaks at 1 GiB early, persistent at 2 GiB late: never more than 2.25 GiB together.
    r.samples.forEach((p, i) => {
      p.tmemEphemeralPages = i < 20 ? GIB : GIB / 4;
      p.tmemPersistentPages = i < 20 ? GIB / 4 : 2 * GIB;
    });
    r.summary.tmem.ephemeral_pages_max = GIB;
    r.summary.tmem.persistent_pages_max = 2 * GIB;
    const out = runReportHtml(r, sc);
    assert.match(out, /tmem peak<\/div><div class="card-value">2\.25 GiB<\/div><div class="card-sub">ephemeral max 1 GiB, persistent max 2 GiB</);
    // A maximum reached between samples still counts.
    r.summary.tmem.persistent_pages_max = 3 * GIB;
    assert.match(runReportHtml(r, sc), /tmem peak<\/div><div class="card-value">3 GiB</);
  });
});

describe('compareReportHtml', () => {
  const none = scenario(['toolstack.policy=none']);
  const claim = scenario();
  const variants = [
    { label: 'toolstack.policy=none', scenario: none, result: fakeRun(none, ['web-1', 'web-2']) },
    { label: 'toolstack.policy=claim', scenario: claim, result: fakeRun(claim, ['web-1', 'web-2', 'big-1']) },
  ];
  const html = compareReportHtml(variants);

  test('a table of outcomes with a row per variant', () => {
    assert.match(html, /id="outcomes"[\s\S]*<b>toolstack\.policy=none<\/b>[\s\S]*<b>toolstack\.policy=claim<\/b>/);
    assert.match(html, /<dt>launch policy<\/dt><dd>varies<\/dd>/);
  });

  test('every chart has one panel per variant, titled by the variant, on shared axes', () => {
    for (const id of ['host', 'tmem', 'hitrate', 'disk']) {
      const s = section(html, id);
      assert.equal((s.match(/<svg/g) ?? []).length, 1);
      // Disk panels add their total after the variant.
      assert.ok(/>toolstack\.policy=none(<| · )/.test(s) && /toolstack\.policy=claim(<| · )/.test(s), `${id}: panel titles`);
      assert.ok(seriesPaths(s) >= 2, `${id}: series in both panels`);
    }
    // Guests: a row per guest, a column per variant; big-1 did not run under none.
    const g = section(html, 'guests');
    assert.ok(g.includes('>big-1 · toolstack.policy=none<'));
    assert.match(g, /not running in this variant/);
  });

  test('launches: a row per launch and variant, with the request and start times and why it failed', () => {
    const s = html.slice(html.indexOf('id="launches"'), html.indexOf('id="guest-table"'));
    assert.match(s, /<th class="num">requested<\/th><th class="num">started<\/th>/);
    // big-2 under each variant: its own row, the failure reason in it.
    const rows = s.split('<tr').slice(1).filter((r) => r.includes('failed fast</span>'));
    assert.equal(rows.length, 2);
    assert.match(rows[0], /toolstack\.policy=none[\s\S]*>15 s<[\s\S]*>16 s<[\s\S]*claim_pages &#60;ENOMEM&#62;/);
    assert.match(rows[1], /<td class="num">2 GiB<\/td><td>toolstack\.policy=claim/, 'every variant row has its size');
    assert.match(html, /id="guest-table"[\s\S]*big-1/);
  });

  test('disk I/O counts write-backs wherever it is a total: the guests table, the outcomes and the disk chart (found by review)', () => {
    // fakeRun: each guest 2800 file reads, 40 write-backs, 200 swap-ins, 320 swap-outs.
    const guests = tables(html.slice(html.indexOf('id="guest-table"')))[0];
    assert.deepEqual(guests[0].cells.map((c) => c.text), ['web-1', '1 GiB', '30%', '3,360', '0', '1 GiB', '30%', '3,360', '0']);
    assert.match(html, /disk I\/O in pages \(file reads, write-backs, swap-ins and swap-outs\)/);
    const outcomes = tables(html.slice(html.indexOf('id="outcomes"')))[0];
    assert.match(html, /<th class="num">file reads \(pages\)<\/th><th class="num">write-backs \(pages\)<\/th><th class="num">swap I\/O \(pages\)<\/th>/);
    assert.deepEqual(outcomes.map((row) => row.cells.slice(-3).map((c) => c.text)), [['5,600', '80', '1,040'], ['8,400', '120', '1,560']]);
    // The disk chart: a band of write-backs, and each panel's total has them.
    const disk = section(html, 'disk');
    assert.ok(disk.includes('>write-backs (dirty file pages)<'), 'the legend names the write-backs');
    assert.ok(disk.includes(`fill="${COLORS.fileWrites}"`), 'the write-backs are drawn');
    assert.ok(disk.includes('>toolstack.policy=none · 6,720 pages<') && disk.includes('>toolstack.policy=claim · 10,080 pages<'), 'panel totals with write-backs');
  });

  test('wasted build: a dash when none (as in the terminal), the time in red when a build was wasted', () => {
    const s = html.slice(html.indexOf('id="launches"'), html.indexOf('id="guest-table"'));
    const row = (name: string, outcome: string): string => s.split('<tr').find((r) => r.includes(`>${name}<`) && r.includes(`${outcome}</span>`)) ?? '';
    assert.match(row('big-2', 'failed fast'), /<td class="num">-<\/td>/);
    assert.match(row('big-3', 'failed mid-way'), /<span class="bad">1\.5 s<\/span>/);
    assert.doesNotMatch(s, />0 s</);
  });

  test('a variant with tmem off says so in its tmem and hit-rate panels; disk panels carry their totals', () => {
    const off = scenario(['host.tmem.enabled=false']);
    const runOff = fakeRun(off, ['web-1']);
    for (const s of runOff.samples) {
      s.tmemEphemeralPages = 0;
      s.tmemPersistentPages = 0;
      s.guests['web-1'].cleancacheGets = 0;
      s.guests['web-1'].cleancacheHits = 0;
    }
    const runOn = fakeRun(claim, ['web-1']);
    // A guest that crashed before the last sample still counts in the total (the summary has it).
    runOn.summary.guests.push({ ...runOn.summary.guests[0], name: 'gone', disk: { file_reads: 1000, file_writes: 0, swap_reads: 0, swap_writes: 0, busy_ns: 5e9 } });
    const out = compareReportHtml([
      { label: 'host.tmem.enabled=true', scenario: claim, result: runOn },
      { label: 'host.tmem.enabled=false', scenario: off, result: runOff },
    ]);
    assert.equal((section(out, 'tmem').match(/tmem is off in this variant/g) ?? []).length, 1);
    assert.match(section(out, 'hitrate'), /tmem is off, so no cleancache in this variant/);
    // One group of guests: no "all guests" line beside it.
    assert.doesNotMatch(section(out, 'hitrate'), />all guests</);
    // web-1: 2800 file reads, 40 write-backs, 200 + 320 swap; gone: 1000 file reads.
    assert.match(section(out, 'disk'), />host\.tmem\.enabled=true · 4,360 pages</);
    assert.match(section(out, 'disk'), />host\.tmem\.enabled=false · 3,360 pages</);
  });

  test('the wasted-build column never marks a best that reads like a time it beat ("2.4 s" green beside "2.4 s"; found by audit)', () => {
    const a = fakeRun(claim, ['web-1']);
    const b = fakeRun(claim, ['web-1']);
    a.summary.launches[2].wasted_build_ns = 2.375e9;
    b.summary.launches[2].wasted_build_ns = 2.4375e9;
    const out = compareReportHtml([
      { label: 'seed=8', scenario: claim, result: a },
      { label: 'seed=9', scenario: claim, result: b },
    ]);
    const table = out.slice(out.indexOf('id="outcomes"'));
    assert.match(table, /<span class="best">2\.38 s<\/span>/);
    assert.match(table, /<td[^>]*>2\.44 s<\/td>/);
    // Times that already read apart keep the column's one decimal.
    b.summary.launches[2].wasted_build_ns = 3.5e9;
    const apart = compareReportHtml([
      { label: 'seed=8', scenario: claim, result: a },
      { label: 'seed=9', scenario: claim, result: b },
    ]);
    assert.match(apart.slice(apart.indexOf('id="outcomes"')), /<span class="best">2\.4 s<\/span>/);
  });

  test('every numeric column of the comparison\'s tables: one unit, one number of decimals, right-aligned', () => {
    const a = fakeRun(none, ['web-1', 'web-2']);
    const b = fakeRun(claim, ['web-1', 'web-2', 'big-1']);
    a.summary.host.min_free_pages = 0;
    b.summary.host.min_free_pages = 1.5 * GIB;
    a.summary.host.max_outstanding_pages = 0;
    [1.5 * GIB, 851 * 256].forEach((p, i) => (a.summary.guests[i].ram_pages_mean = p));
    [12 * GIB, GIB / 4, 3 * GIB].forEach((p, i) => (b.summary.guests[i].ram_pages_mean = p));
    b.summary.guests[0].cleancache = { puts: 0, gets: 3, hits: 1 };
    b.summary.launches[2].wasted_build_ns = 12e9;
    b.summary.launches[2].end_ns = 27.25e9;
    const out = compareReportHtml([
      { label: 'toolstack.policy=none', scenario: none, result: a },
      { label: 'toolstack.policy=claim', scenario: claim, result: b },
    ]);
    assert.ok(assertColumnsLineUp(out, 'compare') >= 20, 'the columns of numbers were checked');
    assert.ok(assertColumnsLineUp(html, 'compare') >= 20);
    // Outcomes: lowest free 0 and 1.5 GiB in one unit; wasted build 1.5 s and 12 s with one decimal; the guests at the end and their RAM apart.
    const outcomes = tables(out.slice(out.indexOf('id="outcomes"')))[0];
    assert.deepEqual(outcomes.map((row) => row.cells[9].text), ['0.0 GiB', '1.5 GiB']);
    assert.deepEqual(outcomes.map((row) => row.cells[4].text), ['1.5 s', '12.0 s']);
    assert.deepEqual(outcomes.map((row) => row.cells[7].text), ['2', '3']);
    // Guests: the variants' mean RAM columns share one unit and number of decimals.
    const guests = tables(out.slice(out.indexOf('id="guest-table"')))[0];
    assert.deepEqual(guests.map((row) => [row.cells[1].text, row.cells[5].text]), [['1.50 GiB', '12.00 GiB'], ['0.83 GiB', '0.25 GiB'], ['-', '3.00 GiB']]);
  });

  test('panel titles cut with an ellipsis stay inside the chart, in the last column too', () => {
    const echarts = createRequire(import.meta.url)('echarts') as typeof import('echarts');
    const many = Array.from({ length: 12 }, (_, i) => `web-${i + 1}`);
    const labels = ['guests[0].workload.anon.rate=100/s', 'guests[0].workload.anon.rate=1000/s', 'guests[0].workload.anon.rate=100000/s'];
    const out = compareReportHtml(labels.map((label) => ({ label, scenario: claim, result: fakeRun(claim, many) })));
    const svg = section(out, 'guests');
    const width = Number(/<svg width="(\d+)"/.exec(svg)?.[1]);
    // The averaged panel of each variant counts the others that ran in it.
    const titles = svgTexts(svg).filter((t) => t.text.startsWith('avg of 5 others · '));
    assert.equal(titles.length, 3);
    for (const t of titles) {
      const x = Number(/transform="translate\(([\d.]+) /.exec(t.attrs)?.[1]);
      const w = echarts.format.getTextRect(t.text, `600 13px ${FONT}`).width;
      assert.ok(x + w <= width, `"${t.text}" ends at ${(x + w).toFixed(0)} px, inside the chart's ${width} px`);
    }
    assert.match(titles[2].text, /\.\.\.$/, 'the last one is cut, with an ellipsis');
  });

  test('a comparison\'s header lists the --set flags every variant shares; the compared ones are in "Compared"', () => {
    const v = (label: string, overrides: string[]): CompareVariant => ({ label, scenario: { ...claim, overrides }, result: fakeRun(claim, ['web-1']) });
    const out = compareReportHtml([v('p=a', ['duration=5s', 'p=a']), v('p=b', ['duration=5s', 'p=b'])]);
    assert.match(out, /<dt>overrides<\/dt><dd>--set duration=5s<\/dd>/);
    const none = compareReportHtml([v('p=a', ['p=a']), v('p=b', ['p=b'])]);
    assert.doesNotMatch(none, /<dt>overrides/);
  });

  test('the averaged guests are named, and each variant\'s panel counts those that ran in it', () => {
    const many = Array.from({ length: 12 }, (_, i) => `web-${i + 1}`);
    const out = compareReportHtml([
      { label: 'p=a', scenario: claim, result: fakeRun(claim, many) },
      // big-2 runs in p=b only, with the least RAM: it is averaged.
      { label: 'p=b', scenario: claim, result: fakeRun(claim, ['big-2', ...many]) },
    ]);
    const svg = section(out, 'guests');
    const titles = svgTexts(svg).map((t) => t.text).filter((t) => t.startsWith('avg of'));
    assert.deepEqual(titles, ['avg of 5 others · p=a', 'avg of 6 others · p=b']);
    // In start order; these fake runs have no guest_start events, so in order of first appearance over the variants.
    assert.match(out, /the other 6 \(web-1, web-2, web-3, web-4, web-5, big-2\) averaged in the last panel/);
    // A guest's name is a key of the samples, never a property every object has.
    const odd = compareReportHtml([
      { label: 'p=a', scenario: claim, result: fakeRun(claim, many) },
      { label: 'p=b', scenario: claim, result: fakeRun(claim, ['constructor', ...many]) },
    ]);
    assert.deepEqual(svgTexts(section(odd, 'guests')).map((t) => t.text).filter((t) => t.startsWith('avg of')), ['avg of 5 others · p=a', 'avg of 6 others · p=b']);
  });

  test('the verdict ranks launches, then failures mid-way; I/O columns are not marked best', () => {
    const r = (label: string, sc: Scenario, launches: Summary['launches'], oom = 0): CompareVariant => {
      const run = fakeRun(sc, ['web-1']);
      run.summary.launches = launches;
      run.summary.guests[0].oom_events = oom;
      run.summary.guests[0].disk.file_reads = label.length * 1000;
      return { label, scenario: sc, result: run };
    };
    const L = (name: string, outcome: string, wasted = 0): Summary['launches'][number] => ({
      name, policy: 'x', outcome, requested_pages: GIB, request_ns: 1e9, start_ns: 1e9, end_ns: 2e9, wasted_build_ns: wasted,
    });
    const worst = r('p=midway', none, [L('a', 'failed_midway', 3e9), L('b', 'failed_midway', 2e9)]);
    const fast = r('p=fast', none, [L('a', 'failed_fast'), L('b', 'failed_fast')]);
    const best = r('p=best', claim, [L('a', 'ok'), L('b', 'failed_fast')], 1);
    const out = compareReportHtml([worst, fast, best]);
    // Why, with numbers: the first ranked quantity on which it beats the next best.
    assert.match(out, /<b>Verdict\.<\/b> p=best does best: most launches finished, 1 of 2 against 0 of 2 for p=fast\./);
    // Equal on launches finished: decided by failures mid-way.
    assert.match(compareReportHtml([worst, fast]), /<b>Verdict\.<\/b> p=fast does best: fewest launches failed mid-way, 0 against 2 for p=midway\./);
    // Listed best first: one finished, then no failure mid-way, then two.
    assert.match(out, /<li><b>p=best<\/b>: 1 of 2 launches finished, 1 failed fast, 1 OOM event[\s\S]*<li><b>p=fast<\/b>[\s\S]*<li><b>p=midway<\/b>: 0 of 2 launches finished, 2 failed mid-way \(5 s of build time wasted\)/);
    const table = out.slice(out.indexOf('<table'), out.indexOf('</table>'));
    assert.match(table, /<span class="best">1 \/ 2<\/span>/);
    // Ranked columns come first (launches ok .. violations); from "guests at end" on nothing is marked,
    // though p=fast has the fewest file reads (its label is the shortest).
    const rows = table.split('<tr>').slice(2);
    assert.equal(rows.length, 3);
    for (const row of rows) {
      const cells = row.split('<td').slice(1);
      assert.equal(cells.length, 15);
      for (const c of cells.slice(7)) assert.doesNotMatch(c, /best/);
    }
    // Failed mid-way: p=fast and p=best have none, both marked; p=midway is not.
    assert.match(rows[0], /<b>p=midway<\/b><\/td><td class="num">0 \/ 2<\/td><td class="num">0<\/td><td class="num">2<\/td>/);
    assert.match(rows[1], /<b>p=fast<\/b><\/td><td class="num">0 \/ 2<\/td><td class="num">2<\/td><td class="num"><span class="best">0<\/span>/);
    // No build time wasted reads '-', as in the launches tables and the terminal (marked when it is the best).
    assert.match(rows[1], /<td class="num"><span class="best">-<\/span><\/td>/);
    // All equal: no verdict for anyone.
    const tie = compareReportHtml([r('p=1', none, [L('a', 'ok')]), r('p=2', claim, [L('a', 'ok')])]);
    assert.match(tie, /No variant does better than the others/);
    assert.doesNotMatch(tie, /class="best"/);
  });
});

describe('guest order', () => {
  test("guests whose names look like numbers keep the order they started in timeseries.csv and the report's panels, as in summary.json", () => {
    // A sample's guests are an object keyed by name: "10" and "2" come before "web" in its key order.
    // Launch "8" is asked after "7" but built first (smaller): the start order is not the timeline's.
    const text = [
      'name: numbers',
      'seed: 5',
      'duration: 4s',
      'sample_interval: 1s',
      'host: {memory: 8GiB}',
      'dom0: {memory: 1GiB}',
      'toolstack: {policy: claim, build_rate: 1GiB/s}',
      'guests:',
      '  - {name: web, memory: 256MiB}',
      '  - {name: "10", memory: 256MiB}',
      '  - {name: "2", memory: 256MiB}',
      'timeline:',
      '  - {at: 1s, launch: {name: "7", memory: 3GiB}}',
      '  - {at: 1.1s, launch: {name: "8", memory: 128MiB}}',
    ].join('\n');
    const sc = parseScenario(text, 'numbers.yaml');
    const result = new Simulation(sc).run();
    const order = ['web', '10', '2', '8', '7'];
    assert.deepEqual(
      result.summary.guests.map((g) => g.name),
      order,
    );
    const header = timeseriesCsv(result.samples, sc, result.events).split('\n')[0].split(',');
    assert.deepEqual(
      header.filter((c) => c.endsWith('.ram')),
      order.map((n) => `${n}.ram`),
    );
    // The guest chart's panel titles, left to right.
    const html = runReportHtml(result, sc);
    const titles = [...html.matchAll(/<text[^>]*font-size:13px[^>]*>(web|10|2|7|8)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(titles, order);
  });
});
