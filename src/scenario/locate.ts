// Where a YAML path is in the source text: the line and column of the value
// (or of the key, for unknown keys), or of the nearest enclosing node that
// exists when the path leads to a missing key. Aliases are followed to their
// anchors, so a bad value shared through an alias is shown where it is written.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { YamlPath } from './errors.ts';

export interface Location {
  line: number;
  column: number;
  /** False when the path stopped early at a missing key or a node made by --set. */
  exact: boolean;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

export function locate(doc: Document, lineCounter: LineCounter, path: YamlPath, atKey = false): Location | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
  let exact = true;
  for (let i = 0; i < path.length && exact; i++) {
    // Bounded: at most one alias hop per segment (the path itself is bounded by the depth cap).
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i];
    let next: unknown = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (pair !== undefined) {
        const keyNode = pair.key as Node | null;
        if (atKey && i === path.length - 1 && keyNode?.range) {
          offset = keyNode.range[0];
          break;
        }
        next = pair.value ?? undefined;
        const valueRange = (pair.value as Node | null)?.range;
        if (valueRange === undefined && keyNode?.range) offset = keyNode.range[0];
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined) {
      exact = false;
      break;
    }
    node = next;
    const range = (node as Node).range;
    if (range) offset = range[0];
    else exact = false;
  }
  if (offset === undefined) return undefined;
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col, exact };
}
