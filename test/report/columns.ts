// The column rule of the reports (docs/reports.md), shared by the report,
// terminal and sweep table tests: a column of numbers is written in one unit
// with one number of decimals.
import assert from 'node:assert/strict';

/** A number with an optional unit: "1,234", "1.50 GiB", "<0.01 GiB", "33.3%", "12.0 s", "1.5s"; its decimals and its unit. */
export const NUMBER = /^[<-]?\d[\d,]*(?:\.(\d+))?(?: ?([A-Za-z%/]+))?$/;

/** Asserts that `values` (each matching NUMBER) share one unit and one number of decimals. */
export function assertOneForm(values: string[], where: string): void {
  const forms = new Set(
    values.map((v) => {
      const m = NUMBER.exec(v) ?? [];
      return `${(m[1] ?? '').length} decimals, unit "${m[2] ?? ''}"`;
    }),
  );
  assert.equal(forms.size, 1, `${where}: ${values.join(' | ')} (${[...forms].join('; ')})`);
}
