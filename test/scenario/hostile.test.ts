// Hostile scenario input (issue 8): each case is refused with one located
// line, never a stack trace, never a hang; the only error that leaves
// loadScenario for bad input is ScenarioError.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { loadScenario, MAX_SCENARIO_BYTES, parseScenario, ScenarioError } from '../../src/scenario/load.ts';
import { aliasTargets, expandedSize, lexicalValueCount } from '../../src/scenario/yaml-checks.ts';

const TOO_MANY_VALUES = 'more than 250,000 YAML values (keys, values and list items, each alias counted as the value it names): too large for a scenario; a long series belongs in a trace file (docs/scenario.md)';

const dir = mkdtempSync(join(tmpdir(), 'hypermem-hostile-'));
const VALID = 'duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: web\n    count: 2\n    memory: 4GiB\n';

function write(name: string, content: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The message of the ScenarioError that loading `file` throws, without the file name. */
function refusal(file: string): string {
  try {
    loadScenario(file);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(file), e.message);
    return e.message.slice(file.length);
  }
  assert.fail(`${file} was accepted`);
}

describe('files that are not scenarios', () => {
  const cases: [string, () => string, string][] = [
    ['a missing file', () => join(dir, 'nope.yaml'), ': no such file'],
    ['a missing folder', () => join(dir, 'nope', 'x.yaml'), ': no such file'],
    ['a directory', () => (mkdirSync(join(dir, 'folder.yaml'), { recursive: true }), join(dir, 'folder.yaml')), ': is a directory, not a scenario file'],
    ['an empty file', () => write('empty.yaml', ''), ': empty scenario'],
    ['blank lines', () => write('blank.yaml', '\n  \n\t\n'), ': empty scenario'],
    ['only comments', () => write('comments.yaml', '# a\n# b\n'), ': empty scenario'],
    ['only a document marker', () => write('marker.yaml', '---\n'), ': empty scenario'],
    ['NUL bytes', () => write('nul.yaml', Buffer.from('duration: 10m\0\nhost: {}\n')), ': not a text file (a NUL byte at offset 13)'],
    ['a binary blob', () => write('blob.bin', Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff)), ': not a text file (a NUL byte at offset 219)'],
    ['invalid UTF-8', () => write('latin1.yaml', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a])), ': not a text file (not valid UTF-8)'],
    ['a list at the top', () => write('list.yaml', '- a\n- b\n'), ':1:1: expected a mapping at the top level (duration:, host:, guests: …), found a list'],
    ['a number at the top', () => write('num.yaml', '42\n'), ':1:1: expected a mapping at the top level (duration:, host:, guests: …), found 42'],
    ['null at the top', () => write('null.yaml', 'null\n'), ': empty scenario'],
    // '-' is standard input for replay, not for a scenario (unless a file is called that).
    ['standard input', () => '-', ': a scenario is read from a file, not from standard input; save it to a file and give its path'],
  ];
  for (const [what, make, expected] of cases) test(what, () => assert.equal(refusal(make()), expected));

  test('a file over the size bound', () => {
    const file = write('huge.yaml', `${VALID}# ${'x'.repeat(MAX_SCENARIO_BYTES)}\n`);
    assert.equal(refusal(file), ': too large for a scenario file (4194395 B; at most 4194304 B)');
  });

  test('a UTF-8 BOM and CRLF line ends are fine', () => {
    const file = write('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VALID.replaceAll('\n', '\r\n'))]));
    assert.equal(loadScenario(file).guests.length, 2);
  });
});

describe('hostile YAML', () => {
  test('very deep flow nesting', () => {
    const depth = 20_000;
    const file = write('deep-flow.yaml', `duration: 10m\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    assert.match(refusal(file), /^:2:\d+: nested too deeply \(at most 64 levels\)$/);
  });

  test('deep block nesting below the parser limit is capped at 64 levels', () => {
    const lines = Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k${i}:`);
    const file = write('deep-block.yaml', `duration: 10m\n${lines.join('\n')} 1\n`);
    const message = refusal(file);
    assert.match(message, /^:66:\d+: k0\.k1\.k2\.k3…: nested too deeply \(at most 64 levels\)$/);
  });

  test('deep block nesting of lists', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}-`);
    const file = write('deep-seq.yaml', `${lines.join('\n')} 1\n`);
    assert.match(refusal(file), /nested too deeply|expected a mapping at the top level/);
  });

  test('an alias bomb (billion laughs)', () => {
    let text = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    const started = process.hrtime.bigint();
    assert.equal(refusal(write('bomb.yaml', text)), `: ${TOO_MANY_VALUES}`);
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, 'refused quickly');
  });

  test('a long list named by many aliases: refused before anything walks the values', () => {
    // 99 aliases of a list of 3,000 items: 300,000 values to every step that follows aliases, from a 10 KB file.
    const text = `duration: 2s\nhost: {memory: 1GiB}\nguests:\n  - name: web\n    memory: 64MiB\n    swap: &a [${Array(3000).fill(1).join(',')}]\ntimeline: [${Array(99).fill('*a').join(', ')}]\n`;
    assert.equal(refusal(write('wide.yaml', text)), `: ${TOO_MANY_VALUES}`);
    // Under the cap, the same shape reaches the schema, which names the field.
    const fewer = text.replace(/\[(1,)+1\]/, '[1,1]');
    assert.match(refusal(write('wide-ok.yaml', fewer)), /^:6:14: guests\[0\]\.swap: expected a size such as 2GiB, found a list/);
  });

  test('a file of a million values is refused on its tokens, before the document is built', () => {
    // 1.8 MB: building this document takes seconds; its tokens pass the cap in the first seventh.
    const text = `duration: 2s\nhost: {memory: 1GiB}\nx: [${Array(900_000).fill(1).join(',')}]\n`;
    assert.equal(lexicalValueCount(text, 250_001), 250_001, 'the count stops at the cap');
    assert.equal(refusal(write('million.yaml', text)), `: ${TOO_MANY_VALUES}`);
  });

  test('the count on the tokens is never more than the values of the document', () => {
    // Any text yaml writes for a tree of values, in block and flow style, with
    // shared subtrees written once and named by aliases, and the same text cut short.
    const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }), fc.string({ unit: fc.constantFrom('a', ' ', ':', ',', '#', '-', '\n', '"', "'", '[', '{'), maxLength: 10 }));
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(
      fc.property(tree, fc.boolean(), fc.nat(), (value, flow, cut) => {
        const shared = { top: value, again: value, list: [value, value] };
        for (const v of [value, shared]) {
          const full = stringify(v, flow ? { collectionStyle: 'flow' } : {});
          for (const text of [full, full.slice(0, cut % (full.length + 1))]) {
            const doc = parseDocument(text);
            if (doc.errors.length > 0) continue;
            const lexical = lexicalValueCount(text, Infinity);
            assert.ok(lexical <= expandedSize(doc), `${lexical} tokens > ${expandedSize(doc)} values in ${JSON.stringify(text)}`);
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
    // A scalar whose text is the lexer's own scalar marker (U+001F) is one value, not two.
    const marker = 'a: \x1f\nb: \x1f\n';
    assert.equal(lexicalValueCount(marker, Infinity), 4);
    assert.equal(expandedSize(parseDocument(marker)), 5);
  });

  test('the values an alias names are counted as often as it is used, and anchors named again are followed', () => {
    const doc = parseDocument('a: &x [1, 2]\nb: *x\nc: &x 3\nd: *x\ne: *y\n');
    const targets = [...aliasTargets(doc)];
    assert.equal(targets.length, 3);
    for (const [alias, target] of targets) assert.equal(target, alias.resolve(doc), `*${alias.source}: the node yaml resolves it to`);
    assert.deepEqual(targets.map(([, t]) => (t === undefined ? undefined : String(t))), ['[1,2]', '3', undefined], 'the last node anchored with its name before it');
    const again = parseDocument('a: &x [1, 2]\nb: *x\nc: &x 3\nd: *x\n');
    assert.equal(expandedSize(again), 1 + 4 + 3 + 3 + 1 + 1, 'the map, its four keys, the list and the list again (3 values each), 3 and 3 again');
  });

  test('an alias that contains itself', () => {
    assert.equal(refusal(write('cycle.yaml', 'duration: 10m\nhost: &h {memory: 64GiB, again: *h}\n')), ':2:33: host.again.again.again…: nested too deeply (at most 64 levels)');
  });

  test('a few ordinary aliases are fine, and errors inside them point at the anchor', () => {
    const shared = 'duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: a\n    memory: 1GiB\n    workload: &w {files: {rate: 100/s}}\n  - name: b\n    memory: 1GiB\n    workload: *w\n';
    assert.equal(loadScenario(write('alias.yaml', shared)).guests[1].workload.files.ratePerS, 100);
    const bad = shared.replace('100/s', 'fast');
    assert.equal(refusal(write('alias-bad.yaml', bad)), ':7:33: guests[0].workload.files.rate: expected a rate such as 20000/s, found "fast"');
  });

  test('a tag the yaml library does not know (!!js/function, !foo) names the field, in a file and in a --set value', () => {
    const file = write('tag.yaml', 'duration: !!js/function "f"\nhost:\n  memory: 64GiB\n');
    assert.equal(refusal(file), ':1:11: duration: the YAML tag !!js/function is not allowed: a scenario holds text, numbers, true/false, mappings and lists only');
    assert.throws(() => loadScenario(write('plain.yaml', VALID), ['duration=!foo 2s']), (e: unknown) => e instanceof ScenarioError && /: duration: the YAML tag !foo is not allowed: .*, in --set duration=!foo 2s$/.test(e.message));
  });

  test('duplicate keys', () => {
    assert.equal(refusal(write('dup.yaml', 'duration: 10m\nduration: 20m\n')), ':2:1: duplicate key "duration"');
  });

  test('a syntax error is located', () => {
    assert.match(refusal(write('syntax.yaml', 'duration: 10m\nhost: {memory: 64GiB\n')), /^:3:1: invalid YAML: /);
  });

  test('__proto__ and constructor keys are unknown keys, and pollute nothing', () => {
    assert.match(refusal(write('proto.yaml', `${VALID}__proto__: {seed: 5}\n`)), /^:8:1: __proto__: unknown key/);
    assert.match(refusal(write('ctor.yaml', `${VALID}constructor: 1\n`)), /^:8:1: constructor: unknown key/);
    assert.equal(({} as Record<string, unknown>).seed, undefined);
  });

  test('numbers beyond safe integers and negative sizes', () => {
    assert.match(refusal(write('big.yaml', `${VALID}max_events: 9007199254740993\n`)), /^:8:13: max_events: expected an integer from 1 to 2\^53-1/);
    assert.match(refusal(write('inf.yaml', `${VALID}seed: .inf\n`)), /^:8:7: seed: expected an integer .*found \.inf \(YAML's infinity\)$/);
    assert.match(refusal(write('neg.yaml', VALID.replace('memory: 4GiB', 'memory: -4GiB'))), /^:7:13: guests\[0\]\.memory: .*\(a size cannot be negative\)$/);
  });

  test('.nan and .inf are named as written, without a hint that a unit would mend them', () => {
    // "found NaN (a bare number: say the unit)" sent the reader to write NaNGiB.
    assert.equal(refusal(write('nan-size.yaml', VALID.replace('memory: 4GiB', 'memory: .nan'))), ":7:13: guests[0].memory: expected a size such as 4GiB, found .nan (YAML's not-a-number)");
    assert.equal(refusal(write('inf-dur.yaml', VALID.replace('duration: 10m', 'duration: -.inf'))), ":1:11: duration: expected a duration such as 10m, found -.inf (YAML's infinity)");
    const level = (v: string) => refusal(write('nan-level.yaml', `${VALID}    workload: {anon: {level: ${v}}}\n`));
    assert.match(level('.NaN'), /level: expected a percent such as 40%, found \.nan \(YAML's not-a-number\)$/);
    assert.match(level('40'), /found 40 \(say %\)$/);
    assert.match(refusal(write('inf-rate.yaml', `${VALID}    workload: {files: {rate: .inf}}\n`)), /rate: expected a rate such as 20000\/s, found \.inf \(YAML's infinity\)$/);
    // Quoting makes .nan text, not a name: no hint to quote it where a name goes.
    assert.match(refusal(write('nan-name.yaml', `name: .nan\n${VALID}`)), /name: .*found \.nan \(YAML's not-a-number\)$/);
  });

  test('guests larger than the host', () => {
    const text = VALID.replace('count: 2', 'count: 100');
    assert.match(refusal(write('huge-guests.yaml', text)), /^:5:5: guests\[0\]: guests larger than the host: 100 guests need 400 GiB besides dom0 \(1 GiB\)/);
  });

  test('a scenario with 10000 guests is accepted; 10001 in all is not', () => {
    const many = 'duration: 1m\nhost:\n  memory: 64TiB\nguests:\n  - name: g\n    count: 10000\n    memory: 1GiB\n    swap: 16MiB\n';
    assert.equal(parseScenario(many, 'm.yaml').guests.length, 10_000);
    const more = `${many}timeline:\n  - at: 1s\n    launch: {name: x, memory: 1GiB, swap: 16MiB}\n`;
    // The launch has no count: key, so the error points at the launch itself.
    assert.throws(() => parseScenario(more, 'm.yaml'), { message: 'm.yaml:11:13: timeline[0].launch: too many guests: 10000 before this entry and 1 in it; at most 10000 in all, initial and launched' });
    const counted = `${many}timeline:\n  - at: 1s\n    launch: {name: x, count: 2, memory: 1GiB, swap: 16MiB}\n`;
    assert.throws(() => parseScenario(counted, 'm.yaml'), { message: 'm.yaml:11:30: timeline[0].launch.count: too many guests: 10000 before this entry and 2 in it; at most 10000 in all, initial and launched' });
  });
});

describe('no input breaks the loader', () => {
  test('mutated scenario text gives a Scenario or a ScenarioError, nothing else', () => {
    const base = [...VALID, ...'timeline:\n  - at: 1m\n    mem_set: {guest: web-1, target: 1GiB}\n'];
    const alphabet = [':', ' ', '\n', '-', '[', ']', '{', '}', '&a', '*a', '"', "'", '#', '%', '1', 'GiB', '\0', '!!str', '?', '|', '>', '\t'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length), fc.nat(3), fc.constantFrom(...alphabet)), { maxLength: 6 }),
        (edits) => {
          const chars = [...base];
          for (const [at, drop, insert] of edits) chars.splice(Math.min(at, chars.length), drop, insert);
          try {
            parseScenario(chars.join(''), 'fuzz.yaml');
          } catch (e) {
            if (!(e instanceof ScenarioError)) throw e;
            assert.ok(e.message.startsWith('fuzz.yaml'), e.message);
            assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
          }
        },
      ),
      { numRuns: 500, seed: 20240601 },
    );
  });

  test('random --set flags give a Scenario or a ScenarioError', () => {
    const paths = ['seed', 'host.memory', 'guests[0].count', 'guests[3].count', 'toolstack.policy', 'host.tmem', 'x.y', 'guests', 'timeline[0].at', '', 'a[', 'host.tmem.enabled'];
    const values = ['7', '-1', 'true', '4GiB', '{a: 1}', '[1, 2]', '', '*a', '&a 1', 'null', '1e400', '"x'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...values), fc.boolean()), { maxLength: 4 }), (sets) => {
        const flags = sets.map(([p, v, eq]) => (eq ? `${p}=${v}` : `${p}${v}`));
        try {
          parseScenario(VALID, 'set.yaml', flags);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
