// `--set path=value` overrides, applied to the parsed YAML document before
// validation, so an overridden value is checked exactly like one in the file.
// The path is checked against the scenario format (not the file): a key the
// format does not have is an error even when the file has no such section,
// and a key the format has is created when the file leaves it out.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { formatPath, quote, ScenarioError, shorten, shownFlag, type YamlPath } from './errors.ts';
import { depthOf } from '../lib/depth.ts';
import { inexactIntegers, MAX_DEPTH } from './nodes.ts';
import { aliasTargets, answeredAfterParsing, checkYamlDocument, numericTags } from './yaml-checks.ts';
import { scenarioSchema, shapeOf, type SchemaShape } from './schema.ts';
import { nearestKey } from '../lib/nearest.ts';

export interface Override {
  /** The flag as given, e.g. "guests[0].count=3". */
  text: string;
  path: YamlPath;
}

const SEGMENT = /^(?:\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,6})\])/;

let rootShape: SchemaShape | undefined;
export function scenarioShape(): SchemaShape {
  rootShape ??= shapeOf(scenarioSchema);
  return rootShape;
}

/** The path part of a `path=value` flag, trimmed ('' when malformed). */
export function flagPath(flag: string): string {
  const eq = flag.indexOf('=');
  return eq < 0 ? '' : flag.slice(0, eq).trim();
}

/** One spelling per field ("guests[00].count" and "guests[0].count" are the same field), for finding clashes. */
export function canonicalPath(path: string): string {
  const parsed = parsePath(path);
  return parsed === null ? path : formatPath(parsed);
}

/**
 * The longest well-formed start of a path: its segments, and the text after
 * them (empty when all of it is a path). A key is the first segment or
 * follows a '.' ("guests[0]count" is not "guests[0].count"); an index
 * follows a segment.
 */
function scanPath(text: string): { path: (string | number)[]; rest: string } {
  const path: (string | number)[] = [];
  let rest = text;
  while (rest !== '') {
    const m = SEGMENT.exec(rest);
    if (m === null) break;
    if (m[1] !== undefined ? (path.length === 0) === m[0].startsWith('.') : path.length === 0) break;
    path.push(m[1] ?? Number(m[2]));
    rest = rest.slice(m[0].length);
  }
  return { path, rest };
}

/** "guests[0].count" → ['guests', 0, 'count'], or null when malformed. */
export function parsePath(text: string): YamlPath | null {
  const { path, rest } = scanPath(text);
  return rest === '' && path.length > 0 ? path : null;
}

/**
 * Why `text` is not a path (parsePath gave null): the first thing wrong, in
 * the user's terms (an empty key, a negative index, …), with where it is.
 */
export function pathProblem(text: string): string {
  if (text === '') return 'the path before = is empty';
  const { path, rest } = scanPath(text);
  const at = `at character ${text.length - rest.length + 1}`;
  if (rest.startsWith('[')) {
    const index = /^\[([^\]]*)(\]?)/.exec(rest)!;
    if (index[2] === '') return `an unclosed [ ${at}: an index is written [0]`;
    const inner = index[1].trim();
    if (path.length === 0) return `the path starts with an index ${at}: name the list first, as guests[0]`;
    if (inner === '') return `an empty index [] ${at}: give the entry's number, as [0]`;
    if (/^-\d+$/.test(inner)) return `a negative index [${inner}] ${at}: list entries are numbered from 0`;
    if (/^\+?\d+$/.test(inner) && inner.replace(/^\+?0*/, '').length > 6) return `the index [${shorten(inner, 20)}] ${at} is too large (at most 6 digits)`;
    return `[${shorten(index[1], 20)}] ${at} is not an index: expected a number from 0, as [0]`;
  }
  if (rest.startsWith('.')) {
    if (path.length === 0) return `the path starts with '.': an empty key before it`;
    if (rest === '.') return `the path ends with '.': an empty key after it`;
    if (rest[1] === '.') return `an empty key between two dots ${at}`;
    if (rest[1] === '[') return `'.[' ${at}: an index follows its list directly, as guests[0]`;
    const digits = /^\.(\d+)/.exec(rest)?.[1];
    if (digits !== undefined) return `.${shorten(digits, 20)} ${at}: a list entry is written [${shorten(digits, 20)}], as guests[0]`;
    return `unexpected ${quote([...rest.slice(1)][0])} at character ${text.length - rest.length + 2}: a key is letters, digits and _, starting with a letter or _`;
  }
  // A key straight after a segment: the segment is an index (a key's letters would have been part of that key).
  if (path.length > 0 && /^[A-Za-z_]/.test(rest)) {
    const key = /^\w+/.exec(rest)![0];
    return `${quote(key, 20)} ${at} follows the index with no '.' before it: write ${shorten(formatPath(path), 40)}.${shorten(key, 20)}`;
  }
  if (path.length === 0 && /^\d/.test(rest)) return `a key starts with a letter or _, found ${quote(/^\w+/.exec(rest)![0], 20)}`;
  return `unexpected ${quote([...rest][0])} ${at}: a path is keys (letters, digits, _) joined by '.', and indices [0]`;
}

/** The schema shape at `path`, or a message saying which segment the format does not have. */
export function shapeAt(path: YamlPath): SchemaShape | string {
  let shape = scenarioShape();
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const here = formatPath(path.slice(0, i)) || 'a scenario';
    if (shape.kind === 'object') {
      const child = typeof segment === 'string' ? shape.keys.get(segment) : undefined;
      // Said of any entry of a list (guests[i]): the flag's own index may not exist in the file.
      if (child === undefined) {
        const near = typeof segment === 'string' ? nearestKey(segment, [...shape.keys.keys()]) : null;
        return `no such key${near === null ? '' : `; did you mean ${near}?`} (${here.replace(/\[\d+\]/g, '[i]')} has: ${[...shape.keys.keys()].join(', ')})`;
      }
      shape = child;
    } else if (shape.kind === 'array') {
      if (typeof segment !== 'number') return `${here} is a list: index it, e.g. ${here}[0]`;
      shape = shape.element;
    } else {
      return `${here} is a single value, it has no ${typeof segment === 'number' ? `[${segment}]` : segment}`;
    }
  }
  return shape;
}

/** `within`: a path inside the value (formatted, as a ScenarioError's), after the flag's own. */
function setError(file: string, path: YamlPath | null, problem: string, flag: string, within = ''): ScenarioError {
  const at = path === null ? '' : formatPath(path);
  const inner = within === '' || at === '' || within.startsWith('[') ? within : `.${within}`;
  return new ScenarioError(file, `${at}${inner}`, `${problem}, in --set ${shownFlag(flag)}`);
}

/**
 * The nodes the aliases of the document stand for, each with its aliases (by
 * node, not by anchor name: YAML lets a name be anchored again, and only the
 * node an alias follows is repeated). Taken from the file before any --set,
 * so the flags' order does not matter.
 */
function aliasedNodes(doc: Document): Map<unknown, unknown[]> {
  const nodes = new Map<unknown, unknown[]>();
  for (const [alias, target] of aliasTargets(doc)) {
    if (target === undefined) continue;
    const aliases = nodes.get(target);
    if (aliases === undefined) nodes.set(target, [alias]);
    else aliases.push(alias);
  }
  return nodes;
}

/**
 * A node of `root`'s subtree (itself included) that an alias outside the
 * subtree repeats, or undefined: replacing the subtree would change that
 * alias's place (an alias inside goes with it).
 */
function aliasedFromOutside(root: unknown, aliased: Map<unknown, unknown[]>): { anchor?: string } | undefined {
  if (aliased.size === 0 || root === undefined || root === null) return undefined;
  const inside = new Set<unknown>([root]);
  if (isMap(root) || isSeq(root)) visit(root, (_, node) => void inside.add(node));
  for (const node of inside) {
    const aliases = aliased.get(node);
    if (aliases !== undefined && aliases.some((a) => !inside.has(a))) return node as { anchor?: string };
  }
  return undefined;
}

/**
 * Readies the document to take `path`: lists must be indexed within their
 * length and no value may be in the way; a missing mapping is left for setIn
 * to create, and an empty section (`tmem:` with nothing after it) becomes an
 * empty mapping. Returns why the path cannot be set, or null.
 */
function preparePath(doc: Document, path: YamlPath, aliased: Map<unknown, unknown[]>): string | null {
  let node: unknown = doc.contents;
  for (let i = 0; i <= path.length; i++) {
    const here = formatPath(path.slice(0, i)) || 'the top level';
    // A node an alias repeats elsewhere: changing it, inside it, or a value
    // holding it would change the places the alias stands for too.
    const repeated = i === path.length ? aliasedFromOutside(node, aliased) : aliased.has(node) ? (node as { anchor?: string }) : undefined;
    if (repeated !== undefined) {
      const anchor = repeated.anchor ?? '?';
      const what = i < path.length ? `${here} carries` : repeated === node ? 'the value in the file carries' : 'the value in the file holds';
      return `${what} the YAML anchor &${anchor}, which *${anchor} repeats elsewhere; --set cannot change it (edit the file, or write the value out where the alias is)`;
    }
    if (i === path.length) break;
    const segment = path[i];
    if (node === undefined) return null;
    if (isAlias(node)) return `${here} is a YAML alias (*${node.source}); --set cannot change inside it`;
    if (isScalar(node) && node.value === null) {
      if (typeof segment === 'number') return `no such entry: ${here} is empty`;
      doc.setIn(path.slice(0, i), doc.createNode({}));
      return null;
    }
    if (isSeq(node)) {
      if (typeof segment !== 'number' || segment >= node.items.length) return `no such entry: ${here} has ${node.items.length}`;
      node = node.items[segment];
    } else if (isMap(node)) {
      node = node.get(segment, true);
      if (node === undefined && typeof path[i + 1] === 'number') {
        return `no such entry: the file has no ${formatPath(path.slice(0, i + 1))}`;
      }
    } else {
      return `${here} is not a mapping or a list in the file`;
    }
  }
  return null;
}

/**
 * Applies `--set path=value` flags to a parsed scenario document, in order.
 * The value is read as YAML ("3" a number, "false" a boolean, "4GiB" text).
 * Throws ScenarioError for a malformed flag or a path the format does not have.
 */
export function applyOverrides(doc: Document, sets: readonly string[], file = ''): Override[] {
  const applied: Override[] = [];
  const aliased = sets.length === 0 ? new Map<unknown, unknown[]>() : aliasedNodes(doc);
  for (const flag of sets) {
    const eq = flag.indexOf('=');
    if (eq < 0) {
      throw new ScenarioError(file, '', `--set ${quote(flag)}: expected path=value, such as toolstack.policy=none or guests[0].count=3`);
    }
    const pathText = flag.slice(0, eq).trim();
    const path = parsePath(pathText);
    if (path === null) throw new ScenarioError(file, '', `--set ${quote(flag)}: ${pathProblem(pathText)}`);
    const shape = shapeAt(path);
    if (typeof shape === 'string') throw setError(file, path, shape, flag);
    const valueText = flag.slice(eq + 1);
    const lineCounter = new LineCounter();
    const valueDoc = parseDocument(valueText, { lineCounter, uniqueKeys: true });
    // The checks a file gets (yaml-checks.ts), so a value means what it would in the file.
    const inValue = (check: () => void): void => {
      try {
        check();
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        throw setError(file, path, e.problem, flag, e.path);
      }
    };
    inValue(() => numericTags(valueDoc, lineCounter, file));
    const yamlError = valueDoc.errors[0] ?? valueDoc.warnings.find((w) => !answeredAfterParsing(w));
    if (yamlError !== undefined) {
      if (yamlError.code === 'RESOURCE_EXHAUSTION') throw setError(file, path, `nested too deeply (at most ${MAX_DEPTH} levels)`, flag);
      if (yamlError.code === 'MULTIPLE_DOCS') throw setError(file, path, 'the value holds more than one YAML document (a line of --- starts another); give one value', flag);
      const why = yamlError.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw setError(file, path, `the value is not valid YAML (${shorten(why, 200)})`, flag);
    }
    inValue(() => checkYamlDocument(valueDoc, valueText, lineCounter, file));
    let value: unknown;
    try {
      value = valueDoc.toJS({ maxAliasCount: 0 });
    } catch {
      throw setError(file, path, 'the value may not use YAML aliases', flag);
    }
    if (path.length + depthOf(value, MAX_DEPTH) > MAX_DEPTH) throw setError(file, path, `nested too deeply (at most ${MAX_DEPTH} levels)`, flag);
    // How a number was written, where an integer goes: the value alone has lost it (1e-400 is 0).
    const inexact = inexactIntegers(valueDoc, valueDoc.contents, path, shape)[0];
    if (inexact !== undefined) throw setError(file, inexact.at, inexact.problem, flag);
    const blocked = preparePath(doc, path, aliased);
    if (blocked !== null) throw setError(file, path, blocked, flag);
    doc.setIn(path, doc.createNode(value));
    applied.push({ text: flag, path });
  }
  return applied;
}
