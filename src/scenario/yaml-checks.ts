// Checks a parsed YAML document gets before its values are read, the same
// for a scenario file (load.ts) and for a --set value (overrides.ts): YAML
// 1.2 only, keys that are names, aliases with their anchors, no tags of
// YAML's other types, and the core schema's numeric tags. Each refusal is a
// ScenarioError located in the text parsed (the file, or the flag's value).

import { CST, isAlias, isMap, isPair, isScalar, isSeq, Lexer, visit, type Alias, type Document, type LineCounter, type YAMLError } from 'yaml';
import { formatPath, quote, ScenarioError } from './errors.ts';
import { foreignTag, yamlPathOf } from './nodes.ts';

/**
 * A key that is not a plain name: a list or mapping (YAML's complex keys, which
 * a JS object can only hold as their text), an alias (which also slips past the
 * duplicate-key check), or nothing at all (`null:`, `~:`, `: x`, `""`). No key
 * of the format is any of these, and each would otherwise be reported as an
 * unknown key named "" or "[ a, b ]" that cannot be located. Nor is the
 * merge key `<<` of YAML 1.1, which YAML 1.2 does not have.
 */
export function badKey(doc: Document, lineCounter: LineCounter, file: string): ScenarioError | null {
  let found: ScenarioError | null = null;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key;
      let problem: string | null = null;
      if (isMap(key) || isSeq(key)) problem = `a key must be a name, found ${isMap(key) ? 'a mapping' : 'a list'} (a YAML complex key)`;
      else if (isAlias(key)) problem = `a key must be a name, found the alias *${key.source}`;
      // YAML 1.1's merge key: YAML 1.2 reads it as a key named "<<", which would be reported as unknown, or
      // not at all when a key it was meant to bring in is missing ("memory: required" under `<<: *base`).
      else if (isScalar(key) && key.value === '<<' && key.type === 'PLAIN') {
        problem = 'a merge key (<<) is YAML 1.1, not YAML 1.2: scenario files do not merge mappings; write the keys out (an alias may still repeat a whole value)';
      }
      else if (key === null || (isScalar(key) && (key.value === null || key.value === ''))) {
        const source = isScalar(key) ? (key.source as unknown) : undefined;
        problem =
          typeof source === 'string' && source !== ''
            ? `a key must be a name, found ${JSON.stringify(source)} (YAML for nothing: an empty key)`
            : 'a key must be a name, found an empty key';
      }
      if (problem === null) return undefined;
      const offset = (key as { range?: [number, number, number] } | null)?.range?.[0] ?? (pair.value as { range?: [number, number, number] } | null)?.range?.[0];
      const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
      found = new ScenarioError(file, formatPath(yamlPathOf(ancestors, pair)), problem, pos?.line, pos?.col);
      return visit.BREAK;
    },
  });
  return found;
}

export const FLOAT_TAG = 'tag:yaml.org,2002:float';
export const INT_TAG = 'tag:yaml.org,2002:int';

/**
 * Resolves `!!float` on integer literals (the core schema's float includes
 * them) and refuses `!!int` or `!!float` on what is not a number of that
 * kind, naming the field: every scalar the library left unresolved under
 * those tags is dealt with here.
 */
export function numericTags(doc: Document, lineCounter: LineCounter, file: string): void {
  visit(doc, {
    Scalar(_, node, ancestors) {
      if (typeof node.value !== 'string' || (node.tag !== FLOAT_TAG && node.tag !== INT_TAG)) return;
      const text = node.value.trim();
      const at = node.range?.[0] ?? 0;
      if (node.tag === FLOAT_TAG && /^[-+]?[0-9]+$/.test(text)) {
        node.value = Number(text);
      } else {
        const pos = lineCounter.linePos(at);
        const what = node.tag === INT_TAG ? 'a whole number' : 'a number';
        throw new ScenarioError(file, formatPath(yamlPathOf(ancestors, node)), `the value tagged ${node.tag === INT_TAG ? '!!int' : '!!float'} is not ${what}: ${quote(text)}`, pos.line, pos.col);
      }
    },
  });
}

/** A warning numericTags has dealt with (the library's unresolved !!float or !!int). */
/**
 * A warning the checks after parsing answer better: an unknown tag
 * (`!!js/function`) is refused by foreignTag, which names the field; the
 * numeric tags are resolved by numericTags.
 */
export function answeredAfterParsing(w: YAMLError): boolean {
  return w.code === 'TAG_RESOLVE_FAILED';
}

/**
 * What each alias of the document stands for (undefined: no anchor before
 * it), found in one pass in document order: an alias names the last node
 * anchored with its name before it, as the yaml library's own `resolve`
 * finds it — but that walks the document from the start for each alias, so
 * a hundred aliases in a file of a million values took minutes.
 */
export function aliasTargets(doc: Document): Map<Alias, unknown> {
  const anchors = new Map<string, unknown>();
  const targets = new Map<Alias, unknown>();
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (typeof node.anchor === 'string') anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * The checks after parsing (errors and warnings already refused): a %YAML
 * directive other than 1.2, a key that is not a name, an alias without its
 * anchor, a tag of another YAML type. `text` is what was parsed.
 */
export function checkYamlDocument(doc: Document, text: string, lineCounter: LineCounter, file: string): void {
  // `%YAML 1.1` switches the yaml library to YAML 1.1 scalars (yes/no/on/off
  // booleans, 010 octal, 1:30 sexagesimal), which the format refuses
  // (docs/scenario.md): scenario files are YAML 1.2.
  const directive = doc.directives?.yaml;
  if (directive?.explicit === true && directive.version !== '1.2') {
    const at = /^%YAML\b/m.exec(text)?.index ?? 0;
    const pos = lineCounter.linePos(at);
    throw new ScenarioError(file, '', `%YAML ${directive.version}: scenario files are YAML 1.2 (remove the directive)`, pos.line, pos.col);
  }
  const keyError = badKey(doc, lineCounter, file);
  if (keyError !== null) throw keyError;
  let unresolved: Alias | undefined;
  for (const [alias, target] of aliasTargets(doc)) {
    if (target !== undefined) continue;
    unresolved = alias;
    break;
  }
  if (unresolved !== undefined) {
    const pos = lineCounter.linePos(unresolved.range?.[0] ?? 0);
    throw new ScenarioError(file, '', `invalid YAML: the alias *${unresolved.source} has no anchor &${unresolved.source} before it`, pos.line, pos.col);
  }
  const tagged = foreignTag(doc);
  if (tagged !== null) {
    // At the tag when it is written just before the value, as usual; else at the value.
    let offset = tagged.offset;
    if (offset !== undefined) {
      const at = text.lastIndexOf(tagged.tag, offset);
      if (at >= 0 && text.slice(at + tagged.tag.length, offset).trim() === '') offset = at;
    }
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    throw new ScenarioError(file, formatPath(tagged.path), tagged.problem, pos?.line, pos?.col);
  }
}

/** The most YAML values a scenario may hold, aliases counted as the values they stand for. */
export const MAX_YAML_NODES = 250_000;

/**
 * A lower bound of expandedSize from the text's tokens, without building the
 * document: scalars (plain, quoted, block), aliases and the starts of flow
 * lists and mappings, each of which becomes a value of its own. Stops at
 * `stopAt`. The yaml library's lexer reads a 3.6 MB file in about 2.5 s where
 * building the document takes ten times as long, so a file of a million
 * values is refused before it is built (load.ts). Never more than
 * expandedSize of the same text (test/scenario/hostile.test.ts checks it on
 * generated documents).
 */
export function lexicalValueCount(text: string, stopAt: number): number {
  let n = 0;
  // A plain or block scalar is a marker token, then its text: the text is not counted again (a text of U+001F would read as a marker).
  let scalarText = false;
  for (const token of new Lexer().lex(text)) {
    if (scalarText) {
      scalarText = false;
      continue;
    }
    if (token === CST.SCALAR) scalarText = true;
    switch (CST.tokenType(token)) {
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'alias':
      case 'flow-seq-start':
      case 'flow-map-start':
        if (++n >= stopAt) return n;
        break;
      default:
        break;
    }
  }
  return n;
}

/**
 * The values of the document (mappings, lists, keys and scalars), each alias
 * counted as the whole value it stands for, or MAX_YAML_NODES + 1 as soon as
 * there are more. Every later step (the checks, the conversion, the schema)
 * walks the values with their aliases expanded, so a list of a million
 * items written once and named by 99 aliases is a hundred million values to
 * them, from a file under the size limit. Counted once per distinct value
 * (sizes are kept), without recursion (nesting may be as deep as the file is
 * long); an alias inside the value it names counts once (the depth check
 * refuses it later).
 */
export function expandedSize(doc: Document): number {
  const limit = MAX_YAML_NODES + 1;
  const aliases = aliasTargets(doc);
  const sizes = new Map<unknown, number>();
  const IN_PROGRESS = -1;
  /** Post-order walk: a node is pushed, then its children; its size is summed when it comes up again. */
  const stack: { node: unknown; children: unknown[] | null }[] = [{ node: doc.contents, children: null }];
  const target = (node: unknown): unknown => (isAlias(node) ? aliases.get(node) : node);
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isScalar(node) || (isAlias(node) && target(node) === undefined)) return 1;
    const s = sizes.get(target(node));
    return s === undefined || s === IN_PROGRESS ? 1 : s;
  };
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const node = target(top.node);
    if (top.children === null) {
      if (node === null || node === undefined || isScalar(node) || sizes.has(node)) {
        stack.pop();
        continue;
      }
      sizes.set(node, IN_PROGRESS);
      const children: unknown[] = [];
      if (isMap(node)) {
        for (const pair of node.items) if (isPair(pair)) children.push(pair.key, pair.value);
      } else if (isSeq(node)) {
        for (const item of node.items) children.push(item);
      }
      top.children = children;
      for (const child of children) stack.push({ node: child, children: null });
      continue;
    }
    stack.pop();
    let size = 1;
    for (const child of top.children) size += sizeOf(child);
    if (size > limit) return limit;
    sizes.set(node, size);
  }
  return Math.min(sizeOf(doc.contents), limit);
}
