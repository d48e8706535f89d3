// The terminal tables (src/report/text.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSeedsTable, compareTable, runTable } from '../../src/report/text.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { Summary } from '../../src/sim/metrics.ts';
import { assertOneForm, NUMBER } from './columns.ts';

function summary(wastedNs: number, outcome: string): Summary {
  return {
    scenario: 's',
    seed: 1,
    overrides: [],
    sim_time_ns: 1e9,
    events: 1,
    invariant_violations: 0,
    invariant_checks: 0,
    host: { total_pages: 1000, min_free_pages: 0, min_free_at_ns: 0, max_outstanding_pages: 0 },
    launches: [{ name: 'l', policy: 'none', outcome, requested_pages: 10, request_ns: 0, start_ns: 0, end_ns: 1, wasted_build_ns: wastedNs }],
    guests: [],
    tmem: { ephemeral_pages_max: 0, persistent_pages_max: 0, evictions: 0, dedup_ratio: 1, compression_ratio: 1 },
    faults: { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 },
  };
}

test('compare table: wasted build is "-" when none, as in the run table and the report; then the verdict', () => {
  const out = compareTable([
    { label: 'p=none', summary: summary(1_500_000_000, 'failed_midway') },
    { label: 'p=claim', summary: summary(0, 'ok') },
  ]);
  const rows = out.split('\n');
  assert.match(rows[2], /^p=none\s+0\s+0\s+1\s+1\.5s\s/);
  assert.match(rows[3], /^p=claim\s+1\s+0\s+0\s+-\s/);
  assert.match(out, /\nVerdict: p=claim does best: most launches finished, 1 of 1 against 0 of 1 for p=none\.\n/);
});

/** The scenario fields the run table reads: the policy, and whether the host has tmem. */
const scenarioWith = (tmem: boolean) => ({ toolstack: { policy: 'claim' }, host: { tmem: { enabled: tmem } } }) as Scenario;
const ON = scenarioWith(true);

test('run table: tmem evictions with thousands separators, like every other count', () => {
  const s = summary(0, 'ok');
  s.tmem.evictions = 297639;
  const out = runTable(s, ON);
  assert.match(out, /\ntmem: .*, 297,639 evictions, /);
});

test('run table: a host without tmem says so, not a tmem of zeros', () => {
  const s = summary(0, 'ok');
  assert.match(runTable(s, ON), /\ntmem: ephemeral max 0 MiB, persistent max 0 MiB, 0 evictions, dedup ×1, compression ×1\n$/);
  const off = runTable(s, scenarioWith(false));
  assert.match(off, /\ntmem: off on this host\n$/);
  assert.doesNotMatch(off, /evictions|dedup/);
});

test('run table: a launch still building when the run ends says so, as the report does', () => {
  const out = runTable(summary(0, 'building'), ON);
  assert.match(out, /\nl +40 KiB +still building +/);
  assert.doesNotMatch(out, / {2}building /, "not the raw outcome");
});

/** A terminal table's body cells by column (the spans of the dash line under the header), trimmed. */
function columns(out: string, title: string): { head: string; cells: string[] }[] {
  const lines = out.slice(out.indexOf(title)).split('\n');
  const start = lines.findIndex((l) => /^-+( +-+)*$/.test(l));
  const spans = [...lines[start].matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length]);
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    body.push(l);
  }
  return spans.map(([a, b]) => ({ head: lines[start - 1].slice(a, b).trim(), cells: body.map((l) => l.slice(a, b)) }));
}

/** Every column of numbers (each cell a number or "-"): right-aligned, in one unit with one number of decimals. */
function assertColumnsLineUp(out: string, title: string): number {
  let checked = 0;
  for (const { head, cells } of columns(out, title).slice(1)) {
    const values = cells.filter((c) => c.trim() !== '-');
    if (values.length < 2 || !values.every((c) => NUMBER.test(c.trim()))) continue;
    checked++;
    assertOneForm(values.map((c) => c.trim()), `${title}, ${head}`);
    for (const c of cells) assert.equal(c, c.trimEnd().padStart(c.length), `${title}, ${head}: "${c}" is right-aligned`);
  }
  return checked;
}

test('run table: every column of numbers in one unit with one number of decimals; the slashes of hits/gets line up', () => {
  const GIB = 262144;
  const s = summary(0, 'ok');
  s.launches.push({ ...s.launches[0], name: 'm', requested_pages: 512 * 256 }, { ...s.launches[0], name: 'g', requested_pages: 2 * GIB });
  const guest = (name: string, ramPages: number, hits: number, gets: number): Summary['guests'][number] => ({
    name,
    cleancache: { puts: 0, gets, hits },
    frontswap: { stores: 0, loads: 0, rejects: 0 },
    disk: { file_reads: 0, file_writes: 0, swap_reads: 0, swap_writes: 0, busy_ns: 0 },
    workingset: { refaults: 0, activations: 0 },
    oom_events: 0,
    ram_pages_mean: ramPages,
  });
  s.guests = [guest('a', 1.5 * GIB, 10025, 157702), guest('b', 12 * GIB, 2, 63655), guest('c', 851 * 256, 0, 0)];
  const out = runTable(s, ON);
  assert.ok(assertColumnsLineUp(out, '\nLaunches\n') >= 4);
  assert.ok(assertColumnsLineUp(out, '\nGuests\n') >= 6);
  // One unit per column, the values' meaning kept: 40 KiB (not zero), 512 MiB and 2 GiB; 1.5 GiB, 12 GiB and 851 MiB.
  assert.deepEqual(columns(out, '\nLaunches\n')[1].cells.map((c) => c.trim()), ['<0.01 GiB', '0.50 GiB', '2.00 GiB']);
  const guests = columns(out, '\nGuests\n');
  assert.deepEqual(guests[1].cells.map((c) => c.trim()), ['1.50 GiB', '12.00 GiB', '0.83 GiB']);
  assert.deepEqual(guests[2].cells.map((c) => c.trim()), ['10,025/157,702', '2/ 63,655', '0/      0']);
  assert.equal(new Set(guests[2].cells.map((c) => c.indexOf('/'))).size, 1, 'the slashes line up');
  assert.deepEqual(guests[3].cells.map((c) => c.trim()), ['6.4%', '0.0%', '-']);
});

test('compare table: lowest free in one unit for every variant, so that it lines up', () => {
  const a = summary(0, 'ok');
  const b = summary(1_500_000_000, 'failed_midway');
  b.host.min_free_pages = 1.5 * 262144;
  const out = compareTable([
    { label: 'p=a', summary: a },
    { label: 'p=b', summary: b },
  ]);
  assert.ok(assertColumnsLineUp(out, 'variant') >= 5);
  assert.deepEqual(columns(out, 'variant').find((c) => c.head === 'lowest free')?.cells.map((c) => c.trim()), ['0.0 GiB', '1.5 GiB']);
});

test('run and compare tables: write-backs have a column beside the file reads (disk I/O as much as they are; found by review)', () => {
  const s = summary(0, 'ok');
  s.guests = [
    {
      name: 'a',
      cleancache: { puts: 0, gets: 0, hits: 0 },
      frontswap: { stores: 0, loads: 0, rejects: 0 },
      disk: { file_reads: 1000, file_writes: 1234, swap_reads: 5, swap_writes: 7, busy_ns: 0 },
      workingset: { refaults: 0, activations: 0 },
      oom_events: 0,
      ram_pages_mean: 0,
    },
  ];
  const cell = (cols: { head: string; cells: string[] }[], head: string): string[] | undefined => cols.find((c) => c.head === head)?.cells.map((c) => c.trim());
  const guests = columns(runTable(s, ON), '\nGuests\n');
  assert.deepEqual(guests.map((c) => c.head).slice(6, 10), ['file reads', 'write-backs', 'swap-ins', 'swap-outs']);
  assert.deepEqual(cell(guests, 'write-backs'), ['1,234']);
  const compare = columns(compareTable([{ label: 'p=a', summary: s }]), 'variant');
  assert.deepEqual(compare.map((c) => c.head).slice(6, 9), ['file reads', 'write-backs', 'swap I/O']);
  assert.deepEqual(cell(compare, 'write-backs'), ['1,234']);
});

test('run and compare tables: a guest setup that did less than asked gets a note, as the report\'s story says', () => {
  const s = summary(0, 'ok');
  const events = [
    { timeNs: 0, kind: 'guest_start', guest: 'a', selfballoon: 'off: no frontswap' },
    { timeNs: 0, kind: 'guest_start', guest: 'b', selfballoon: 'off: no frontswap' },
    { timeNs: 0, kind: 'guest_start', guest: 'c', tmem: 'ENODEV' },
    { timeNs: 0, kind: 'guest_start', guest: 'd' },
  ];
  const run = runTable(s, scenarioWith(false), events);
  assert.match(run, /\ntmem: off on this host\nnote: 1 guest is set up for tmem on a host without it \(c\): its tmem pools were refused \(ENODEV\), so frontswap stores went to the swap disk and cleancache kept nothing\.\n/);
  assert.match(run, /\nnote: 2 guests have selfballoon\.enabled without frontswap \(a, b\): self-ballooning needs the guest's frontswap \(which follows the host's tmem unless set\), so they did not self-balloon\.\n$/);
  // Without such guests, or without the events: no note.
  assert.doesNotMatch(runTable(s, ON, events.slice(3)), /note/);
  assert.doesNotMatch(runTable(s, ON), /note/);
  const cmp = compareTable([
    { label: 'sb=on', summary: s, events: events.slice(0, 2) },
    { label: 'sb=off', summary: s, events: [] },
  ]);
  assert.match(cmp, /\nnote \(sb=on\): 2 guests with selfballoon\.enabled but no frontswap \(not self-ballooning\)\.\n/);
  assert.doesNotMatch(cmp, /note \(sb=off\)/);
  // Over seeds (compare --seeds) too: each guest once, whichever seeds started it (e only on the second).
  const late = { timeNs: 5e9, kind: 'guest_start', guest: 'e', selfballoon: 'off: no frontswap' };
  const seeds = compareSeedsTable(
    [
      { label: 'sb=on', runs: [s, { ...s, seed: 1 }] },
      { label: 'sb=off', runs: [s, { ...s, seed: 1 }] },
    ],
    [[events.slice(0, 2), [...events.slice(0, 2), late]], [[], []]],
  );
  assert.match(seeds, /\nnote \(sb=on\): 3 guests with selfballoon\.enabled but no frontswap \(not self-ballooning\)\.\n/);
  assert.doesNotMatch(seeds, /note \(sb=off\)/);
});
