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
    let where = file === '' ? '<scenario>' : file;
    if (line !== undefined) where += `:${line}:${column ?? 1}`;
    return path === '' ? `${where}: ${problem}` : `${where}: ${path}: ${problem}`;
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
