// What a person reads in the terminal after a run: launch outcomes and, per
// guest, hit rates and I/O, in aligned columns.

import type { Scenario } from '../scenario/types.ts';
import { launchCount, unfinished, type LoggedEvent, type Summary } from '../sim/metrics.ts';
import { fmtSize, sizeColumn } from './series.ts';
import { seedRange, seedsTable, type SeedsVariant } from './seeds.ts';
import { RANKING_NOTE, SEEDS_NOTE, seedsVerdictLead, verdictLead } from './verdict.ts';
import { setupNotes, setupNotesShort } from './notes.ts';

function fmtSeconds(ns: number): string {
  return ns < 0 ? '-' : `${(ns / 1e9).toFixed(1)}s`;
}

/** Build time wasted: '-' when none (as the report's tables). */
function fmtWasted(ns: number): string {
  return ns > 0 ? fmtSeconds(ns) : '-';
}

const OUTCOMES: Record<string, string> = { ok: 'ok', failed_fast: 'failed fast', failed_midway: 'failed mid-way', abandoned: 'abandoned', building: 'still building', queued: 'still queued' };

const UNFINISHED_NOTE = '(unfinished: launches still building, or still queued, when the run ended)';

/** A count with thousands separators: 1234567 → "1,234,567". */
function grouped(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function pct(num: number, den: number): string {
  return den === 0 ? '-' : `${((100 * num) / den).toFixed(1)}%`;
}

/** Left-aligns the first column and columns of words, right-aligns columns of numbers (cells starting, after any padding, with a digit, "-" or "<"). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = header.map((_, i) => i > 0 && rows.every((r) => /^ *[-\d<]/.test(r[i])));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/**
 * The run's tables; `events` (the run's log) adds a note for each guest setup
 * that did less than the scenario asked (src/report/notes.ts), as the
 * report's story says.
 */
export function runTable(s: Summary, scenario: Scenario, events: readonly LoggedEvent[] = []): string {
  const out: string[] = [];
  out.push(`${s.scenario}: ${fmtSeconds(s.sim_time_ns)} simulated, seed ${s.seed}, policy ${scenario.toolstack.policy}, ${s.events} events` +
    (s.invariant_checks > 0 ? `, ${s.invariant_checks} invariant check${s.invariant_checks === 1 ? '' : 's'}` : '') +
    (s.invariant_violations > 0 ? `, ${s.invariant_violations} INVARIANT VIOLATIONS` : '') + '\n');
  out.push(`host ${fmtSize(s.host.total_pages)}: lowest free ${fmtSize(s.host.min_free_pages)} (first at ${fmtSeconds(s.host.min_free_at_ns)}), most claimed at once ${fmtSize(s.host.max_outstanding_pages)}\n`);
  if (s.launches.length > 0) {
    out.push('\nLaunches\n');
    // Sizes (as every column of sizes): one unit and one number of decimals for the column, so that they line up.
    const size = sizeColumn(s.launches.map((l) => l.requested_pages));
    out.push(table(
      ['guest', 'size', 'outcome', 'requested', 'started', 'ended', 'wasted build'],
      s.launches.map((l) => [
        l.name,
        size(l.requested_pages),
        OUTCOMES[l.outcome] ?? l.outcome,
        fmtSeconds(l.request_ns),
        // A launch refused before building started nothing (as the report's table; summary.json has the refusal's time).
        l.outcome === 'failed_fast' ? '-' : fmtSeconds(l.start_ns),
        fmtSeconds(l.end_ns),
        fmtWasted(l.wasted_build_ns),
      ]),
    ));
  }
  if (s.guests.length > 0) {
    out.push('\nGuests\n');
    const ram = sizeColumn(s.guests.map((g) => g.ram_pages_mean));
    // Hits and gets padded to their widths, so that the slashes line up too.
    const hitsW = Math.max(...s.guests.map((g) => grouped(g.cleancache.hits).length));
    const getsW = Math.max(...s.guests.map((g) => grouped(g.cleancache.gets).length));
    out.push(table(
      ['guest', 'mean RAM', 'cleancache hits/gets', 'hit rate', 'frontswap stores', 'rejects', 'file reads', 'write-backs', 'swap-ins', 'swap-outs', 'OOM'],
      s.guests.map((g) => [
        g.name,
        ram(g.ram_pages_mean),
        `${grouped(g.cleancache.hits).padStart(hitsW)}/${grouped(g.cleancache.gets).padStart(getsW)}`,
        pct(g.cleancache.hits, g.cleancache.gets),
        grouped(g.frontswap.stores),
        grouped(g.frontswap.rejects),
        grouped(g.disk.file_reads),
        grouped(g.disk.file_writes),
        grouped(g.disk.swap_reads),
        grouped(g.disk.swap_writes),
        String(g.oom_events),
      ]),
    ));
  }
  const t = s.tmem;
  // Without tmem its figures are all zeros and ×1, which read as a tmem that stayed empty.
  if (!scenario.host.tmem.enabled) {
    out.push('\ntmem: off on this host\n');
  } else {
    out.push(`\ntmem: ephemeral max ${fmtSize(t.ephemeral_pages_max)}, persistent max ${fmtSize(t.persistent_pages_max)}, ${grouped(t.evictions)} evictions, dedup ×${ratio2(t.dedup_ratio)}, compression ×${ratio2(t.compression_ratio)}\n`);
  }
  for (const note of setupNotes(events)) out.push(`note: ${note}.\n`);
  return out.join('');
}

/** A ratio to two decimals, trailing zeros dropped (×1.96, ×1), as the other figures of the table are rounded; summary.json keeps four. */
function ratio2(x: number): string {
  return String(Number(x.toFixed(2)));
}

/** The comparison's table and verdict; a variant's `events` add a note line for each guest setup that did less than asked. */
export function compareTable(variants: { label: string; summary: Summary; events?: readonly LoggedEvent[] }[]): string {
  const lowest = sizeColumn(variants.map((v) => v.summary.host.min_free_pages));
  // Every launch is in one column: abandoned and unfinished ones (building or queued at the end) get theirs when any variant has one.
  const any = (f: (o: string) => boolean) => variants.some((v) => v.summary.launches.some((l) => f(l.outcome)));
  const showAbandoned = any((o) => o === 'abandoned');
  const showUnfinished = any(unfinished);
  const rows = variants.map(({ label, summary: s }) => {
    const count = (o: string | ((o: string) => boolean)) => String(launchCount(s, o));
    const sum = (f: (g: Summary['guests'][number]) => number) => grouped(s.guests.reduce((a, g) => a + f(g), 0));
    return [
      label,
      count('ok'),
      count('failed_fast'),
      count('failed_midway'),
      ...(showAbandoned ? [count('abandoned')] : []),
      ...(showUnfinished ? [count(unfinished)] : []),
      fmtWasted(s.launches.reduce((a, l) => a + l.wasted_build_ns, 0)),
      sum((g) => g.cleancache.hits),
      sum((g) => g.disk.file_reads),
      sum((g) => g.disk.file_writes),
      sum((g) => g.disk.swap_reads + g.disk.swap_writes),
      sum((g) => g.frontswap.stores),
      sum((g) => g.oom_events),
      lowest(s.host.min_free_pages),
    ];
  });
  const lead = verdictLead(variants);
  return (
    table(['variant', 'ok', 'failed fast', 'failed mid-way', ...(showAbandoned ? ['abandoned'] : []), ...(showUnfinished ? ['unfinished'] : []), 'wasted build', 'cleancache hits', 'file reads', 'write-backs', 'swap I/O', 'frontswap stores', 'OOM', 'lowest free'], rows) +
    (showUnfinished ? `${UNFINISHED_NOTE}\n` : '') +
    variantNotes(variants) +
    (lead === '' ? '' : `\nVerdict: ${lead}\n(${RANKING_NOTE})\n`)
  );
}

/** A note line per variant and guest setup that did less than asked (src/report/notes.ts), under a comparison's table. */
function variantNotes(variants: readonly { label: string; events?: readonly LoggedEvent[] }[]): string {
  return variants.flatMap((v) => setupNotesShort(v.events ?? []).map((n) => `note (${v.label}): ${n}.\n`)).join('');
}

/**
 * A comparison over seeds (`compare --seeds N`): per variant the means over
 * its runs and the seeds on which it does best, then the verdict over the
 * seeds; `events`, per
 * variant, every seed's run log, add the note lines compareTable gives (a
 * guest counted once however many seeds started it).
 */
export function compareSeedsTable(variants: SeedsVariant[], events: readonly (readonly (readonly LoggedEvent[])[])[] = []): string {
  const t = seedsTable(variants);
  const runs = variants[0].runs;
  const lead = seedsVerdictLead(
    variants.map((v) => v.label),
    variants.map((v) => v.runs),
  );
  return (
    `Over ${runs.length} seeds (${seedRange(runs)}): means per run (lowest free: the lowest of any run)\n` +
    table(t.head, t.rows) +
    (t.head.includes('unfinished') ? `${UNFINISHED_NOTE}\n` : '') +
    variantNotes(variants.map((v, i) => ({ label: v.label, events: firstStarts(events[i] ?? []) }))) +
    (lead === '' ? '' : `\nVerdict: ${lead}\n(${SEEDS_NOTE})\n`)
  );
}

/** The guest_start events of several runs, one per guest (the first): the seeds of a variant start the same guests, with the same setup. */
function firstStarts(runs: readonly (readonly LoggedEvent[])[]): LoggedEvent[] {
  const seen = new Set<string>();
  const starts: LoggedEvent[] = [];
  for (const events of runs) {
    for (const e of events) {
      if (e.kind !== 'guest_start' || seen.has(String(e.guest))) continue;
      seen.add(String(e.guest));
      starts.push(e);
    }
  }
  return starts;
}
