// Errors in scenario files: every one names the file, where in it (line and
// column when the place exists in the file), the YAML path of the field, and
// what was expected and found (STYLE.md habit 7).

/** A path into the YAML document: keys of mappings and indices of lists. */
export type YamlPath = readonly (string | number)[];

/** `guests[0].workload.anon.peak` for ['guests', 0, 'workload', 'anon', 'peak']. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Longest text quoted in a message; longer text is cut, with an ellipsis. */
export const SHOWN_CHARS = 60;

/** `text` for a message: cut to SHOWN_CHARS characters (the last one an ellipsis) when longer. */
export function shorten(text: string, max = SHOWN_CHARS): string {
  if (text.length <= max) return text;
  const chars = [...text.slice(0, 2 * max)];
  return text.length > 2 * max || chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/**
 * C0 and C1 control characters, the line and paragraph separators (which end
 * a line in some viewers), the bidirectional controls (which reorder the rest
 * of a terminal's line) and the invisible zero-width characters (a key
 * "mem\u200bory" would print as "memory"): escaped, a message shows what is there.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Bidi_Control}\u200b-\u200d\u2060-\u2064\ufeff]/gu;

/** `text` with every control character written as an escape (\n, \u001b), so a message stays one line. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** `text` quoted for a message (control characters escaped), cut to SHOWN_CHARS. */
export function quote(text: string, max = SHOWN_CHARS): string {
  return `"${escapeControls(shorten(text, max).replace(/["\\]/g, (c) => `\\${c}`))}"`;
}

/** A `--set` flag as shown in messages: as given, cut when long (a value may be megabytes). */
export function shownFlag(flag: string): string {
  return escapeControls(shorten(flag));
}

/** A file name for messages: as given, or quoted when it holds control characters (a newline would split the line). */
function shownFile(file: string): string {
  return new RegExp(CONTROL_CHARS.source, 'u').test(file) ? quote(file, Infinity) : file;
}

/** The one error that leaves the scenario loader for bad input. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';

  constructor(
    /** The file as named by the caller ('' when parsed from memory). */
    readonly file: string,
    /** The YAML path of the offending field, '' for the file as a whole. */
    readonly path: string,
    /** What is wrong, without the place. */
    readonly problem: string,
    /** 1-based, when the place exists in the file. */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(ScenarioError.format(file, path, problem, line, column));
  }

  static format(file: string, path: string, problem: string, line?: number, column?: number): string {
    let where = file === '' ? '<scenario>' : shownFile(file);
    if (line !== undefined) where += `:${line}:${column ?? 1}`;
    // A path holds keys as written, and an unknown key may be long: cut it, as values are.
    const shownPath = shorten(path, 4 * SHOWN_CHARS);
    return path === '' ? `${where}: ${problem}` : `${where}: ${shownPath}: ${problem}`;
  }
}

/** A problem found at a path of the parsed document; the loader turns it into a located ScenarioError. */
export class Problem extends Error {
  override name = 'Problem';

  constructor(
    readonly at: YamlPath,
    readonly problem: string,
    /** Point at the key rather than its value (unknown keys). */
    readonly atKey = false,
  ) {
    super(`${formatPath(at)}: ${problem}`);
  }
}
