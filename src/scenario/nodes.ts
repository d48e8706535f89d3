// Checks on the YAML nodes themselves, for what the JS values they become
// cannot tell: explicit tags of YAML's other types (`!!binary` becomes bytes,
// `!!set` a Set, `!!timestamp` a Date), and how a number was written where an
// integer is expected (`1e-400` and `0.0000000000000000001` read as 0, a
// hundred 9s as Infinity, `9007199254740993` as …992). Used on the file
// (load.ts) and on --set values (overrides.ts).

import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import { Problem, shorten, type YamlPath } from './errors.ts';
import { expectedInteger, type IntegerRange, type SchemaShape } from './schema.ts';

/** Deepest nesting of mappings and lists (a scenario needs about 6). */
export const MAX_DEPTH = 64;

/** The YAML path of the node below `ancestors` (as yaml's visit gives them: document, collections, pairs). */
export function yamlPathOf(ancestors: readonly unknown[], node: unknown): YamlPath {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    if (isPair(here)) path.push(isScalar(here.key) ? String(here.key.value) : '?');
    else if (isSeq(here)) path.push(here.items.indexOf(chain[i + 1] as never));
  }
  return path;
}

/** Tags of YAML 1.2's core schema: the types a scenario is made of. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** What the other tags the yaml library knows stand for. */
const TAG_MEANINGS: Readonly<Record<string, string>> = {
  binary: 'binary data',
  set: 'a set',
  omap: 'an ordered mapping',
  pairs: 'a list of pairs',
  timestamp: 'a date',
};

export interface TagProblem {
  path: YamlPath;
  problem: string;
  /** The tag as YAML abbreviates it: "!!binary". */
  tag: string;
  /** Where the tagged node's value starts in the text (the tag is before it). */
  offset: number | undefined;
}

/**
 * The first node, in document order, tagged with a type outside YAML's core
 * schema. Such a value is not text, a number, a boolean, a mapping or a list,
 * and would otherwise be reported as "a mapping" (bytes, a Set, a Date are
 * objects to JS).
 */
export function foreignTag(root: Document | Node): TagProblem | null {
  let found: TagProblem | null = null;
  visit(root, {
    Node(_, node, ancestors) {
      const tag = (node as { tag?: string }).tag;
      if (tag === undefined || tag === '!' || CORE_TAGS.has(tag)) return undefined;
      const short = tag.replace(/^tag:yaml\.org,2002:/, '!!');
      const meaning = TAG_MEANINGS[short.slice(2)];
      found = {
        path: yamlPathOf(ancestors, node),
        problem:
          `the YAML tag ${shorten(short)}${meaning === undefined ? '' : ` (${meaning})`} is not allowed: ` +
          'a scenario holds text, numbers, true/false, mappings and lists only',
        tag: short,
        offset: node.range?.[0],
      };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The exact value of a YAML 1.2 number as written: an integer (as BigInt, when
 * it is within 2^53 either side of 0), a fraction, or beyond 2^53; null for
 * .inf, .nan and what is not a number. Decimal exponents are read exactly
 * (1e3 is 1000, 1e-400 a fraction), so nothing is rounded on the way.
 */
export function exactInteger(source: string): { kind: 'integer'; value: bigint } | { kind: 'fraction' } | { kind: 'huge'; negative: boolean } | null {
  const LIMIT = BigInt(Number.MAX_SAFE_INTEGER);
  const within = (value: bigint, negative: boolean) =>
    value > LIMIT ? ({ kind: 'huge', negative } as const) : ({ kind: 'integer', value: negative ? -value : value } as const);
  const based = /^0(?:x([0-9a-fA-F]+)|o([0-7]+))$/.exec(source);
  if (based !== null) {
    const digits = (based[1] ?? based[2]).replace(/^0+/, '');
    // 2^53 has 14 hex or 18 octal digits: longer is beyond it, without reading the digits.
    if (digits.length > (based[1] !== undefined ? 14 : 18)) return { kind: 'huge', negative: false };
    return within(BigInt(`0${based[1] !== undefined ? 'x' : 'o'}${digits || '0'}`), false);
  }
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(source);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const negative = m[1] === '-';
  const fraction = m[3] ?? '';
  let digits = (m[2] + fraction).replace(/^0+/, '');
  if (digits === '') return { kind: 'integer', value: 0n };
  // The value is digits × 10^exponent, with digits not ending in 0: a whole number exactly when exponent ≥ 0.
  let exponent = Number(m[4] ?? '0') - fraction.length;
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (exponent < 0) return { kind: 'fraction' };
  // 10^16 > 2^53: more digits than that is beyond it (Infinity included, for an exponent of a million digits).
  if (digits.length + exponent > 16) return { kind: 'huge', negative };
  return within(BigInt(digits) * 10n ** BigInt(exponent), negative);
}

/** A number as written, for a message: whole when short, else its two ends and its length. */
function shownNumber(source: string): string {
  return source.length <= 60 ? source : `${source.slice(0, 24)}…${source.slice(-12)} (${source.length} characters)`;
}

/** Why a number written as `source` is not the integer its double says, or null when it is. */
export function integerProblem(source: string, range: IntegerRange): string | null {
  const exact = exactInteger(source);
  if (exact === null || exact.kind === 'integer') return null;
  const why =
    exact.kind === 'fraction'
      ? 'not a whole number'
      : exact.negative
        ? `too small: at least ${range.min === -Number.MAX_SAFE_INTEGER ? '-(2^53-1)' : range.min}`
        : `too large: at most ${range.max === Number.MAX_SAFE_INTEGER ? '2^53-1' : range.max}`;
  return `${expectedInteger(range)}, found ${shownNumber(source)} (${why})`;
}

/**
 * Numbers written where the format takes an integer (`shape` is the format at
 * `path`) that are not that integer: a fraction that YAML rounds to one, or a
 * number beyond 2^53. Aliases are followed (the value is checked where it is
 * used); nodes without their source text (made by --set) are skipped.
 */
export function inexactIntegers(doc: Document, node: unknown, path: YamlPath, shape: SchemaShape): Problem[] {
  const out: Problem[] = [];
  const walk = (here: unknown, at: YamlPath, s: SchemaShape): void => {
    // Bounded: the format is a few levels deep, and the walk only goes where it goes.
    if (at.length > MAX_DEPTH) return;
    if (isAlias(here)) here = here.resolve(doc);
    if (s.kind === 'leaf') {
      if (s.integer === undefined || !isScalar(here) || typeof here.source !== 'string') return;
      if (typeof here.value !== 'number' && typeof here.value !== 'bigint') return;
      const problem = integerProblem(here.source, s.integer);
      if (problem !== null) out.push(new Problem(at, problem));
    } else if (s.kind === 'object' && isMap(here)) {
      for (const pair of here.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const child = key === undefined ? undefined : s.keys.get(key);
        if (child !== undefined) walk(pair.value, [...at, key!], child);
      }
    } else if (s.kind === 'array' && isSeq(here)) {
      here.items.forEach((item, i) => walk(item, [...at, i], s.element));
    }
  };
  walk(node, path, shape);
  return out;
}
