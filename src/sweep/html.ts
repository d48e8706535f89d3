// index.html of a sweep: one self-contained page (inline CSS, a few lines of
// inline script to sort by a column), a table of the runs with the grid
// values as columns and the key outcomes.

import type { Grid } from './grid.ts';
import { OUTCOMES, type Row } from './rows.ts';

export interface SweepInfo {
  scenario: string;
  description: string;
  file: string;
  grids: readonly Grid[];
  sets: readonly string[];
  seeds: number;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
p.meta { margin: .2em 0; color: #555; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; }
th { background: #f0f3f7; cursor: pointer; user-select: none; position: sticky; top: 0; white-space: nowrap; }
th.grid, td.grid { background: #fbf8ee; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #b00020; font-weight: 600; }
tbody tr:hover td { background: #eef4ff; }
`;

const SCRIPT = `
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var up = th.getAttribute('aria-sort') !== 'ascending';
    document.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
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

export function sweepHtml(info: SweepInfo, rows: readonly Row[]): string {
  const head = [
    '<th>run</th>',
    ...info.grids.map((g) => `<th class="grid">${escapeHtml(g.path)}</th>`),
    '<th>seed</th>',
    ...OUTCOMES.map((o) => `<th title="${escapeHtml(o.title)}">${escapeHtml(o.label)}</th>`),
  ].join('');
  const body = rows
    .map((r) => {
      const cells = [
        `<td class="num" data-v="${r.run}">${r.run}</td>`,
        ...info.grids.map((g) => {
          const v = escapeHtml(r.point[g.path]);
          return `<td class="grid" data-v="${v}">${v}</td>`;
        }),
        `<td class="num" data-v="${r.seed}">${r.seed}</td>`,
        ...OUTCOMES.map((o) => {
          const n = o.value(r.summary);
          const cls = BAD.has(o.key) && n > 0 ? 'num bad' : 'num';
          return `<td class="${cls}" data-v="${n}">${fmt(n)}</td>`;
        }),
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const points = rows.length / info.seeds;
  const grids = info.grids.map((g) => `<code>--grid ${escapeHtml(g.text)}</code>`).join(' ');
  const sets = info.sets.length === 0 ? '' : `<p class="meta">fixed: ${info.sets.map((s) => `<code>--set ${escapeHtml(s)}</code>`).join(' ')}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hypermem sweep: ${escapeHtml(info.scenario)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Sweep of ${escapeHtml(info.scenario)}</h1>
${info.description === '' ? '' : `<p class="meta">${escapeHtml(info.description)}</p>`}
<p class="meta">${escapeHtml(info.file)}: ${rows.length} runs = ${points} points × ${info.seeds} seed${info.seeds === 1 ? '' : 's'}</p>
<p class="meta">${grids}</p>
${sets}
<p class="meta">Click a column to sort. Full summaries: <a href="results.json">results.json</a>; table: <a href="results.csv">results.csv</a>.</p>
<table>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
