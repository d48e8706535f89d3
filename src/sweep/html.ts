// index.html of a sweep: one self-contained page (inline CSS, a few lines of
// inline script to sort by a column), a table of the runs with the grid
// values as columns and the key outcomes.

import { countColumn } from '../report/series.ts';
import { HYPERMEM_VERSION } from '../version.ts';
import type { Grid } from './grid.ts';
import { RANKING_NOTE, SEEDS_NOTE } from '../report/verdict.ts';
import { gridColumns, OUTCOMES, type Row } from './rows.ts';
import { sweepVerdicts } from './verdict.ts';
import { MAX_CHART_GROUPS, sweepChart } from './chart.ts';

export interface SweepInfo {
  scenario: string;
  description: string;
  file: string;
  grids: readonly Grid[];
  sets: readonly string[];
  seeds: number;
  /** Set for one shard of a sweep (`sweep --shard K/N`): its place, and the runs of the whole sweep. */
  shard?: { index: number; count: number; sweepRuns: number };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body { font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; margin: 1.5em; color: #212529; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.1em; margin: 1.4em 0 0; }
p.meta { margin: .2em 0; color: #555; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
.wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin-top: .6em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: .25em .6em; }
th { background: #f0f3f7; cursor: pointer; user-select: none; position: sticky; top: 0; vertical-align: bottom; }
th.grid, td.grid { background: #fbf8ee; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #b00020; font-weight: 600; }
tbody tr:hover td { background: #eef4ff; }
figure.chart { margin: 1em 0 0; }
figure.chart svg { max-width: 100%; height: auto; }
`;

const SCRIPT = `
document.querySelectorAll('th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table');
    var body = table.tBodies[0];
    var col = th.cellIndex;
    var up = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      var nx = Number(x), ny = Number(y);
      var c = (x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, undefined, { numeric: true });
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
`;

/** Outcomes where a non-zero value is bad news, shown in red. */
const BAD = new Set(['launches_failed_fast', 'launches_failed_midway', 'wasted_build_s', 'oom_events', 'invariant_violations']);

/** A sortable table that scrolls sideways when it is wider than the window. */
function tableHtml(head: string, body: string): string {
  return `<div class="wrap"><table>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
}

/**
 * The cells of the outcome columns of a table, one row of values per table row: each column written in one
 * unit with one number of decimals, chosen from its values (as the run report's tables, src/report/series.ts),
 * so that its numbers line up; the exact value to sort by in data-v.
 */
function outcomeCells(values: number[][]): string[][] {
  const fmts = OUTCOMES.map((o, k) => {
    const column = values.map((row) => row[k]);
    return o.column !== undefined ? o.column(column) : countColumn(column);
  });
  return values.map((row) =>
    row.map((n, k) => {
      const cls = BAD.has(OUTCOMES[k].key) && n > 0 ? 'num bad' : 'num';
      return `<td class="${cls}" data-v="${n}">${escapeHtml(fmts[k](n))}</td>`;
    }),
  );
}

/** With several seeds: one row per grid point, each outcome the mean over its seeds (in run order of first appearance). */
function pointsTable(info: SweepInfo, rows: readonly Row[]): string {
  // A shard holds only some of each point's seeds: its means would not be the sweep's (the merge has them).
  if (info.seeds < 2 || info.grids.length === 0 || info.shard !== undefined) return '';
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(info.grids.map((g) => r.point[g.path]));
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const head = [...info.grids.map((g) => `<th class="grid">${escapeHtml(g.path)}</th>`), '<th>runs</th>', ...OUTCOMES.map((o) => `<th title="${escapeHtml(o.title)} (${o.over === 'min' ? 'the lowest of any seed' : 'mean over the seeds'})">${escapeHtml(o.label)}</th>`)].join('');
  const lists = [...groups.values()];
  // Means to three decimals (the same bytes on every machine); the lowest free memory is the lowest of any seed, as in `compare --seeds`.
  const over = (o: (typeof OUTCOMES)[number], list: Row[]): number =>
    o.over === 'min' ? Math.min(...list.map((r) => o.value(r.summary))) : Math.round((list.reduce((a, r) => a + o.value(r.summary), 0) / list.length) * 1000) / 1000;
  const outcomes = outcomeCells(lists.map((list) => OUTCOMES.map((o) => over(o, list))));
  const body = lists
    .map((list, i) => {
      const cells = [
        ...info.grids.map((g) => {
          const v = escapeHtml(list[0].point[g.path]);
          return `<td class="grid" data-v="${v}">${v}</td>`;
        }),
        `<td class="num" data-v="${list.length}">${list.length}</td>`,
        ...outcomes[i],
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<h2>Per point: the mean over ${info.seeds} seeds (the lowest free memory: the lowest of any)</h2>
${tableHtml(head, body)}
<h2>Every run</h2>`;
}

/** Which value of the first grid does best at each combination of the others (not in a shard: it holds only some runs). */
function verdictSection(info: SweepInfo, rows: readonly Row[]): string {
  if (info.shard !== undefined) return '';
  const verdicts = sweepVerdicts(info.grids, info.seeds, rows);
  if (verdicts.length === 0) return '';
  const first = info.grids[0].path;
  const items =
    verdicts.length === 1 && verdicts[0].where === ''
      ? `<p>${escapeHtml(verdicts[0].lead)}</p>`
      : `<ul>${verdicts.map((v) => `<li><strong>${escapeHtml(v.where)}</strong>: ${escapeHtml(v.lead)}</li>`).join('\n')}</ul>`;
  const how = info.seeds === 1 ? RANKING_NOTE : SEEDS_NOTE;
  const { svg, zero } = sweepChart('sweep-chart', info.grids, info.seeds, rows);
  const combos = verdicts.length;
  // "OOM events" keeps its capitals; "Build time wasted (s)" reads "build time wasted".
  const zeroNames = zero.map((t) => t.replace(/ \(.*\)$/, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())).join(', ');
  const zeroNote = zero.length === 0 ? '' : ` Not drawn, 0 in every run: ${zeroNames}.`;
  const chart =
    svg !== ''
      ? `<figure class="chart">${svg}<figcaption class="meta">Each bar: ${info.seeds === 1 ? 'the run' : `the mean over the ${info.seeds} seeds`} of one value of <code>${escapeHtml(first)}</code>${info.grids.length > 1 ? ', grouped by the values of the other grids' : ''}. Exact values in the tables below.${escapeHtml(zeroNote)}</figcaption></figure>`
      : combos > MAX_CHART_GROUPS
        ? `<p class="meta">${combos} combinations of the other grids: too many to draw as bars (at most ${MAX_CHART_GROUPS}); the tables below have them all.</p>`
        : zero.length > 0
          ? `<p class="meta">No chart: every measure the chart draws is 0 in every run (${escapeHtml(zeroNames)}).</p>`
          : '';
  const others = info.grids.length > 1 ? `, at each value of ${info.grids.slice(1).map((g) => `<code>${escapeHtml(g.path)}</code>`).join(' × ')}` : '';
  return `<h2>Which ${escapeHtml(first)} does best${others}</h2>
${items}
<p class="meta">${escapeHtml(how)}</p>
${chart}`;
}

/** "runs 2, 6, 10, …": the runs of shard K of N. */
export function shardRunList(shard: { index: number; count: number; sweepRuns: number }): string {
  const list = [0, 1, 2].map((i) => shard.index + i * shard.count).filter((r) => r <= shard.sweepRuns);
  return `run${list.length === 1 ? '' : 's'} ${list.join(', ')}${shard.index + 3 * shard.count <= shard.sweepRuns ? ', …' : ''}`;
}

export function sweepHtml(info: SweepInfo, rows: readonly Row[]): string {
  const columns = gridColumns(info.grids);
  const head = [
    '<th>run</th>',
    ...columns.map((g) => `<th class="grid">${escapeHtml(g.path)}</th>`),
    '<th>seed</th>',
    ...OUTCOMES.map((o) => `<th title="${escapeHtml(o.title)}">${escapeHtml(o.label)}</th>`),
  ].join('');
  const outcomes = outcomeCells(rows.map((r) => OUTCOMES.map((o) => o.value(r.summary))));
  const body = rows
    .map((r, i) => {
      const cells = [
        `<td class="num" data-v="${r.run}">${r.run}</td>`,
        ...columns.map((g) => {
          const v = escapeHtml(r.point[g.path]);
          return `<td class="grid" data-v="${v}">${v}</td>`;
        }),
        `<td class="num" data-v="${r.seed}">${r.seed}</td>`,
        ...outcomes[i],
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const points = rows.length / info.seeds;
  const counts =
    info.shard === undefined
      ? `${rows.length} runs = ${points} points × ${info.seeds} seed${info.seeds === 1 ? '' : 's'}`
      : `shard ${info.shard.index} of ${info.shard.count}: ${rows.length} of the sweep's ${info.shard.sweepRuns} runs (${shardRunList(info.shard)}; <code>hypermem merge</code> puts the shards together)`;
  const grids = info.grids.map((g) => `<code>--grid ${escapeHtml(g.text)}</code>`).join(' ');
  const sets = info.sets.length === 0 ? '' : `<p class="meta">fixed: ${info.sets.map((s) => `<code>--set ${escapeHtml(s)}</code>`).join(' ')}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hypermem ${HYPERMEM_VERSION}">
<title>hypermem sweep: ${escapeHtml(info.scenario)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Sweep of ${escapeHtml(info.scenario)}</h1>
${info.description === '' ? '' : `<p class="meta">${escapeHtml(info.description)}</p>`}
<p class="meta">${escapeHtml(info.file)}: ${counts}</p>
<p class="meta">${grids}</p>
${sets}
<p class="meta">Click a column to sort. Full summaries: <a href="results.json">results.json</a>; table: <a href="results.csv">results.csv</a>.</p>
${verdictSection(info, rows)}
${pointsTable(info, rows)}
${tableHtml(head, body)}
<p class="meta">Made by hypermem ${HYPERMEM_VERSION}. The same scenario, grids and seeds give the same rows.</p>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
