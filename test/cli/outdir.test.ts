// The --out folder rules (src/cli/outdir.ts), in-process: what is replaced, what is refused, and that a refusal touches nothing.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/cli/errors.ts';
import { checkOutDir, isHypermemOutput, writeOut } from '../../src/cli/outdir.ts';

const RUN_SUMMARY = JSON.stringify({ scenario: 's', seed: 1, sim_time_ns: 1, launches: [] });

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && message.test(e.message));
}

/** Every file under `dir` with its contents, for "nothing changed". */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[join(e.parentPath ?? e.path, e.name)] = readFileSync(join(e.parentPath ?? e.path, e.name), 'utf8');
  }
  return out;
}

describe('--out folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'hypermem-outdir-'));

  test('a folder whose names match but whose summary.json is not hypermem\'s is refused and left alone', () => {
    const site = join(root, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'summary.json'), '{"mine":true}');
    writeFileSync(join(site, 'index.html'), '<p>my site</p>');
    const before = snapshot(site);
    assert.equal(isHypermemOutput(site), false);
    refused(() => writeOut(site, { 'summary.json': RUN_SUMMARY }), /not a hypermem output folder/);
    assert.deepEqual(snapshot(site), before);
    // Not JSON at all, or a sweep description without its fields: not ours either.
    writeFileSync(join(site, 'summary.json'), 'not json');
    assert.equal(isHypermemOutput(site), false);
    writeFileSync(join(site, 'summary.json'), '{"sweep":{}}');
    assert.equal(isHypermemOutput(site), false);
  });

  test('hypermem\'s own folders (run, comparison, sweep) and empty folders are replaced', () => {
    for (const [name, summary] of [
      ['run', RUN_SUMMARY],
      ['cmp', JSON.stringify([{ variant: 'a=1', ...JSON.parse(RUN_SUMMARY) }])],
      ['sweep', JSON.stringify({ sweep: { grid: [], runs: 2 } })],
    ]) {
      const d = join(root, name);
      writeOut(d, { 'summary.json': summary, 'events.jsonl': 'old' });
      assert.equal(isHypermemOutput(d), true, name);
      writeOut(d, { 'summary.json': summary, 'report.html': 'new' });
      assert.deepEqual(readdirSync(d).sort(), ['report.html', 'summary.json'], `${name}: the old files are gone`);
    }
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeOut(empty, { 'summary.json': RUN_SUMMARY });
    assert.deepEqual(readdirSync(empty), ['summary.json']);
    // No temporary or set-aside folder is left beside them.
    assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.')), []);
  });

  test('a symbolic link is refused; so is a folder that stopped being hypermem\'s after the check', () => {
    const real = join(root, 'real');
    writeOut(real, { 'summary.json': RUN_SUMMARY });
    const link = join(root, 'link');
    symlinkSync(real, link);
    refused(() => checkOutDir(link), /is a symbolic link; give the folder itself/);
    // Checked before the run, then someone adds a file: the write refuses and keeps it.
    assert.equal(checkOutDir(real), real);
    writeFileSync(join(real, 'notes.txt'), 'mine');
    refused(() => writeOut(real, { 'summary.json': RUN_SUMMARY }), /not a hypermem output folder/);
    assert.equal(readFileSync(join(real, 'notes.txt'), 'utf8'), 'mine');
  });
});
