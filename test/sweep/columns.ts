// Reading a sweep's index.html back as tables of cells, and the column rule of
// the reports (docs/reports.md): every column of numbers right-aligned, in one
// unit with one number of decimals. Shared by grid.test.ts and sweep.test.ts.
import assert from 'node:assert/strict';
import { assertOneForm, NUMBER } from '../report/columns.ts';

export interface Cell {
  text: string;
  /** Right-aligned (class "num"). */
  num: boolean;
  /** A grid value, kept as given on the command line (class "grid"). */
  grid: boolean;
}

/** Every table of the page: its header labels and its body rows of cells (text with tags dropped and the five escapes decoded). */
export function tables(html: string): { head: string[]; rows: Cell[][] }[] {
  const decode = (s: string): string =>
    s.replace(/<[^>]+>/g, '').replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? '').trim();
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) => ({
    head: [...t[1].matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((h) => decode(h[1])),
    rows: [...t[1].slice(t[1].indexOf('<tbody>')).matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
      [...r[1].matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)].map((c) => ({
        text: decode(c[2]),
        num: /class="num\b/.test(c[1]),
        grid: /class="grid\b/.test(c[1]),
      })),
    ),
  }));
}

/** The column of `head` in table `t` of the page, as texts. */
export function column(html: string, t: number, head: string): string[] {
  const table = tables(html)[t];
  const i = table.head.indexOf(head);
  assert.ok(i >= 0, `table ${t + 1} has a column "${head}": ${table.head.join(' | ')}`);
  return table.rows.map((r) => r[i].text);
}

/**
 * Asserts that in every table of the page each column of numbers (the grid values aside, which are kept as
 * given) is right-aligned and written in one unit with one number of decimals ('-' for none aside); returns
 * how many columns of two or more numbers were checked.
 */
export function assertColumnsLineUp(html: string, what: string): number {
  let checked = 0;
  tables(html).forEach(({ head, rows }, t) => {
    head.forEach((name, c) => {
      const all = rows.map((r) => r[c]);
      if (all.some((x) => x === undefined || x.grid)) return;
      // '-' is "none" (no build time wasted), right-aligned like the numbers around it.
      for (const x of all) assert.ok(x.num, `${what}, table ${t + 1}, ${name}: "${x.text}" is right-aligned`);
      const cells = all.filter((x) => x.text !== '-');
      for (const x of cells) assert.ok(NUMBER.test(x.text), `${what}, table ${t + 1}, ${name}: "${x.text}" is a number`);
      if (cells.length < 2) return;
      checked++;
      assertOneForm(cells.map((x) => x.text), `${what}, table ${t + 1}, ${name}`);
    });
  });
  return checked;
}
