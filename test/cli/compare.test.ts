// `hypermem compare` (and `run`) end to end: what the terminal tables account for.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hypermem } from './spawn.ts';

// Three 1 GiB launches near the end of a 9.5 s run: under `reservation`, a
// finishes, b is still building (9 s to 10 s) and c still queued behind it;
// under `none` and `claim` all three build at once and c (asked at 9 s) is
// still building.
const late = join(mkdtempSync(join(tmpdir(), 'hypermem-compare-')), 'late.yaml');
writeFileSync(
  late,
  `name: late
seed: 1
duration: 9500ms
host: {memory: 4GiB}
dom0: {memory: 512MiB}
toolstack: {policy: reservation, build_rate: 1GiB/s, build_batch: 64MiB}
timeline:
  - at: 8s
    launch: {name: a, memory: 1GiB}
  - at: 8s
    launch: {name: b, memory: 1GiB}
  - at: 9s
    launch: {name: c, memory: 1GiB}
`,
);

/** The table's rows by their first cell: each cell under its header. */
function rows(out: string): Map<string, Record<string, string>> {
  const lines = out.split('\n');
  const head = lines[0];
  const rule = lines[1];
  // Columns are where the rule's dashes are.
  const spans = [...rule.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cell = (line: string, [a, b]: readonly [number, number]) => line.slice(a, b).trim();
  const names = spans.map((s) => cell(head, s));
  const out_ = new Map<string, Record<string, string>>();
  for (const line of lines.slice(2)) {
    if (!/^\S/.test(line) || line.startsWith('(')) break;
    out_.set(cell(line, spans[0]), Object.fromEntries(names.map((n, i) => [n, cell(line, spans[i])])));
  }
  return out_;
}

describe('hypermem compare: the terminal table accounts for every launch', () => {
  test('launches still building or queued at the end have a column, so each row adds up to the launches', () => {
    const r = hypermem(['compare', late, '--set', 'toolstack.policy=none,claim,reservation', '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    const t = rows(r.stdout);
    assert.deepEqual([...t.keys()], ['toolstack.policy=none', 'toolstack.policy=claim', 'toolstack.policy=reservation']);
    assert.deepEqual(
      [...t.values()].map((row) => [row.ok, row['failed fast'], row['failed mid-way'], row.unfinished]),
      [
        ['2', '0', '0', '1'],
        ['2', '0', '0', '1'],
        ['1', '0', '0', '2'],
      ],
    );
    assert.match(r.stdout, /\n\(unfinished: launches still building, or still queued, when the run ended\)\n/);
  });

  test('the report\'s comparison table has the same column (one seed)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hypermem-compare-out-')), 'out');
    const r = hypermem(['compare', late, '--set', 'toolstack.policy=none,reservation', '--jobs', '1', '--quiet', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const table = html.slice(html.indexOf('<tr><th>variant</th>'));
    const heads = [...table.slice(0, table.indexOf('</tr>')).matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    assert.deepEqual(heads.slice(0, 6), ['variant', 'launches ok', 'failed fast', 'failed mid-way', 'unfinished', 'wasted build']);
    const row = (label: string) => {
      const tr = table.slice(table.indexOf(`<b>${label}</b>`));
      return [...tr.slice(0, tr.indexOf('</tr>')).matchAll(/<td[^>]*>(?:<span[^>]*>)?([^<]*)/g)].map((m) => m[1]).slice(0, 4);
    };
    assert.deepEqual(row('toolstack.policy=none'), ['2 / 3', '0', '0', '1']);
    assert.deepEqual(row('toolstack.policy=reservation'), ['1 / 3', '0', '0', '2']);
  });

  test('over seeds too: the means of the unfinished launches', () => {
    const r = hypermem(['compare', late, '--set', 'toolstack.policy=none,reservation', '--seeds', '2', '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    const t = rows(r.stdout.slice(r.stdout.indexOf('\n') + 1));
    assert.equal(t.get('toolstack.policy=none')?.unfinished, '1');
    assert.equal(t.get('toolstack.policy=reservation')?.unfinished, '2');
    assert.equal(t.get('toolstack.policy=reservation')?.ok, '1');
  });

  test('launches abandoned (the toolstack died while building) have a column too', () => {
    const r = hypermem(['compare', late, '--set', 'toolstack.policy=none,reservation', '--set', 'timeline[2]={at: 9s, toolstack_dies: {guest: b}}', '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      [...rows(r.stdout).values()].map((row) => [row.ok, row.abandoned, row.unfinished]),
      [
        ['1', '1', undefined],
        ['1', '1', undefined],
      ],
    );
  });

  test('no column when every launch finished', () => {
    const r = hypermem(['compare', late, '--set', 'toolstack.policy=none,claim', '--set', 'duration=12s', '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /unfinished|abandoned/);
    assert.deepEqual([...rows(r.stdout).values()].map((row) => row.ok), ['3', '3']);
  });

  test("run's launches table names a launch still queued in words", () => {
    const r = hypermem(['run', late]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\nb +1 GiB +still building +8\.0s +9\.0s +- +-\n/);
    assert.match(r.stdout, /\nc +1 GiB +still queued +9\.0s +- +- +-\n/);
  });
});

describe('hypermem compare: white space around the compared values', () => {
  /** Each run's variant label and overrides, from --json. */
  function labels(set: string): [string, string[]][] {
    const r = hypermem(['compare', late, '--set', set, '--set', 'duration=8500ms', '--jobs', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { variant: string; overrides: string[] }[]).map((s) => [s.variant, s.overrides]);
  }

  test('is trimmed: the label and overrides read as run --set path=value', () => {
    assert.deepEqual(labels('toolstack.policy=none, claim ,reservation'), [
      ['toolstack.policy=none', ['duration=8500ms', 'toolstack.policy=none']],
      ['toolstack.policy=claim', ['duration=8500ms', 'toolstack.policy=claim']],
      ['toolstack.policy=reservation', ['duration=8500ms', 'toolstack.policy=reservation']],
    ]);
    // Flow mappings, and spaces around the path.
    assert.deepEqual(
      labels(' host.tmem = {enabled: true}, {enabled: true, dedup: true}').map(([v]) => v),
      ['host.tmem={enabled: true}', 'host.tmem={enabled: true, dedup: true}'],
    );
  });

  test('spaces inside a value, and inside quotes, are kept', () => {
    assert.deepEqual(
      labels("description='a b', ' c, d '").map(([v]) => v),
      ["description='a b'", "description=' c, d '"],
    );
  });
});
