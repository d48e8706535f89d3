// Loading a scenario file: read it (refusing what is not a small text file),
// parse the YAML (with line numbers, bounded in depth and alias expansion),
// apply --set overrides, check it against the schema, resolve defaults and
// cross-field rules. For bad input the only error that leaves is ScenarioError,
// located at file:line:column and a YAML path.

import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { fileProblem } from '../lib/errno.ts';
import { bytesBeside, describeFound, groupDigits } from '../lib/units.ts';
import { formatPath, Problem, quote, ScenarioError, shorten, shownFlag, type YamlPath } from './errors.ts';
import { locate } from './locate.ts';
import { inexactIntegers, MAX_DEPTH } from './nodes.ts';
import { nearestKey } from '../lib/nearest.ts';
import { applyOverrides, canonicalPath, flagPath, scenarioShape, shapeAt, type Override } from './overrides.ts';
import { answeredAfterParsing, checkYamlDocument, expandedSize, lexicalValueCount, MAX_YAML_NODES, numericTags } from './yaml-checks.ts';
import { resolveScenario } from './resolve.ts';
import { NAME_PATTERN, NAME_RULE, scenarioSchema } from './schema.ts';
import type { Scenario } from './types.ts';

export { applyOverrides, type Override } from './overrides.ts';
export { ScenarioError } from './errors.ts';
export { MAX_DEPTH } from './nodes.ts';

/** Scenario files are small; anything larger is not one. */
export const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;
/** Bound on alias expansion (yaml's own measure), against alias bombs. */
export const MAX_ALIAS_COUNT = 100;

function systemProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a scenario file';
  return `cannot read the file: ${fileProblem(e)}`;
}

/** Bytes to text, refusing binary: a NUL byte or invalid UTF-8. A leading BOM is dropped. */
export function decodeScenarioText(bytes: Uint8Array, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new ScenarioError(file, '', `not a text file (a NUL byte at offset ${nul})`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioError(file, '', 'not a text file (not valid UTF-8)');
  }
}

function readScenarioText(file: string): string {
  let stats: Stats;
  // '-' is standard input for replay; a scenario is a file (its trace files are found beside it).
  if (file === '-' && !existsSync(file)) throw new ScenarioError(file, '', 'a scenario is read from a file, not from standard input; save it to a file and give its path');
  try {
    stats = statSync(file);
  } catch (e) {
    throw new ScenarioError(file, '', systemProblem(e));
  }
  if (stats.isDirectory()) throw new ScenarioError(file, '', 'is a directory, not a scenario file');
  if (!stats.isFile()) throw new ScenarioError(file, '', 'not a regular file');
  if (stats.size > MAX_SCENARIO_BYTES) {
    const [size, most] = bytesBeside(stats.size, MAX_SCENARIO_BYTES);
    throw new ScenarioError(file, '', `too large for a scenario file (${size}; at most ${most})`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ScenarioError(file, '', systemProblem(e));
  }
  return decodeScenarioText(bytes, file);
}

/** Reads, parses, overrides, validates and resolves a scenario file. Throws ScenarioError for bad input. */
export function loadScenario(file: string, overrides: readonly string[] = []): Scenario {
  return parseScenario(readScenarioText(file), file, overrides);
}

function yamlErrorText(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const key = /^("[^"]*"|'[^']*'|[^:#\n]*?)\s*:/.exec(text.slice(error.pos[0]))?.[1];
      return key === undefined ? 'duplicate key' : `duplicate key ${quote(key.replace(/^["']|["']$/g, ''))}`;
    }
    case 'RESOURCE_EXHAUSTION':
      return `nested too deeply (at most ${MAX_DEPTH} levels)`;
    case 'MULTIPLE_DOCS':
      return 'more than one YAML document (one scenario per file: remove the second ---)';
    default: {
      const first = error.message.split('\n')[0];
      return `invalid YAML: ${shorten(first.replace(/ at line \d+, column \d+:?$/, ''), 200)}`;
    }
  }
}

/** The first place, depth-first, nested deeper than MAX_DEPTH (also catches alias cycles). */
function tooDeep(root: unknown): YamlPath | null {
  const stack: { value: unknown; path: YamlPath }[] = [{ value: root, path: [] }];
  // Bounded: toJS output is bounded by the file size and MAX_ALIAS_COUNT, and the depth cap stops cycles.
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_DEPTH) return path;
    if (Array.isArray(value)) value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    else for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: [...path, key] });
  }
  return null;
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** A zod issue as a Problem at a path, in the words of the format. */
function issueProblem(issue: z.core.$ZodIssue, js: unknown): Problem {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const shape = shapeAt(path);
      const known = typeof shape !== 'string' && shape.kind === 'object' ? [...shape.keys.keys()].join(', ') : '';
      const here = formatPath(path) || 'a scenario';
      // Keys the mapping already holds are not what a misspelt one meant.
      const mapping = valueAt(js, path);
      const held = mapping !== null && typeof mapping === 'object' ? Object.keys(mapping) : [];
      const near = typeof shape !== 'string' && shape.kind === 'object' ? nearestKey(String(issue.keys[0]), [...shape.keys.keys()].filter((k) => !held.includes(k))) : null;
      const hint = near === null ? '' : `; did you mean ${near}?`;
      return new Problem([...path, issue.keys[0]], `unknown key${hint} (${here} has: ${known})`, true);
    }
    case 'invalid_type': {
      const expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : issue.expected;
      const found = valueAt(js, path);
      if (found === undefined) return new Problem(path, `required: ${expected}`);
      return new Problem(path, `expected ${expected}, found ${describeFound(found)}`);
    }
    default:
      return new Problem(path, issue.message);
  }
}

class Locator {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly overrides: readonly Override[],
  ) {}

  /** The override that set a value at or above `path`, if any (the last one wins). */
  private overrideOf(path: YamlPath): Override | undefined {
    let found: Override | undefined;
    for (const o of this.overrides) {
      if (o.path.length <= path.length && o.path.every((s, i) => path[i] === s)) found = o;
    }
    return found;
  }

  error(problem: Problem): ScenarioError {
    const override = this.overrideOf(problem.at);
    if (override !== undefined) {
      return new ScenarioError(this.file, formatPath(problem.at), `${problem.problem} (set by --set ${shownFlag(override.text)})`);
    }
    const where = locate(this.doc, this.lineCounter, problem.at, problem.atKey);
    // The file's value may be wrong only with the overrides (maxmem below a memory --set raised): say which were applied.
    const shown = this.overrides.slice(0, 3).map((o) => `--set ${shownFlag(o.text)}`);
    if (this.overrides.length > 3) shown.push(`${this.overrides.length - 3} more`);
    const withSets = shown.length > 0 ? ` (with ${shown.join(', ')})` : '';
    return new ScenarioError(this.file, formatPath(problem.at), `${problem.problem}${withSets}`, where?.line, where?.column);
  }

  /** Sort key: overrides first, then file order. */
  rank(problem: Problem): number {
    if (this.overrideOf(problem.at) !== undefined) return -1;
    const where = locate(this.doc, this.lineCounter, problem.at, problem.atKey);
    return where === undefined ? 0 : where.line * 1e6 + where.column;
  }
}

function tooManyValues(file: string): ScenarioError {
  return new ScenarioError(
    file,
    '',
    `more than ${groupDigits(MAX_YAML_NODES)} YAML values (keys, values and list items, each alias counted as the value it names): too large for a scenario; a long series belongs in a trace file (docs/scenario.md)`,
  );
}

function parseYaml(text: string, file: string): { doc: Document; lineCounter: LineCounter } {
  if (text.includes('\0')) throw new ScenarioError(file, '', 'not a text file (a NUL character)');
  if (text.trim() === '') throw new ScenarioError(file, '', 'empty scenario');
  // Counted on the tokens first: building a document of a million values takes half a minute.
  if (lexicalValueCount(text, MAX_YAML_NODES + 1) > MAX_YAML_NODES) throw tooManyValues(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  numericTags(doc, lineCounter, file);
  const first = doc.errors[0] ?? doc.warnings.find((w) => !answeredAfterParsing(w));
  if (first !== undefined) {
    const pos = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0]);
    throw new ScenarioError(file, '', yamlErrorText(first, text), pos.line, pos.col);
  }
  checkYamlDocument(doc, text, lineCounter, file);
  if (expandedSize(doc) > MAX_YAML_NODES) throw tooManyValues(file);
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null)) throw new ScenarioError(file, '', 'empty scenario');
  if (!isMap(top)) {
    const found = isSeq(top) ? 'a list' : isScalar(top) ? describeFound(top.value) : 'an alias';
    const pos = top.range ? lineCounter.linePos(top.range[0]) : { line: 1, col: 1 };
    throw new ScenarioError(file, '', `expected a mapping at the top level (duration:, host:, guests: …), found ${found}`, pos.line, pos.col);
  }
  return { doc, lineCounter };
}

/**
 * Without a `name:` key the scenario is named after its file (without the
 * extension), which must then be a name as `name:` would take it: the name
 * goes into reports and output folders. Refused, not mended: the error says
 * to add a `name:`.
 */
function checkFileName(file: string): void {
  if (file === '') return;
  const fromFile = basename(file, extname(file));
  if (NAME_PATTERN.test(fromFile)) return;
  const chars = [...fromFile];
  const bad = chars.find((c) => !/[A-Za-z0-9_.-]/.test(c));
  const why =
    chars.length > 64
      ? `${chars.length} characters`
      : bad !== undefined
        ? `${quote(bad)} is not allowed`
        : chars.length === 0
          ? 'it is empty'
          : `it starts with ${quote(chars[0])}`;
  const mended = fromFile.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64).replace(/[-.]+$/, '');
  const example = NAME_PATTERN.test(mended) ? mended : 'my-scenario';
  throw new ScenarioError(
    file,
    '',
    `no name: key, and the file name ${quote(fromFile)} is not a scenario name (${why}; a name is ${NAME_RULE}, starting with a letter or digit): ` +
      `add a name: key, such as name: ${example}`,
  );
}

/**
 * The flags a run records (Scenario.overrides): without those that set the
 * seed (the summary's seed says it, and `--seeds` moves it on from there),
 * sorted — the CLI refuses two flags for one field, so their order changes
 * nothing and a run reads the same whatever order they came in — unless two
 * of them do name one field (the library applies them in order, the last
 * one winning), which keeps the order given.
 */
export function recordedOverrides(overrides: readonly string[]): string[] {
  const kept = overrides.map((o) => ({ o, field: canonicalPath(flagPath(o)) })).filter((x) => x.field !== 'seed');
  const flags = kept.map((x) => x.o);
  return new Set(kept.map((x) => x.field)).size === kept.length ? flags.sort() : flags;
}

/**
 * Whether the text's first line (past blank and comment lines) is a replay
 * request, a JSON object with an "op": a file for `hypermem replay` given
 * to a command that takes a scenario. (One such line is valid YAML too, so
 * the parser alone would say something about an unknown key.)
 */
function looksLikeReplay(text: string): boolean {
  // Any line ending replay takes (\n, \r\n or a bare \r); the first request in full, however long.
  const first = text.split(/\r\n|\r|\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (first === undefined || !first.trimStart().startsWith('{')) return false;
  try {
    const v: unknown = JSON.parse(first);
    return typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string';
  } catch {
    return false;
  }
}

/**
 * Parses scenario text as if read from `file` (used in messages, to name the
 * scenario, and to find trace files); `overrides` are `path=value` strings.
 */
export function parseScenario(text: string, file = '', overrides: readonly string[] = []): Scenario {
  if (looksLikeReplay(text)) {
    throw new ScenarioError(file, '', `a file of hypercalls (one JSON request a line), not a scenario: run it with hypermem replay ${file === '' ? 'FILE' : file}`);
  }
  const { doc, lineCounter } = parseYaml(text, file);
  const applied = applyOverrides(doc, overrides, file);
  const locator = new Locator(file, doc, lineCounter, applied);

  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const problem = /excessive alias count/i.test(e.message)
      ? `too many YAML alias expansions (at most ${MAX_ALIAS_COUNT}; an alias bomb?)`
      : `invalid YAML: ${e.message}`;
    throw new ScenarioError(file, '', problem);
  }
  const deep = tooDeep(js);
  if (deep !== null) {
    // Located at the deep node, named by its first few keys: 64 of them would drown the message.
    const where = locate(doc, lineCounter, deep);
    const shown = `${formatPath(deep.slice(0, 4))}…`;
    throw new ScenarioError(file, shown, `nested too deeply (at most ${MAX_DEPTH} levels)`, where?.line, where?.column);
  }

  // Numbers written where an integer goes that YAML read as another one (1e-400 as 0): what the values cannot show.
  const inexact = inexactIntegers(doc, doc.contents, [], scenarioShape());
  const parsed = scenarioSchema.safeParse(js);
  if (!parsed.success || inexact.length > 0) {
    // Report the first problem in file order (overrides first), not zod's schema order.
    const problems = [...inexact];
    const same = (a: YamlPath, b: YamlPath) => a.length === b.length && a.every((s, i) => s === b[i]);
    for (const issue of parsed.error?.issues ?? []) {
      const problem = issueProblem(issue, js);
      if (!inexact.some((p) => same(p.at, problem.at))) problems.push(problem);
    }
    // A required key missing from a mapping that holds an unknown key near
    // it is that key misspelt: the unknown key is the problem to name.
    const parentOf = (p: Problem) => p.at.slice(0, -1);
    const unknown = problems.filter((p) => p.atKey);
    const misspelt = (p: Problem): boolean => {
      const key = p.at[p.at.length - 1];
      return typeof key === 'string' && unknown.some((u) => same(parentOf(u), parentOf(p)) && nearestKey(String(u.at[u.at.length - 1]), [key]) === key);
    };
    const named = problems.filter((p) => !(p.problem.startsWith('required') && misspelt(p)));
    let first: { problem: Problem; rank: number } | undefined;
    for (const problem of named) {
      const rank = locator.rank(problem);
      if (first === undefined || rank < first.rank) first = { problem, rank };
    }
    throw locator.error(first!.problem);
  }
  if (parsed.data.name === undefined) checkFileName(file);
  try {
    const scenario = resolveScenario(parsed.data, file);
    const recorded = recordedOverrides(overrides);
    if (recorded.length > 0) scenario.overrides = recorded;
    return scenario;
  } catch (e) {
    if (e instanceof Problem) throw locator.error(e);
    throw e;
  }
}
