// A file given to `hypermem replay` that is plainly not a file of requests:
// a scenario (YAML, for `hypermem run`) or the events a run wrote
// (events.jsonl). Said in one line instead of one error result per line.
// Anything else that is not JSON gets the per-line errors replay promises.

import { scenarioShape } from '../scenario/overrides.ts';

/** How much of the file's start is looked at. */
export const HEAD_BYTES = 64 * 1024;

/**
 * Why `head` (the start of a file) is not a file of requests, or null when it
 * may be one. `cut`: the file goes on past the head (its last line may be cut).
 */
export function notRequests(head: string, cut: boolean): 'scenario' | 'events' | null {
  const lines = head.split(/\r\n|\r|\n/);
  // Only whole lines are judged.
  if (cut) lines.pop();
  // YAML comments, directives (%YAML 1.2) and the document marker (`---`, maybe with a comment) come before a
  // scenario's first key; a request line is never one of them.
  const first = lines
    .map((l) => l.replace(/^\uFEFF/, ''))
    .find((l) => l.trim() !== '' && !l.trimStart().startsWith('#') && !l.startsWith('%') && !/^---(\s+#.*)?\s*$/.test(l));
  if (first === undefined) return null;
  if (first.trimStart().startsWith('{')) {
    try {
      const v: unknown = JSON.parse(first);
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.hasOwn(v, 'op')) return null;
      // An event of a run: its time and kind, no request.
      if (Object.hasOwn(v, 'timeNs') && Object.hasOwn(v, 'kind')) return 'events';
      // A scenario written as one JSON object (YAML reads JSON too).
      const keys = Object.keys(v);
      return keys.length > 0 && keys.every((k) => scenarioKey(k)) ? 'scenario' : null;
    } catch {
      return null;
    }
  }
  // A scenario's first key at the left margin: `duration: 10m`, `host:`, …
  const key = /^(["']?)([A-Za-z_][A-Za-z0-9_]*)\1\s*:(\s|$)/.exec(first)?.[2];
  return key !== undefined && scenarioKey(key) ? 'scenario' : null;
}

/** A key a scenario has at its top (name, duration, host, …). */
function scenarioKey(key: string): boolean {
  const shape = scenarioShape();
  return shape.kind === 'object' && shape.keys.has(key);
}
