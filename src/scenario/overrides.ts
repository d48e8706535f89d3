// `--set path=value` overrides, applied to the parsed YAML document before
// validation, so an overridden value is checked exactly like one in the file.
// The path is checked against the scenario format (not the file): a key the
// format does not have is an error even when the file has no such section,
// and a key the format has is created when the file leaves it out.

import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { formatPath, ScenarioError, type YamlPath } from './errors.ts';
import { scenarioSchema, shapeOf, type SchemaShape } from './schema.ts';

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

/** "guests[0].count" → ['guests', 0, 'count'], or null when malformed. */
export function parsePath(text: string): YamlPath | null {
  const path: (string | number)[] = [];
  let rest = text;
  while (rest !== '') {
    const m = SEGMENT.exec(rest);
    if (m === null) return null;
    if (m[1] !== undefined) {
      if (path.length === 0 && m[0].startsWith('.')) return null;
      path.push(m[1]);
    } else {
      if (path.length === 0) return null;
      path.push(Number(m[2]));
    }
    rest = rest.slice(m[0].length);
  }
  return path.length === 0 ? null : path;
}

/** The schema shape at `path`, or a message saying which segment the format does not have. */
export function shapeAt(path: YamlPath): SchemaShape | string {
  let shape = scenarioShape();
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const here = formatPath(path.slice(0, i)) || 'a scenario';
    if (shape.kind === 'object') {
      const child = typeof segment === 'string' ? shape.keys.get(segment) : undefined;
      if (child === undefined) return `no such key (${here} has: ${[...shape.keys.keys()].join(', ')})`;
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

function setError(file: string, path: YamlPath | null, problem: string, flag: string): ScenarioError {
  return new ScenarioError(file, path === null ? '' : formatPath(path), `${problem}, in --set ${flag}`);
}

/**
 * Readies the document to take `path`: lists must be indexed within their
 * length and no value may be in the way; a missing mapping is left for setIn
 * to create, and an empty section (`tmem:` with nothing after it) becomes an
 * empty mapping. Returns why the path cannot be set, or null.
 */
function preparePath(doc: Document, path: YamlPath): string | null {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const here = formatPath(path.slice(0, i)) || 'the top level';
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
  for (const flag of sets) {
    const eq = flag.indexOf('=');
    const path = eq < 0 ? null : parsePath(flag.slice(0, eq).trim());
    if (path === null) {
      throw new ScenarioError(file, '', `--set ${JSON.stringify(flag)}: expected path=value, such as toolstack.policy=none or guests[0].count=3`);
    }
    const shape = shapeAt(path);
    if (typeof shape === 'string') throw setError(file, path, shape, flag);
    const valueDoc = parseDocument(flag.slice(eq + 1));
    if (valueDoc.errors.length > 0) {
      const why = valueDoc.errors[0].message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw setError(file, path, `the value is not valid YAML (${why})`, flag);
    }
    let value: unknown;
    try {
      value = valueDoc.toJS({ maxAliasCount: 0 });
    } catch {
      throw setError(file, path, 'the value may not use YAML aliases', flag);
    }
    const blocked = preparePath(doc, path);
    if (blocked !== null) throw setError(file, path, blocked, flag);
    doc.setIn(path, doc.createNode(value));
    applied.push({ text: flag, path });
  }
  return applied;
}
