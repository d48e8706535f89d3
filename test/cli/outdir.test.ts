// The --out folder rules (src/cli/outdir.ts), in-process: what is replaced, what is refused, and that a refusal touches nothing.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
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
  test('a place where no folder can be made is refused before the run, and leaves nothing behind', () => {
    // /proc: its mode has no write bit (root could otherwise try; mkdir would fail there too).
    refused(() => checkOutDir('/proc/hypermem-no-such/x'), /\/proc is read-only \(no write bit\)/);
    const dir = join(root, 'probe');
    mkdirSync(dir);
    checkOutDir(join(dir, 'a', 'b'));
    assert.deepEqual(readdirSync(dir), [], 'the probe folder is gone');
  });

  test('a name too long for the folder written beside it is refused before the run; the message shows the end of a long path', () => {
    const name = (n: number): string => join(root, 'x'.repeat(n));
    // The output goes to ".NAME.tmp-XXXXXX" first, an old output aside to ".NAME.old-PID-I":
    // up to 17 bytes more than NAME, within NAME_MAX (255).
    refused(() => checkOutDir(name(239)), /^--out …x{59}: the folder's name is 239 bytes long; at most 238 /);
    refused(() => checkOutDir(join(name(256), 'out')), /a name in the path is 256 bytes long; at most 255/);
    assert.equal(checkOutDir(name(238)), name(238));
    writeOut(name(238), { 'summary.json': RUN_SUMMARY });
    writeOut(name(238), { 'summary.json': RUN_SUMMARY }); // replacing it moves the old one aside
    assert.deepEqual(readdirSync(name(238)), ['summary.json']);
    // Bytes, not characters: 60 two-byte and 42 three-byte characters are 246 bytes.
    refused(() => checkOutDir(join(root, 'é'.repeat(60) + '€'.repeat(42))), /is 246 bytes long; at most 238/);
  });

  test('a path too long for its files (PATH_MAX) is refused before the run, counting the folder beside it and the longest file name', () => {
    // A folder whose absolute path is `bytes` long, under folders of 250-byte names.
    const deep = join(root, 'deep');
    mkdirSync(deep);
    let at = deep;
    while (Buffer.byteLength(at) + 251 < 3900) {
      at = join(at, 'a'.repeat(250));
      mkdirSync(at);
    }
    at = join(at, 'b'.repeat(3900 - Buffer.byteLength(at) - 1));
    mkdirSync(at);
    const path = (bytes: number): string => join(at, 'x'.repeat(bytes - 3901));
    // 4095 bytes at most, less the name beside it (17 more) and "/timeseries.csv" (15): 4063.
    assert.equal(checkOutDir(path(4063)), path(4063));
    refused(() => checkOutDir(path(4064)), /^--out …x{59}: the folder's absolute path is 4064 bytes long; at most 4063 \(a path has at most 4095 bytes, PATH_MAX; .* its longest file name, timeseries\.csv, adds 15\)$/);
    // Near and beyond PATH_MAX itself: the same message, not "cannot be examined (ENAMETOOLONG)".
    for (const bytes of [4090, 4095, 4096]) refused(() => checkOutDir(path(bytes)), new RegExp(`absolute path is ${bytes} bytes long; at most 4063 `));
    // The names given count: a comparison's 12th run writes 12-timeseries.csv.
    assert.equal(checkOutDir(path(4060), ['summary.json', '12-timeseries.csv']), path(4060));
    refused(() => checkOutDir(path(4061), ['summary.json', '12-timeseries.csv']), /at most 4060 .*12-timeseries\.csv, adds 18\)$/);
    assert.equal(checkOutDir(path(4065), ['summary.json', 'results.json']), path(4065));
    // writeOut checks the names it writes, and leaves nothing.
    refused(() => writeOut(path(4064), { 'summary.json': RUN_SUMMARY, 'timeseries.csv': '' }), /absolute path is 4064 bytes long; at most 4063 /);
    writeOut(path(4063), { 'summary.json': RUN_SUMMARY, 'timeseries.csv': '' });
    writeOut(path(4063), { 'summary.json': RUN_SUMMARY, 'timeseries.csv': '' }); // replaced: the old one moved aside and removed there
    assert.deepEqual(readdirSync(path(4063)).sort(), ['summary.json', 'timeseries.csv']);
    assert.deepEqual(readdirSync(at).filter((n) => n.startsWith('.')), [], 'no temporary or moved-aside folder left');
    // An old output's own files count too (they are removed from the folder moved aside): one made by hand here.
    mkdirSync(path(4062));
    writeFileSync(join(path(4062), 'summary.json'), RUN_SUMMARY);
    writeFileSync(join(path(4062), '1000-events.jsonl'), '');
    refused(() => checkOutDir(path(4062), ['summary.json']), /at most 4060 .*1000-events\.jsonl, adds 18\)$/);
  });

  test('a read-only folder is refused even when empty, and even for root (the mode bits say keep)', () => {
    const dir = join(root, 'ro');
    mkdirSync(dir, { mode: 0o555 });
    chmodSync(dir, 0o555);
    refused(() => checkOutDir(dir), /read-only/);
    assert.equal(statSync(dir).mode & 0o777, 0o555, 'the folder is left as it was');
    // One level deeper: the folder would be made inside the read-only one; refused the same way.
    refused(() => checkOutDir(join(dir, 'sub', 'deeper')), /ro is read-only \(no write bit\)/);
    assert.deepEqual(readdirSync(dir), [], 'nothing was made in it');
  });

  test('a mount point (a tmpfs, a bind mount) is refused before the run (it cannot be moved aside and replaced); a folder inside it is fine', (t) => {
    const dir = join(root, 'mnt');
    mkdirSync(dir);
    // Needs a tmpfs mount (root with CAP_SYS_ADMIN, as in CI); elsewhere there is nothing to check.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'none', dir]);
    if (mounted.status !== 0) {
      t.skip('cannot mount a tmpfs here');
      return;
    }
    try {
      refused(() => checkOutDir(dir), /the folder is a mount point, which hypermem cannot replace .*; give a folder inside it$/);
      assert.equal(checkOutDir(join(dir, 'inside')), join(dir, 'inside'));
    } finally {
      spawnSync('umount', [dir]);
    }
    // A bind mount of the same filesystem (the same device as its parent), under a name with a space (octal in mountinfo).
    const source = join(root, 'bind-source');
    const bound = join(root, 'bind target');
    mkdirSync(source);
    mkdirSync(bound);
    if (spawnSync('mount', ['--bind', source, bound]).status !== 0) return;
    try {
      assert.equal(statSync(bound).dev, statSync(root).dev);
      refused(() => checkOutDir(bound), /the folder is a mount point/);
      assert.equal(checkOutDir(source), source);
    } finally {
      spawnSync('umount', [bound]);
    }
  });

  test('a signal during the write waits for it: the folder is written in full, then the process stops', () => {
    const dir = join(root, 'signalled');
    const script = [
      `import { writeOut } from ${JSON.stringify(join(process.cwd(), 'src/cli/outdir.ts'))};`,
      // A first write takes over the signals; the second runs with a SIGINT pending, as one sent mid-write.
      `writeOut(${JSON.stringify(join(root, 'first'))}, { 'summary.json': ${JSON.stringify(RUN_SUMMARY)} });`,
      `process.kill(process.pid, 'SIGINT');`,
      `writeOut(${JSON.stringify(dir)}, { 'summary.json': ${JSON.stringify(RUN_SUMMARY)}, 'events.jsonl': 'x'.repeat(1 << 20) });`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    // Killed at once, the second folder would be missing or half written. The
    // signal is handled after the write; whether it is before the process ends
    // on its own depends on the event loop, so both endings are right.
    assert.ok(r.status === 130 || r.status === 0, `status ${r.status}: ${r.stderr}`);
    if (r.status === 130) assert.match(r.stderr, /stopped by SIGINT; --out .* had been written in full/);
    assert.deepEqual(readdirSync(dir).sort(), ['events.jsonl', 'summary.json']);
    assert.equal(readFileSync(join(dir, 'events.jsonl'), 'utf8').length, 1 << 20);
    assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.signalled')), [], 'no temporary or moved-aside folder left');
  });
});
