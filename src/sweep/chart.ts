// The sweep page's charts: per outcome, the mean over the seeds of each value
// of the first --grid (one bar each), at each combination of the other grids'
// values (groups along the x axis) — the verdict's comparison, drawn. Apache
// ECharts rendered on the server to SVG, as the run report's charts are.

import { COLORS, echarts, FONT, GROUP_COLORS, renameIds } from '../report/charts.ts';
import { fmtCount, fmtNumber, guestSum, niceAxis } from '../report/series.ts';
import { launchCount, type Summary } from '../sim/metrics.ts';
import type { Grid } from './grid.ts';
import type { Row } from './rows.ts';
import { comparisons } from './verdict.ts';

interface Measure {
  title: string;
  value: (s: Summary) => number;
}


/** What the charts show: the ranked outcomes first, then the I/O. */
const MEASURES: Measure[] = [
  { title: 'Launches finished', value: (s) => launchCount(s, 'ok') },
  { title: 'Build time wasted (s)', value: (s) => s.launches.reduce((a, l) => a + l.wasted_build_ns, 0) / 1e9 },
  { title: 'OOM events', value: (s) => guestSum(s, (g) => g.oom_events) },
  { title: 'Swap I/O on the disk (pages)', value: (s) => guestSum(s, (g) => g.disk.swap_reads + g.disk.swap_writes) },
  { title: 'File reads from the disk (pages)', value: (s) => guestSum(s, (g) => g.disk.file_reads) },
  { title: 'Write-backs to the disk (pages)', value: (s) => guestSum(s, (g) => g.disk.file_writes) },
];

/** Groups along the x axis at most: more would make bars too thin to read (the tables have them all). */
export const MAX_CHART_GROUPS = 24;

const WIDTH = 1080;
const PANEL_H = 200;
const ROW_H = PANEL_H + 70;
const LEGEND_H = 34;

/**
 * The charts' SVG, one panel per measure that is not 0 in every run, and
 * the titles of those that are (named under the chart instead of drawn
 * empty); svg '' when there is nothing to compare (the first grid has one
 * value), too many groups to draw, or nothing but zeros. `rows` are the
 * whole sweep's runs in run order (first grid slowest, seeds innermost).
 */
export function sweepChart(id: string, grids: readonly Grid[], seeds: number, rows: readonly Row[]): { svg: string; zero: string[] } {
  const groups = comparisons(grids, seeds, rows);
  if (groups === null || groups.runs.length > MAX_CHART_GROUPS) return { svg: '', zero: [] };
  const first = grids[0];
  const groupNames = groups.where.map((w) => (w === '' ? 'all runs' : w));
  /** The mean of a measure over the seeds of first-grid value v at combination c. */
  const mean = (m: Measure, v: number, c: number): number => {
    const runs = groups.runs[c][v];
    return runs.reduce((a, r) => a + m.value(r.summary), 0) / runs.length;
  };
  const nonZero = (m: Measure): boolean => groups.runs.some((c) => c.some((runs) => runs.some((r) => m.value(r.summary) !== 0)));
  const drawn = MEASURES.filter(nonZero);
  const zero = MEASURES.filter((m) => !nonZero(m)).map((m) => m.title);
  if (drawn.length === 0) return { svg: '', zero };
  const cols = 2;
  const colW = WIDTH / cols;
  const grid: object[] = [];
  const xAxis: object[] = [];
  const yAxis: object[] = [];
  const title: object[] = [];
  const series: object[] = [];
  drawn.forEach((m, i) => {
    const top = LEGEND_H + Math.floor(i / cols) * ROW_H + 26;
    const left = (i % cols) * colW + 64;
    const values = first.values.map((_, v) => groupNames.map((_, c) => mean(m, v, c)));
    const axis = niceAxis(Math.max(...values.flat()));
    grid.push({ left, top, width: colW - 64 - 24, height: PANEL_H });
    // With one seed a bar is one run's figure: "mean per run" would say more than there is.
    title.push({ text: seeds > 1 ? `${m.title}, mean per run` : m.title, left: left - 56, top: top - 24, textStyle: { fontSize: 13, fontWeight: 600, color: COLORS.text, fontFamily: FONT } });
    xAxis.push({
      gridIndex: i,
      type: 'category',
      data: groupNames,
      axisLine: { lineStyle: { color: '#adb5bd' } },
      axisTick: { alignWithLabel: true, lineStyle: { color: '#adb5bd' } },
      axisLabel: { color: COLORS.label, fontSize: 11, fontFamily: FONT, interval: 0, hideOverlap: true, width: (colW - 100) / groupNames.length, overflow: 'truncate' },
    });
    yAxis.push({
      gridIndex: i,
      type: 'value',
      min: 0,
      max: axis.max,
      interval: axis.interval,
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: { color: COLORS.label, fontSize: 11, fontFamily: FONT, formatter: (n: number) => (n >= 1000 ? fmtCount(n) : fmtNumber(n, 2)) },
      splitLine: { lineStyle: { color: COLORS.grid } },
    });
    first.values.forEach((value, v) => {
      series.push({
        name: `${first.path}=${value}`,
        type: 'bar',
        xAxisIndex: i,
        yAxisIndex: i,
        data: values[v],
        color: GROUP_COLORS[v % GROUP_COLORS.length],
        barMaxWidth: 28,
        animation: false,
        silent: true,
      });
    });
  });
  const height = LEGEND_H + Math.ceil(drawn.length / cols) * ROW_H;
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      title,
      legend: { data: first.values.map((value) => `${first.path}=${value}`), top: 4, left: 'center', itemGap: 18, itemWidth: 18, itemHeight: 10, textStyle: { color: COLORS.text, fontSize: 12, fontFamily: FONT } },
      grid,
      xAxis,
      yAxis,
      series,
    });
    return { svg: renameIds(chart.renderToSVGString(), id), zero };
  } finally {
    chart.dispose();
  }
}
