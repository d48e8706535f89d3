// Checks a parsed YAML document gets before its values are read, the same
// for a scenario file (load.ts) and for a --set value (overrides.ts): YAML
// 1.2 only, keys that are names, aliases with their anchors, no tags of
// YAML's other types, and the core schema's numeric tags. Each refusal is a
// ScenarioError located in the text parsed (the file, or the flag's value).

import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type LineCounter, type YAMLError } from 'yaml';
import { formatPath, quote, ScenarioError } from './errors.ts';
import { foreignTag, yamlPathOf } from './nodes.ts';

/**
 * A key that is not a plain name: a list or mapping (YAML's complex keys, which
 * a JS object can only hold as their text), an alias (which also slips past the
 * duplicate-key check), or nothing at all (`null:`, `~:`, `: x`, `""`). No key
 * of the format is any of these, and each would otherwise be reported as an
 * unknown key named "" or "[ a, b ]" that cannot be located.
 */
export function badKey(doc: Document, lineCounter: LineCounter, file: string): ScenarioError | null {
  let found: ScenarioError | null = null;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key;
      let problem: string | null = null;
      if (isMap(key) || isSeq(key)) problem = `a key must be a name, found ${isMap(key) ? 'a mapping' : 'a list'} (a YAML complex key)`;
      else if (isAlias(key)) problem = `a key must be a name, found the alias *${key.source}`;
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
export function answeredByNumericTags(w: YAMLError): boolean {
  return w.code === 'TAG_RESOLVE_FAILED' && (w.message.includes(FLOAT_TAG) || w.message.includes(INT_TAG));
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
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      unresolved = node;
      return visit.BREAK;
    },
  });
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
