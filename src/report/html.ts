// report.html: one self-contained page (inline CSS, inline SVG charts, no
// scripts, no external resources) for a run, or for a comparison of variants
// side by side on the same axes. Deterministic: the same run gives the same
// bytes (no timestamps, no random ids). Every piece of text from the scenario
// or the run goes through esc().

import { basename } from 'node:path';
import type { Scenario } from '../scenario/types.ts';
import type { RunResult } from '../sim/simulation.ts';
import { HYPERMEM_VERSION } from '../version.ts';
import { launchCount, unfinished, type LoggedEvent, type Sample, type Summary } from '../sim/metrics.ts';
import { diskChart, guestChart, hitRateChart, hostChart, tmemChart, type ChartOut, type RunData } from './charts.ts';
import { seedRange, seedsTable, type SeedsVariant } from './seeds.ts';
import { guestRunTimes, workloadWords } from './workload.ts';
import { fewNames, setupNotes, setupNotesShort } from './notes.ts';
import { listOf, ranked, RANKING_NOTE, SEEDS_NOTE, seedsVerdictLead, verdictLead } from './verdict.ts';
import {
  diskIo,
  durationColumn,
  fmtCount,
  fmtDuration,
  fmtPercent,
  fmtSize,
  guestSum,
  launchReasons,
  scenarioGuestSpecs,
  percentColumn,
  sizeColumn,
  timeColumn,
  timeUnit,
  type MarkerKind,
  type Unit,
} from './series.ts';

/** One run of a comparison: its label (path=value), scenario and result. */
export interface CompareVariant {
  label: string;
  scenario: Scenario;
  result: RunResult;
}

/** Escapes text for HTML element content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---- Numbers from a summary ----------------------------------------------

interface Totals {
  ok: number;
  failedFast: number;
  failedMidway: number;
  abandoned: number;
  /** Launches the end of the run caught still building or still queued. */
  unfinished: number;
  launches: number;
  wastedNs: number;
  /** Cleancache puts: without any, every get misses (nothing to hit), which is not tmem failing. */
  puts: number;
  gets: number;
  hits: number;
  fileReads: number;
  /** Write-backs of dirty page-cache pages: disk I/O as much as file reads (docs/guest.md, Disk). */
  fileWrites: number;
  swapIo: number;
  oom: number;
}

function totals(s: Summary): Totals {
  const count = (o: string) => launchCount(s, o);
  const sum = (f: (g: Summary['guests'][number]) => number) => guestSum(s, f);
  return {
    ok: count('ok'),
    failedFast: count('failed_fast'),
    failedMidway: count('failed_midway'),
    abandoned: count('abandoned'),
    unfinished: launchCount(s, unfinished),
    launches: s.launches.length,
    wastedNs: s.launches.reduce((a, l) => a + l.wasted_build_ns, 0),
    puts: sum((g) => g.cleancache.puts),
    gets: sum((g) => g.cleancache.gets),
    hits: sum((g) => g.cleancache.hits),
    fileReads: sum((g) => g.disk.file_reads),
    fileWrites: sum((g) => g.disk.file_writes),
    swapIo: sum((g) => g.disk.swap_reads + g.disk.swap_writes),
    oom: sum((g) => g.oom_events),
  };
}

const OUTCOME_LABEL: Record<string, string> = {
  ok: 'ok',
  failed_fast: 'failed fast',
  failed_midway: 'failed mid-way',
  abandoned: 'abandoned',
  queued: 'still queued',
  building: 'still building',
};

function outcomeBadge(outcome: string): string {
  const cls = /^[a-z_]+$/.test(outcome) ? outcome : 'other';
  return `<span class="badge b-${cls}">${esc(OUTCOME_LABEL[outcome] ?? outcome)}</span>`;
}

// ---- Page pieces ----------------------------------------------------------

/** A table; `right` lists the columns aligned right (numbers). Cells are HTML (escape them first). */
function table(head: string[], rows: string[][], right: number[], cls = '', titles: string[] = []): string {
  const a = (i: number) => (right.includes(i) ? ' class="num"' : '');
  const title = (i: number) => (titles[i] ? ` title="${esc(titles[i])}"` : '');
  const th = head.map((h, i) => `<th${a(i)}${title(i)}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${a(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** "52 whole checks with --verify", for the violations card. */
function checksDone(checks: number): string {
  return `${fmtCount(checks)} whole check${checks === 1 ? '' : 's'} with --verify`;
}

function card(label: string, value: string, sub: string, tone = ''): string {
  return `<div class="card${tone ? ` ${tone}` : ''}"><div class="card-label">${esc(label)}</div><div class="card-value">${esc(value)}</div><div class="card-sub">${esc(sub)}</div></div>`;
}

function figure(id: string, title: string, chart: ChartOut, caption = ''): string {
  return `<section class="chart" id="${id}">
<h2>${esc(title)}</h2>
<p class="how" id="${id}-how"><span class="how-label">How to read this</span> ${esc(chart.note)}</p>
${caption ? `<p class="caption">${esc(caption)}</p>\n` : ''}<figure role="img" aria-label="${esc(title)}" aria-describedby="${id}-how">${chart.svg}</figure>
</section>`;
}

/** Launches the timeline places after `duration` (checked, not run; a `count: N` launch is N). */
function lateLaunches(scenario: Scenario): number {
  return scenario.timeline.filter((e) => e.action.kind === 'launch' && e.atNs > scenario.durationNs).length;
}

function scenarioFacts(scenario: Scenario): [string, string][] {
  const t = scenario.host.tmem;
  const tmemFeatures = [t.dedup ? 'dedup' : '', t.tze ? 'zero-page elimination' : '', t.compress ? 'compression' : ''].filter((x) => x !== '');
  const launchTimes = scenario.timeline.filter((e) => e.action.kind === 'launch').map((e) => e.atNs);
  const late = lateLaunches(scenario);
  const overrides = scenario.overrides ?? [];
  return [
    ['seed', String(scenario.seed)],
    ['launch policy', scenario.toolstack.policy],
    ['simulated', fmtDuration(scenario.durationNs)],
    ['sampled every', fmtDuration(scenario.sampleIntervalNs)],
    ['host memory', `${fmtSize(scenario.host.pages)}${scenario.host.nodes > 1 ? ` on ${scenario.host.nodes} NUMA nodes` : ''}`],
    ['dom0', fmtSize(scenario.dom0.memoryPages)],
    ['guests at start', String(scenario.guests.length)],
    ['launches', late === 0 ? String(launchTimes.length) : `${launchTimes.length} (${late} after the end)`],
    ['build rate', `${fmtSize(scenario.toolstack.buildPagesPerS)}/s`],
    ['tmem', t.enabled ? (tmemFeatures.length > 0 ? `on (${tmemFeatures.join(', ')})` : 'on') : 'off'],
    ...(scenario.file !== '' ? [['scenario file', basename(scenario.file)] as [string, string]] : []),
    ...(overrides.length > 0 ? [['overrides', setFlags(overrides)] as [string, string]] : []),
  ];
}

/** `--set a=1 --set b=2`: the flags as given. */
function setFlags(overrides: readonly string[]): string {
  return overrides.map((o) => `--set ${o}`).join(' ');
}

function factsList(facts: [string, string][]): string {
  return `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

function header(kind: string, scenario: Scenario, extra: string): string {
  return `<header class="top">
<div class="eyebrow">hypermem · ${esc(kind)}</div>
<h1>${esc(scenario.name)}</h1>
${scenario.description ? `<p class="lead">${esc(scenario.description)}</p>` : ''}
${extra}
</header>`;
}

function contents(items: [string, string][]): string {
  return `<nav class="toc">${items.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join('')}</nav>`;
}

function legendOfOutcomes(): string {
  const rows: [MarkerKind, string][] = [
    ['ok', 'the domain was built and booted'],
    ['failed_fast', 'refused before any page was built (the claim or the check failed; under reservation, perhaps after waiting in the queue)'],
    ['failed_midway', 'memory ran out during the build; the pages built were given back and the build time wasted'],
    ['abandoned', 'the launch stopped, queued or building: the toolstack died, or the domain was destroyed or crashed (the why column says which)'],
  ];
  return `<p class="caption">${rows.map(([k, v]) => `${outcomeBadge(k)} ${esc(v)}`).join(' &nbsp; ')}</p>`;
}

/** Build time a failed launch wasted, in red when there is any, written by its column's `fmt`; '-' when none (as the terminal's tables). */
function wastedCell(ns: number, fmt: (ns: number) => string): string {
  return ns > 0 ? `<span class="bad">${esc(fmt(ns))}</span>` : '-';
}

/**
 * The column formatters of a launches table: each column one unit and one number of decimals, from its values;
 * the three columns of times (requested, started, ended) share theirs, so that "60 s" does not stand beside "60.0 s".
 */
function launchColumns(launches: Summary['launches'], unit: Unit) {
  const time = timeColumn(launches.flatMap((l) => [l.request_ns, l.start_ns, l.end_ns]), unit);
  return {
    size: sizeColumn(launches.map((l) => l.requested_pages)),
    time,
    // The wasted times written ('-' for none).
    wasted: durationColumn(launches.map((l) => l.wasted_build_ns).filter((ns) => ns > 0)),
  };
}

function launchesTable(s: Summary, reasons: Map<string, string>, unit: Unit, due: number[]): string {
  if (s.launches.length === 0) {
    return due.length === 0 ? '<p class="empty">No launches in this scenario.</p>' : `<p class="empty">No launches yet (${esc(dueWords(due))}).</p>`;
  }
  const f = launchColumns(s.launches, unit);
  return table(
    ['guest', 'size', 'policy', 'outcome', 'requested', 'started', 'ended', 'wasted build', 'why'],
    s.launches.map((l) => [
      `<b>${esc(l.name)}</b>`,
      esc(f.size(l.requested_pages)),
      esc(l.policy),
      outcomeBadge(l.outcome),
      esc(f.time(l.request_ns)),
      // Nothing was built: no start to show (start_ns is the refusal).
      esc(l.outcome === 'failed_fast' ? '-' : f.time(l.start_ns)),
      esc(f.time(l.end_ns)),
      wastedCell(l.wasted_build_ns, f.wasted),
      `<span class="reason">${esc(launchWhy(l, reasons.get(l.name) ?? ''))}</span>`,
    ]),
    [1, 4, 5, 6, 7],
    'launches',
  );
}

/**
 * The times of the timeline's launches a live run has not made yet (none
 * once the run is over): each launch on the timeline within the duration
 * makes one entry in the summary when its time comes, in the timeline's
 * order of time, so those past the summary's count are still due.
 */
function dueLaunches(s: Summary, scenario: Scenario, going: boolean): number[] {
  if (!going) return [];
  const times = scenario.timeline.filter((e) => e.action.kind === 'launch' && e.atNs <= scenario.durationNs).map((e) => e.atNs);
  return times.sort((a, b) => a - b).slice(s.launches.length);
}

/** "3 due: at 60 s, 61 s and 62 s"; after the first three distinct times, how many more. */
function dueWords(due: number[]): string {
  const times = [...new Set(due.map((ns) => fmtDuration(ns)))];
  const shown = times.slice(0, 3);
  if (times.length > 3) shown.push(`${times.length - 3} more`);
  return `${due.length} due: at ${listOf(shown)}`;
}

/** A launch's reason, after how long it waited in the toolstack's queue when it waited at all. */
function launchWhy(l: Summary['launches'][number], reason: string): string {
  if (l.start_ns < 0 || l.start_ns <= l.request_ns) return reason;
  const waited = `waited ${fmtDuration(l.start_ns - l.request_ns)} in the queue`;
  return reason === '' ? waited : `${waited}; ${reason}`;
}

/** Each guest's workload in words (workload.ts), by name; a guest the scenario does not name gets none. */
function workloads(scenario: Scenario, events: LoggedEvent[], endNs: number): Map<string, string> {
  const ran = guestRunTimes(events, endNs);
  const words = new Map<string, string>();
  for (const [name, spec] of scenarioGuestSpecs(scenario)) words.set(name, workloadWords(spec.workload.anon, ran.get(name) ?? 0));
  return words;
}

const WORKLOAD_TITLE = "anonymous demand (Committed_AS) as a share of maxmem: the scenario's workload.anon profile, or its trace file, + offset and × scale";

function guestsTable(s: Summary, workload: Map<string, string>): string {
  if (s.guests.length === 0) return '<p class="empty">No guests ran.</p>';
  const ram = sizeColumn(s.guests.map((g) => g.ram_pages_mean));
  const rate = percentColumn(s.guests.map((g) => [g.cleancache.hits, g.cleancache.gets]));
  const busy = durationColumn(s.guests.map((g) => g.disk.busy_ns));
  return table(
    // Hits and gets in columns of their own: "2 / 63,655" under "10,025 / 157,702" would not line up.
    ['guest', 'workload', 'mean RAM', 'cleancache hits', 'cleancache gets', 'hit rate', 'frontswap stores', 'rejected', 'file reads (pages)', 'write-backs (pages)', 'swap-ins (pages)', 'swap-outs (pages)', 'disk time', 'OOM events'],
    s.guests.map((g) => [
      `<b>${esc(g.name)}</b>`,
      // Plain text: not a .reason span, whose print width (180 px) would widen a table that has many columns already.
      esc(workload.get(g.name) ?? '-'),
      esc(ram(g.ram_pages_mean)),
      esc(fmtCount(g.cleancache.hits)),
      esc(fmtCount(g.cleancache.gets)),
      esc(rate(g.cleancache.hits, g.cleancache.gets)),
      esc(fmtCount(g.frontswap.stores)),
      esc(fmtCount(g.frontswap.rejects)),
      esc(fmtCount(g.disk.file_reads)),
      esc(fmtCount(g.disk.file_writes)),
      esc(fmtCount(g.disk.swap_reads)),
      esc(fmtCount(g.disk.swap_writes)),
      esc(busy(g.disk.busy_ns)),
      g.oom_events > 0 ? `<span class="bad">${esc(g.oom_events)}</span>` : '0',
    ]),
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    '',
    ['', WORKLOAD_TITLE],
  );
}

/**
 * The most tmem held at once. The two maxima of the summary need not fall at the same time, so their sum
 * can be more than was ever held: take the largest sampled total, but never less than either maximum
 * (those are tracked between samples too).
 */
function tmemPeakOf(s: Summary, samples: Sample[]): number {
  let peak = Math.max(s.tmem.ephemeral_pages_max, s.tmem.persistent_pages_max);
  for (const p of samples) peak = Math.max(peak, p.tmemEphemeralPages + p.tmemPersistentPages);
  return peak;
}

/** Who met the OOM killer and when, from the event log: "batch-1, batch-2 at 64.1 s", "web-1 at 3 s, 9 s and 2 more". */
function oomWho(events: LoggedEvent[]): string {
  const ooms = events.filter((e) => e.kind === 'oom');
  if (ooms.length === 0) return 'no guest ran out of memory';
  const guests = [...new Set(ooms.map((e) => String(e.guest)))];
  const times = [...new Set(ooms.map((e) => fmtDuration(e.timeNs)))];
  const who = guests.length <= 3 ? guests.join(', ') : `${guests.length} guests`;
  const when = times.length <= 2 ? times.join(' and ') : `${times.slice(0, 2).join(', ')} and ${times.length - 2} more`;
  return `${who} at ${when}`;
}

/**
 * The disk card's caption: what its total is made of, without writing the
 * total again ("778,593" under "778,593" read as a number shown twice).
 */
export function diskParts(fileReads: number, fileWrites: number, swapIo: number): string {
  if (fileWrites > 0) {
    // Write-backs are named only when there are some: most runs' captions stay as short as before.
    if (fileReads === 0 && swapIo === 0) return 'all write-backs, no file reads, no swap I/O';
    const reads = fileReads === 0 ? '' : `${fmtCount(fileReads)} file reads, `;
    const swap = swapIo === 0 ? 'no swap I/O' : `${fmtCount(swapIo)} swap reads + writes`;
    return `of which ${reads}${fmtCount(fileWrites)} write-backs, ${swap}`;
  }
  if (fileReads === 0 && swapIo === 0) return 'no file reads, no swap I/O';
  if (swapIo === 0) return 'all file reads, no swap I/O';
  if (fileReads === 0) return 'all swap reads + writes, no file reads';
  return `of which ${fmtCount(fileReads)} file reads, ${fmtCount(swapIo)} swap reads + writes`;
}

function summaryCards(s: Summary, samples: Sample[], events: LoggedEvent[], verifying: boolean, due: number): string {
  const t = totals(s);
  const tmemPeak = tmemPeakOf(s, samples);
  const made = t.launches === 0 ? 'no launches' : `of ${t.launches} launch${t.launches === 1 ? '' : 'es'}`;
  // A live run before some of its launches: "No launches" would read as none in the scenario.
  const launchSub = due === 0 ? made : t.launches === 0 ? `none yet, ${due} due` : `${made} so far, ${due} more due`;
  const cards = [
    card('Launches ok', String(t.ok), launchSub, t.launches > 0 && t.ok === t.launches ? 'good' : ''),
    card('Failed fast', String(t.failedFast), 'refused before building, nothing wasted', t.failedFast > 0 ? 'warn' : ''),
    card('Failed mid-way', String(t.failedMidway), `${fmtDuration(t.wastedNs)} of build time wasted`, t.failedMidway > 0 ? 'bad' : ''),
    card('Lowest free memory', fmtSize(s.host.min_free_pages), `of ${fmtSize(s.host.total_pages)} on the host, first at ${fmtDuration(s.host.min_free_at_ns)}`, s.host.min_free_pages === 0 ? 'bad' : ''),
    card('Most claimed at once', fmtSize(s.host.max_outstanding_pages), 'outstanding claims'),
    card('Cleancache hit rate', fmtPercent(t.hits, t.gets), `${fmtCount(t.hits)} hits of ${fmtCount(t.gets)} gets, ${fmtCount(t.puts)} puts`),
    card('Disk I/O (pages)', fmtCount(t.fileReads + t.fileWrites + t.swapIo), diskParts(t.fileReads, t.fileWrites, t.swapIo)),
    card('tmem peak', fmtSize(tmemPeak), `ephemeral max ${fmtSize(s.tmem.ephemeral_pages_max)}, persistent max ${fmtSize(s.tmem.persistent_pages_max)}`),
    card('OOM events', String(t.oom), oomWho(events), t.oom > 0 ? 'bad' : ''),
    s.invariant_checks === 0
      ? verifying
        ? card('Invariant violations', '0', 'checked with --verify: the first whole check has not run yet')
        : card('Invariant violations', 'not checked', 'the run was not checked: run it with --verify')
      : card('Invariant violations', String(s.invariant_violations), s.invariant_violations > 0 ? `the accounting broke: see below (${checksDone(s.invariant_checks)})` : checksDone(s.invariant_checks), s.invariant_violations > 0 ? 'bad' : ''),
  ];
  return `<section class="cards">${cards.join('')}</section>`;
}

const CSS = `
:root{--ink:#212529;--muted:#5c636a;--line:#e3e7ed;--bg:#f5f6f8;--panel:#fff;--accent:#3b5bdb;--good:#237032;--warn:#c96500;--bad:#c92a2a}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;color:var(--ink);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1180px;margin:0 auto;padding:28px 28px 48px}
.top{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:22px 26px 18px;margin-bottom:18px;border-top:4px solid var(--accent)}
.eyebrow{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);font-weight:600}
h1{font-size:26px;margin:4px 0 6px;letter-spacing:-.01em}
.lead{margin:0 0 14px;color:#495057;font-size:15px;max-width:900px}
.story{margin:12px 0 0;font-size:15px;font-weight:600}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0}
.facts div{min-width:0}
.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.toc{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 18px}
.toc a{font-size:12.5px;color:#364fc7;text-decoration:none;background:#edf2ff;border-radius:999px;padding:3px 11px}
.toc a:hover{background:#dbe4ff}
.cards{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:10px;margin-bottom:18px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:11px 14px;border-left:4px solid #ced4da}
.card.good{border-left-color:var(--good)}.card.warn{border-left-color:var(--warn)}.card.bad{border-left-color:var(--bad)}
.card-label{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}
.card-value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0}
.card-sub{font-size:12px;color:var(--muted)}
section.chart,section.block{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:18px 22px 12px;margin-bottom:18px}
h2{font-size:17px;margin:0 0 4px}
.how{margin:0 0 6px;color:#495057;font-size:13px;max-width:1000px}
.how-label{display:inline-block;font-size:10.5px;text-transform:uppercase;letter-spacing:.06em;font-weight:700;color:#364fc7;background:#edf2ff;border-radius:4px;padding:0 6px;margin-right:4px}
.caption{margin:0 0 6px;color:var(--muted);font-size:12.5px}
figure{margin:8px 0 0;overflow-x:auto}
figure svg{display:block;width:100%;min-width:860px;height:auto}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th{text-align:left;font-weight:600;color:#495057;font-size:12px;border-bottom:2px solid var(--line);padding:7px 10px;vertical-align:bottom;background:#fafbfc}
td{padding:6px 10px;border-bottom:1px solid #f1f3f5;vertical-align:top}
tbody tr:nth-child(even) td{background:#fbfcfd}
th.num{text-align:right}
td.num{text-align:right;white-space:nowrap}
th.group{text-align:center;border-bottom:1px solid var(--line);background:#f1f3f5}
td.sep,th.sep{border-left:2px solid var(--line)}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;white-space:nowrap}
.b-ok{background:#d3f9d8;color:var(--good)}.b-failed_fast{background:#fff3bf;color:#a05a00}.b-failed_midway{background:#ffe3e3;color:#c92a2a}
.b-abandoned{background:#f3d9fa;color:#862e9c}.b-queued,.b-building,.b-other{background:#e9ecef;color:#495057}
.bad{color:var(--bad);font-weight:600}
.best{font-weight:700;color:var(--good)}
.reason{color:var(--muted);font-size:12.5px}
.verdict{margin:4px 0 10px}.verdict p{margin:0 0 4px}.verdict ul{margin:0 0 6px;padding-left:20px}
tr.first td{border-top:1px solid var(--line)}
.empty{color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:22px}
@media (max-width:900px){.cards{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:600px){main{padding:14px 10px 32px}.top,section.chart,section.block{padding:14px 12px 10px}figure svg{min-width:0}}
@media print{html{background:#fff}section.chart,section.block,.top,.card{break-inside:avoid}figure{overflow:visible}figure svg{min-width:0}nav.toc{display:none}.table-wrap{overflow:visible}table{font-size:10px}th,td{padding:4px 5px}span.reason{display:inline-block;min-width:180px}}
`;

/** A page in the reports' style: `csp` adds to the policy (nothing but inline styles and data: images otherwise), `head` to the head. */
function htmlPage(o: { title: string; csp?: string; head?: string; body: string; footer: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hypermem ${HYPERMEM_VERSION}">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:${o.csp ?? ''}">
<title>${esc(o.title)}</title>
<style>${CSS}</style>${o.head ?? ''}
</head>
<body>
<main>
${o.body}
<footer>${o.footer}</footer>
</main>
</body>
</html>
`;
}

function page(title: string, body: string): string {
  return htmlPage({
    title,
    body,
    footer: `Made by hypermem ${HYPERMEM_VERSION}. Self-contained: no scripts, nothing loaded from the network. The same scenario and seed give the same report.`,
  });
}

function runData(label: string, scenario: Scenario, result: RunResult): RunData {
  const diskPages = result.summary.guests.reduce((a, g) => a + diskIo(g), 0);
  return { label, scenario, samples: result.samples, events: result.events, totalPages: result.summary.host.total_pages, diskPages };
}

const CHART_TITLES = {
  host: 'Host memory: free, freeable and owned, with claims and launches',
  guests: 'Guest memory: RAM, balloon target and demand (Committed_AS)',
  tmem: 'Transcendent memory (tmem) held by guests',
  hitrate: 'Cleancache hit rate over time',
  disk: 'Disk I/O by cause',
};

function charts(runs: RunData[]): string {
  const g = guestChart(runs);
  return [
    figure('host', CHART_TITLES.host, hostChart(runs)),
    figure('guests', CHART_TITLES.guests, g, g.caption),
    figure('tmem', CHART_TITLES.tmem, tmemChart(runs)),
    figure('hitrate', CHART_TITLES.hitrate, hitRateChart(runs)),
    figure('disk', CHART_TITLES.disk, diskChart(runs)),
  ].join('\n');
}

const TOC: [string, string][] = [
  ['host', 'Host memory'],
  ['guests', 'Guest memory'],
  ['tmem', 'tmem'],
  ['hitrate', 'Cleancache hit rate'],
  ['disk', 'Disk I/O'],
];

/** The parts of a run's report: the summary cards, violations, charts and the two tables. */
export interface ReportParts {
  cards: string;
  violations: string;
  charts: string;
  launches: string;
  guests: string;
}

/**
 * The parts of the report of `result`, which may be a run still going (the
 * live dashboard shows the same cards, charts and tables as report.html).
 */
/**
 * The report's parts; `verifying`: a live run (serve) checked with --verify, whose first check may not have run yet;
 * `going`: a live run not over yet, whose timeline may still have launches to make (said as due, not as none).
 */
export function reportParts(result: RunResult, scenario: Scenario, verifying = false, going = false): ReportParts {
  const s = result.summary;
  const unit = timeUnit(scenario.durationNs);
  const due = dueLaunches(s, scenario, going);
  return {
    cards: summaryCards(s, result.samples, result.events, verifying, due.length),
    violations:
      result.violations.length > 0
        ? `<section class="block" id="violations"><h2 class="bad">Invariant violations</h2><ul>${result.violations.map((v) => `<li><code>${esc(v)}</code></li>`).join('')}</ul></section>`
        : '',
    charts: charts([runData('', scenario, result)]),
    launches: `<section class="block" id="launches"><h2>Launches</h2>${legendOfOutcomes()}${launchesTable(s, launchReasons(result.events), unit, due)}</section>`,
    guests: `<section class="block" id="guest-table"><h2>Guests</h2><p class="caption">Totals over the run; mean RAM is averaged over the samples while the guest ran. The workload is the guest's anonymous demand (Committed_AS) as a share of its maxmem: its profile, or the trace it replays (+ offset, × scale; a trace shorter than the guest's run wraps to its start). Disk time is the device time of the guest's disk I/O (file reads, write-backs, swap-ins and swap-outs) at its disk_latency per page, one after another; the I/O takes no simulated time.</p>${guestsTable(s, workloads(scenario, result.events, going ? scenario.durationNs : s.sim_time_ns))}</section>`,
  };
}

/**
 * The run in one sentence, for the first screen: the launches (how many
 * finished, which failed and when) and the OOM events (who and when), or
 * that there were none; the timeline entries that did nothing (a guest
 * not running, tmem off), by why; and the guests set up for tmem on a host
 * without it.
 */
export function runStory(s: Summary, events: LoggedEvent[], lateLaunches = 0): string {
  const parts: string[] = [];
  const t = totals(s);
  // Launches placed after `duration` are not run: said, so that "No launches" does not contradict the header's count.
  const late = lateLaunches > 0 ? ` (${lateLaunches} ${t.launches === 0 ? '' : 'more '}placed after the end of the run, not run)` : '';
  if (t.launches === 0) parts.push(`No launches${late}`);
  else {
    parts.push(`${t.ok} of ${t.launches} launch${t.launches === 1 ? '' : 'es'} finished${late}`);
    const failed = s.launches.filter((l) => l.outcome !== 'ok');
    for (const l of failed.slice(0, 3)) {
      const how = OUTCOME_LABEL[l.outcome] ?? l.outcome;
      const at = l.end_ns >= 0 ? ` at ${fmtDuration(l.end_ns)}` : '';
      parts.push(`${l.name} ${how}${at}${l.wasted_build_ns > 0 ? ` (${fmtDuration(l.wasted_build_ns)} of build wasted)` : ''}`);
    }
    if (failed.length > 3) parts.push(`${failed.length - 3} more did not finish`);
  }
  parts.push(t.oom === 0 ? 'no guest ran out of memory' : `OOM: ${oomWho(events)}`);
  const skipped = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind !== 'skipped') continue;
    const note = String(e.note ?? 'skipped');
    const where = skipped.get(note);
    if (where === undefined) skipped.set(note, [String(e.where)]);
    else where.push(String(e.where));
  }
  for (const [note, where] of skipped) parts.push(`${where.length} timeline entr${where.length === 1 ? 'y' : 'ies'} did nothing (${note}: ${fewNames(where)})`);
  parts.push(...setupNotes(events));
  return `${parts.join('; ')}.`;
}

/** The report of one run. */
export function runReportHtml(result: RunResult, scenario: Scenario): string {
  const parts = reportParts(result, scenario);
  const body = [
    header('simulation report', scenario, factsList(scenarioFacts(scenario)) + `<p class="story">${esc(runStory(result.summary, result.events, lateLaunches(scenario)))}</p>`),
    contents([...TOC, ['launches', 'Launches'], ['guest-table', 'Guests']]),
    parts.cards,
    parts.violations,
    parts.charts,
    parts.launches,
    parts.guests,
  ].filter((x) => x !== '');
  return page(`${scenario.name} — hypermem report`, body.join('\n'));
}

/**
 * The live dashboard's page: the report's style and header, `body`, and one
 * script from this server (`script`); nothing from elsewhere.
 */
export function dashboardPage(scenario: Scenario, body: string, script: string): string {
  return htmlPage({
    title: `${scenario.name} — hypermem live`,
    csp: "; script-src 'self'; connect-src 'self'",
    head: `\n<style>${LIVE_CSS}</style>\n<script src="${esc(script)}" defer></script>`,
    body: `${header('live simulation', scenario, factsList(scenarioFacts(scenario)))}\n${body}`,
    footer: `hypermem ${HYPERMEM_VERSION}, serving this run from your machine. The same scenario and seed give the same run as <code>hypermem run</code>.`,
  });
}

const LIVE_CSS = `
.live{display:flex;flex-wrap:wrap;align-items:center;gap:10px 18px;background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 18px;margin-bottom:18px}
.live .status{font-weight:650}
.live .status.running{color:var(--accent)}.live .status.paused{color:#a05a00}.live .status.done{color:var(--good)}.live .status.failed{color:var(--bad)}
.live progress{flex:1 1 240px;height:12px}
.live button{font:inherit;font-size:13px;padding:4px 14px;border-radius:6px;border:1px solid #adb5bd;background:#f8f9fa;cursor:pointer}
.live button:disabled{opacity:.45;cursor:default}
.live a{color:#364fc7}
`;

/** The guests running at the end of a run and the RAM they hold (the last sample, without the guests that ended at that instant). */
function atEnd(result: RunResult): { guests: number; ramPages: number } {
  const last = result.samples[result.samples.length - 1];
  if (last === undefined) return { guests: 0, ramPages: 0 };
  const gs = Object.values(last.guests).filter((g) => g.ended !== true);
  return { guests: gs.length, ramPages: gs.reduce((a, g) => a + g.ramPages, 0) };
}

interface OutcomeRow {
  v: CompareVariant;
  s: Summary;
  t: Totals;
  end: { guests: number; ramPages: number };
}

function outcomeWords(r: OutcomeRow): string {
  const parts: string[] = [];
  if (r.t.launches > 0) {
    parts.push(`${r.t.ok} of ${r.t.launches} launch${r.t.launches === 1 ? '' : 'es'} finished`);
    if (r.t.failedFast > 0) parts.push(`${r.t.failedFast} failed fast`);
    if (r.t.failedMidway > 0) parts.push(`${r.t.failedMidway} failed mid-way (${fmtDuration(r.t.wastedNs)} of build time wasted)`);
    if (r.t.abandoned > 0) parts.push(`${r.t.abandoned} abandoned`);
  }
  parts.push(`${r.t.oom} OOM event${r.t.oom === 1 ? '' : 's'}`);
  if (r.s.invariant_violations > 0) parts.push(`${r.s.invariant_violations} invariant violations`);
  parts.push(`${r.end.guests} guest${r.end.guests === 1 ? '' : 's'} with ${fmtSize(r.end.ramPages)} of RAM running at the end`);
  parts.push(`${fmtCount(r.t.swapIo)} pages of swap I/O on the disk`);
  parts.push(...setupNotesShort(r.v.result.events));
  return parts.join(', ');
}

/** One sentence on which variant does best (or that none does), then one line per variant, best first. */
function compareVerdict(rows: OutcomeRow[], atSeed: number | null): string {
  const byLabel = rows.map((r) => ({ label: r.v.label, summary: r.s, row: r }));
  const lead = verdictLead(byLabel);
  const lines = ranked(byLabel)
    .map(({ row }) => `<li><b>${esc(row.v.label)}</b>: ${esc(outcomeWords(row))}.</li>`)
    .join('');
  return `<div class="verdict">${lead !== '' ? `<p><b>${atSeed === null ? 'Verdict.' : `Verdict at seed ${atSeed} alone.`}</b> ${esc(lead)}</p>` : ''}<ul>${lines}</ul>
<p class="caption">${esc(RANKING_NOTE)}</p></div>`;
}

function compareOutcomes(variants: CompareVariant[], atSeed: number | null = null): string {
  const rows: OutcomeRow[] = variants.map((v) => ({ v, s: v.result.summary, t: totals(v.result.summary), end: atEnd(v.result) }));
  // Each column one unit and one number of decimals, from its values, so that they line up.
  // The wasted times written ('-' for none, as in the launches tables and the terminal).
  // The least (the column is ranked, the least marked) never reads like a time it beat ("2.4 s" beside "2.4 s").
  const leastWasted = Math.min(...rows.map((r) => r.t.wastedNs));
  const wasted = durationColumn(
    rows.map((r) => r.t.wastedNs).filter((ns) => ns > 0),
    leastWasted > 0 ? leastWasted : undefined,
  );
  const endRam = sizeColumn(rows.map((r) => r.end.ramPages));
  const lowest = sizeColumn(rows.map((r) => r.s.host.min_free_pages));
  const claimed = sizeColumn(rows.map((r) => r.s.host.max_outstanding_pages));
  const hitRate = percentColumn(rows.map((r) => [r.t.hits, r.t.gets]));
  // Columns: header, the cell, and for ranked columns a number and which way is better (green marks the best when variants differ).
  const cols: { head: string; cell: (r: OutcomeRow) => string; key?: (r: OutcomeRow) => number; better?: 'low' | 'high' }[] = [
    { head: 'launches ok', cell: (r) => `${r.t.ok} / ${r.t.launches}`, key: (r) => r.t.ok, better: 'high' },
    { head: 'failed fast', cell: (r) => String(r.t.failedFast) },
    { head: 'failed mid-way', cell: (r) => String(r.t.failedMidway), key: (r) => r.t.failedMidway, better: 'low' },
    // Every launch in one column, as in the terminal's table: abandoned and unfinished (building or queued at the end) when any variant has one.
    ...(rows.some((r) => r.t.abandoned > 0) ? [{ head: 'abandoned', cell: (r: OutcomeRow) => String(r.t.abandoned) }] : []),
    ...(rows.some((r) => r.t.unfinished > 0) ? [{ head: 'unfinished', cell: (r: OutcomeRow) => String(r.t.unfinished) }] : []),
    { head: 'wasted build', cell: (r) => (r.t.wastedNs > 0 ? wasted(r.t.wastedNs) : '-'), key: (r) => r.t.wastedNs, better: 'low' },
    { head: 'OOM events', cell: (r) => String(r.t.oom), key: (r) => r.t.oom, better: 'low' },
    { head: 'violations', cell: (r) => (r.s.invariant_checks === 0 ? 'not checked' : String(r.s.invariant_violations)), key: (r) => r.s.invariant_violations, better: 'low' },
    { head: 'guests at end', cell: (r) => String(r.end.guests) },
    { head: 'their RAM', cell: (r) => endRam(r.end.ramPages) },
    { head: 'lowest free', cell: (r) => lowest(r.s.host.min_free_pages) },
    { head: 'most claimed', cell: (r) => claimed(r.s.host.max_outstanding_pages) },
    { head: 'cleancache hit rate', cell: (r) => hitRate(r.t.hits, r.t.gets) },
    { head: 'file reads (pages)', cell: (r) => fmtCount(r.t.fileReads) },
    { head: 'write-backs (pages)', cell: (r) => fmtCount(r.t.fileWrites) },
    { head: 'swap I/O (pages)', cell: (r) => fmtCount(r.t.swapIo) },
  ];
  const body = rows.map((r) => [
    `<b>${esc(r.v.label)}</b>`,
    ...cols.map((c) => {
      const text = esc(c.cell(r));
      if (c.key === undefined || rows.length < 2) return text;
      const values = rows.map(c.key);
      const best = c.better === 'low' ? Math.min(...values) : Math.max(...values);
      const all = values.every((x) => x === best);
      return !all && c.key(r) === best ? `<span class="best">${text}</span>` : text;
    }),
  ]);
  return compareVerdict(rows, atSeed) + table(['variant', ...cols.map((c) => c.head)], body, cols.map((_, i) => i + 1));
}

function compareLaunches(variants: CompareVariant[]): string {
  const names: string[] = [];
  for (const v of variants) for (const l of v.result.summary.launches) if (!names.includes(l.name)) names.push(l.name);
  if (names.length === 0) return '<p class="empty">No launches in this scenario.</p>';
  const unit = timeUnit(Math.max(...variants.map((v) => v.scenario.durationNs)));
  const reasons = variants.map((v) => launchReasons(v.result.events));
  // One unit and one number of decimals per column, over every variant's launches.
  const f = launchColumns(variants.flatMap((v) => v.result.summary.launches), unit);
  const head = `<tr><th>guest</th><th class="num">size</th><th>variant</th><th>outcome</th><th class="num">requested</th><th class="num">started</th><th class="num">ended</th><th class="num">wasted build</th><th>why</th></tr>`;
  const rows: string[] = [];
  for (const name of names) {
    variants.forEach((v, i) => {
      const l = v.result.summary.launches.find((x) => x.name === name);
      const first = i === 0 ? ' class="first"' : '';
      const guest = i === 0 ? `<b>${esc(name)}</b>` : '';
      if (l === undefined) {
        rows.push(`<tr${first}><td>${guest}</td><td></td><td>${esc(v.label)}</td><td colspan="6" class="empty">not launched in this variant</td></tr>`);
        return;
      }
      const wasted = wastedCell(l.wasted_build_ns, f.wasted);
      rows.push(
        `<tr${first}><td>${guest}</td><td class="num">${esc(f.size(l.requested_pages))}</td><td>${esc(v.label)}</td><td>${outcomeBadge(l.outcome)}</td>` +
          `<td class="num">${esc(f.time(l.request_ns))}</td><td class="num">${esc(l.outcome === 'failed_fast' ? '-' : f.time(l.start_ns))}</td><td class="num">${esc(f.time(l.end_ns))}</td>` +
          `<td class="num">${wasted}</td><td><span class="reason">${esc(launchWhy(l, reasons[i].get(l.name) ?? ''))}</span></td></tr>`,
      );
    });
  }
  return `<div class="table-wrap"><table class="launches"><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function compareGuests(variants: CompareVariant[]): string {
  const names: string[] = [];
  for (const v of variants) for (const g of v.result.summary.guests) if (!names.includes(g.name)) names.push(g.name);
  if (names.length === 0) return '<p class="empty">No guests ran.</p>';
  // The variants' columns of mean RAM share one unit and number of decimals, and so do their hit rates: they are compared side by side.
  const all = variants.flatMap((v) => v.result.summary.guests);
  const ram = sizeColumn(all.map((g) => g.ram_pages_mean));
  const rate = percentColumn(all.map((g) => [g.cleancache.hits, g.cleancache.gets]));
  const head = `<tr><th rowspan="2">guest</th>${variants.map((v) => `<th colspan="4" class="group sep">${esc(v.label)}</th>`).join('')}</tr>
<tr>${variants.map(() => '<th class="num sep">mean RAM</th><th class="num">hit rate</th><th class="num">disk I/O</th><th class="num">OOM</th>').join('')}</tr>`;
  const rows = names.map((name) => {
    const cells = variants.map((v) => {
      const g = v.result.summary.guests.find((x) => x.name === name);
      if (g === undefined) return '<td class="num sep">-</td><td></td><td></td><td></td>';
      const io = diskIo(g);
      const oom = g.oom_events > 0 ? `<span class="bad">${esc(g.oom_events)}</span>` : '0';
      return `<td class="num sep">${esc(ram(g.ram_pages_mean))}</td><td class="num">${esc(rate(g.cleancache.hits, g.cleancache.gets))}</td><td class="num">${esc(fmtCount(io))}</td><td class="num">${oom}</td>`;
    });
    return `<tr><td><b>${esc(name)}</b></td>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** A comparison over seeds: the verdict over the seeds, then per variant the means over its runs and the seeds on which it does best. */
function overSeedsSection(overSeeds: readonly SeedsVariant[]): string {
  const t = seedsTable(overSeeds);
  const runs = overSeeds[0].runs;
  const lead = seedsVerdictLead(
    overSeeds.map((v) => v.label),
    overSeeds.map((v) => v.runs),
  );
  const right = t.head.map((_, i) => i).filter((i) => i > 0);
  const rows = t.rows.map((cells) => cells.map((c, i) => (i === 0 ? `<b>${esc(c)}</b>` : esc(c))));
  return `<section class="block" id="seeds"><h2>Over ${runs.length} seeds (${esc(seedRange(runs))})</h2>
<div class="verdict">${lead !== '' ? `<p><b>Verdict over the seeds.</b> ${esc(lead)}</p>` : ''}<p class="caption">${esc(SEEDS_NOTE)}</p></div>
<p class="caption">One row per variant: the seeds on which it does best, then the mean of each outcome over its ${runs.length} runs (lowest free: the lowest of any run). Every run is in summary.json; the sections below show seed ${runs[0].seed}.</p>
${table(t.head, rows, right, '', t.titles)}</section>`;
}

/**
 * The report of a comparison: the variants side by side on the same axes, and
 * a table of outcomes. With `overSeeds` (`compare --seeds N`), first the
 * verdict and the means over every seed; the rest shows the first seed's runs.
 */
export function compareReportHtml(variants: CompareVariant[], overSeeds: readonly SeedsVariant[] | null = null): string {
  if (variants.length === 0) throw new Error('compareReportHtml: no variants');
  const first = variants[0].scenario;
  const seeds = overSeeds !== null && overSeeds.length > 0 && overSeeds[0].runs.length > 1 ? overSeeds : null;
  // The facts every variant shares; the ones that differ say "varies"; over seeds, the seed is their range.
  // Overrides: the ones every variant was run with (the compared values are in "Compared").
  const common = (first.overrides ?? []).filter((o) => variants.every((x) => (x.scenario.overrides ?? []).includes(o)));
  const shared = (sc: Scenario): [string, string][] => scenarioFacts(sc).filter(([k]) => k !== 'overrides');
  const facts = shared(first).map(([k, v], i): [string, string] => {
    if (k === 'seed' && seeds !== null) return ['seeds', seedRange(seeds[0].runs)];
    const all = variants.map((x) => shared(x.scenario)[i][1]);
    return [k, all.every((x) => x === v) ? v : 'varies'];
  });
  if (common.length > 0) facts.push(['overrides', setFlags(common)]);

  const atSeed = seeds === null ? '' : ` at seed ${first.seed} (the first of ${seeds[0].runs.length}; the table "Over ${seeds[0].runs.length} seeds" covers them all)`;
  const compared = `<p class="caption">Compared: ${variants.map((v) => `<b>${esc(v.label)}</b>`).join(' vs ')}. Every chart shows the variants side by side on the same axes${esc(atSeed)}.</p>`;
  const outcomesCaption = `${seeds === null ? '' : `Seed ${first.seed} only. `}One row per variant. Green marks the best value of a ranked column when the variants differ; counts of file reads, write-backs and swap I/O are 4 KiB pages.`;
  const body = [
    header(`comparison of ${variants.length} variants`, first, compared + factsList(facts)),
    contents([...(seeds === null ? [] : [['seeds', 'Over the seeds'] as [string, string]]), ['outcomes', 'Outcomes'], ...TOC, ['launches', 'Launches'], ['guest-table', 'Guests']]),
    ...(seeds === null ? [] : [overSeedsSection(seeds)]),
    `<section class="block" id="outcomes"><h2>Outcomes</h2><p class="caption">${esc(outcomesCaption)}</p>${compareOutcomes(variants, seeds === null ? null : first.seed)}</section>`,
    charts(variants.map((v) => runData(v.label, v.scenario, v.result))),
    `<section class="block" id="launches"><h2>Launches</h2>${legendOfOutcomes()}${compareLaunches(variants)}</section>`,
    `<section class="block" id="guest-table"><h2>Guests</h2><p class="caption">Per variant: mean RAM while the guest ran, cleancache hit rate, disk I/O in pages (file reads, write-backs, swap-ins and swap-outs) and OOM events.</p>${compareGuests(variants)}</section>`,
  ];
  return page(`${first.name} — hypermem comparison`, body.join('\n'));
}
