// The report's charts: Apache ECharts rendered on the server to SVG strings
// (no canvas, no DOM). Every chart is a grid of panels sharing one legend and
// the same axes (one panel for a run; a panel per variant, or per guest and
// variant, for a comparison). ECharts is loaded on first use, so commands
// that draw nothing do not pay for it.

import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import type { LoggedEvent, Sample } from '../sim/metrics.ts';
import type { Scenario } from '../scenario/types.ts';
import {
  cleancacheGroups,
  fmtCount,
  fmtNumber,
  guestLevels,
  hitRate,
  launchMarkers,
  MAX_POINTS,
  niceAxis,
  pickGuests,
  ratePerSecond,
  sizeUnit,
  thin,
  timeUnit,
  type LaunchMarker,
  type MarkerKind,
  type Point,
  type Unit,
} from './series.ts';

let loaded: typeof Echarts | null = null;
export function echarts(): typeof Echarts {
  loaded ??= createRequire(import.meta.url)('echarts') as typeof Echarts;
  return loaded;
}

// Single quotes only: zrender writes this into style="…" attributes without escaping, so a double quote would end the attribute there.
export const FONT = `-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif`;

/**
 * The charts' colours. Lines, markers and stacked bands (as drawn, at STACK_OPACITY) stand out from the white
 * panel by at least 3:1 (WCAG 1.4.11), colours also written as text (labels, markers' counts) by 4.5:1. The
 * light bands (free, freeable, ephemeral: 1.3 to 2:1) keep their fills, and each has an edge: its boundary
 * line (and its legend swatch's outline) in a darker shade of its hue, 3:1 or more, so that the boundary shows.
 * test/report/html.test.ts computes every ratio.
 */
export const COLORS = {
  owned: '#5470c6',
  freeable: '#9fd3c7',
  /** The edge of the freeable band: 3.89:1 on white. */
  freeableEdge: '#3a8f7c',
  free: '#d9dee7',
  /** The edge of the free band (the top of the host's stack): 3.36:1 on white. */
  freeEdge: '#7b8dac',
  claims: '#d9480f',
  ram: '#4c6ef5',
  target: '#212529',
  /** 3.93:1 on white (was #f08c00, 2.48:1). */
  committed: '#c96500',
  ephemeral: '#74c0fc',
  /** The edge of the ephemeral band: 4.20:1 on white. */
  ephemeralEdge: '#1c7ed6',
  persistent: '#7048e8',
  fileReads: '#1c7ed6',
  /** Write-backs, green beside the file reads' blue: 3.83:1 as drawn, at STACK_OPACITY. */
  fileWrites: '#087f5b',
  /** 3.17:1 as drawn, at STACK_OPACITY (was #f76707, 2.62:1). */
  swapReads: '#c96500',
  /** Darker than the swap-ins' orange beside it (was #c92a2a), so that the two bands stay apart: 1.78:1 between them. */
  swapWrites: '#a61e1e',
  axis: '#868e96',
  /** Tick labels, axis names and "not running" notes: 4.7:1 on white (WCAG AA for small text; the lighter axis grey is 3.3:1). */
  label: '#6c757d',
  grid: '#eceff3',
  text: '#343a40',
};

/** The opacity of stacked bands (a band shows its colour at this opacity over the white panel). */
export const STACK_OPACITY = 0.85;

/** The width of a light band's edge line, px. */
export const EDGE_WIDTH = 1.5;

/** A palette for lines that are just "one per group": each 3.4:1 or more on white (the amber was #f59f00, 2.13:1; now #a87600, 4.0:1). */
export const GROUP_COLORS = ['#1c7ed6', '#e8590c', '#2f9e44', '#ae3ec9', '#0c8599', '#a87600', '#e64980', '#5c940d'];

/** Launch markers; their counts ("×3") are written in their colour, so each reads as text: 4.5:1 or more on white. */
export const MARKERS: Record<MarkerKind, { label: string; color: string; symbol: string }> = {
  start: { label: 'launch started', color: '#495057', symbol: 'triangle' },
  ok: { label: 'launch ok', color: '#2b7a3b', symbol: 'circle' },
  failed_fast: { label: 'failed fast', color: '#b35900', symbol: 'diamond' },
  failed_midway: { label: 'failed mid-way', color: '#e03131', symbol: 'rect' },
  abandoned: { label: 'abandoned', color: '#9c36b5', symbol: 'pin' },
  oom: { label: 'OOM in a guest', color: '#a61e4d', symbol: 'arrow' },
};

export interface SeriesSpec {
  name: string;
  kind: 'area' | 'line' | 'scatter';
  /** x in ns; y in the chart's base quantity (pages, percent, per second). */
  data: Point[];
  color: string;
  /**
   * Area only: the colour of its boundary line (the top of its band) and of its legend swatch's outline, when
   * not its fill: a darker shade for a light fill that would not stand out from the panel by itself. Drawn
   * EDGE_WIDTH wide unless `width` says otherwise.
   */
  edge?: string;
  stack?: string;
  dashed?: boolean;
  /** Dotted (for a limit rather than a level); takes precedence over dashed. */
  dotted?: boolean;
  width?: number;
  symbol?: string;
  /** Vertical rules at these times (ns), in the series' colour. */
  rules?: number[];
  /**
   * Line only: drawn as steps, each value held until the next sample (for a
   * quantity that jumps at events, such as claims: a slope between samples
   * would show it changing before it did).
   */
  step?: boolean;
  /** Scatter only: a short label beside each point ('' for none), e.g. "×3". */
  labels?: string[];
}

export interface Panel {
  title: string;
  series: SeriesSpec[];
  /** Written in the middle of the panel when no series has a value. */
  empty?: string;
}

export interface ChartSpec {
  panels: Panel[];
  cols: number;
  width: number;
  panelHeight: number;
  /** The x axis runs from 0 to this (ns). */
  durationNs: number;
  /** The y axis: its unit (values are divided by `per`), its top in that unit. */
  y: Unit & {
    max: number;
    interval: number;
    label: string;
    /** Appended to tick labels when there are several panels (no axis name then). */
    short: string;
    /** How a tick value (in the unit) is written; plain numbers by default. */
    format?: (v: number) => string;
  };
}

const LEGEND_ROW_H = 22;
const LEGEND_ITEM_W = 18;
const LEGEND_GAP = 18;

/** Legend rows ECharts will need at this width (a close estimate of 12px text). */
function legendRows(names: string[], width: number): number {
  let rows = 1;
  let x = 0;
  for (const n of names) {
    const w = LEGEND_ITEM_W + 5 + n.length * 5.9 + LEGEND_GAP;
    if (x > 0 && x + w > width - 40) {
      rows++;
      x = 0;
    }
    x += w;
  }
  return rows;
}

/** The legend swatch: a block for areas, a bar (dashed or not) for lines, the symbol for markers. */
function legendIcon(s: SeriesSpec): string {
  if (s.kind === 'scatter') return s.symbol ?? 'circle';
  if (s.kind === 'area') return 'roundRect';
  if (s.dotted === true) return 'path://M0 0h2v2H0zM5 0h2v2H5zM10 0h2v2h-2zM15 0h2v2h-2z';
  return s.dashed === true ? 'path://M0 0h5v2H0zM7 0h5v2H7zM14 0h5v2h-5z' : 'path://M0 0h19v2H0z';
}
const TITLE_H = 24;
const AXIS_H = 44;
const LEFT = 64;
const RIGHT = 18;

/** Renders a chart to an SVG string; ids and classes are renamed `${id}-n` so output is deterministic and unique per page. */
export function renderChart(id: string, spec: ChartSpec): string {
  const x = timeUnit(spec.durationNs);
  const rows = Math.ceil(spec.panels.length / spec.cols);
  const multi = spec.panels.length > 1;
  const showTitles = multi || spec.panels[0].title !== '';
  const rowH = (showTitles ? TITLE_H : 6) + spec.panelHeight + AXIS_H;
  const legendItems: SeriesSpec[] = [];
  for (const p of spec.panels) for (const s of p.series) if (!legendItems.some((l) => l.name === s.name)) legendItems.push(s);
  const LEGEND_H = 12 + LEGEND_ROW_H * legendRows(legendItems.map((l) => l.name), spec.width);
  const height = LEGEND_H + rows * rowH;
  const colW = spec.width / spec.cols;
  const grids: object[] = [];
  const xAxes: object[] = [];
  const yAxes: object[] = [];
  const titles: object[] = [];
  const graphics: object[] = [];
  const series: object[] = [];
  const xMax = spec.durationNs / x.per;
  spec.panels.forEach((panel, i) => {
    const col = i % spec.cols;
    const row = Math.floor(i / spec.cols);
    const top = LEGEND_H + row * rowH + (showTitles ? TITLE_H : 6);
    const left = col * colW + (spec.cols > 1 ? LEFT - 8 : LEFT);
    grids.push({ left, top, width: colW - LEFT - RIGHT + (spec.cols > 1 ? 0 : 0), height: spec.panelHeight, containLabel: false });
    if (showTitles) {
      titles.push({
        text: panel.title,
        left: left,
        top: top - TITLE_H + 2,
        // Cut with an ellipsis where it would run into the next panel, or past the chart's right edge (the last
        // column), with 24 px to spare: the browser's font can be wider than ECharts' estimate of it.
        textStyle: { fontSize: 13, fontWeight: 600, color: COLORS.text, fontFamily: FONT, width: Math.min(colW, spec.width - left) - 24, overflow: 'truncate' },
      });
    }
    if (panel.empty !== undefined && panel.series.every((ser) => ser.data.every(([, v]) => v === null))) {
      const gw = colW - LEFT - RIGHT;
      graphics.push({
        type: 'text',
        left: left + gw / 2 - panel.empty.length * 3.3,
        top: top + spec.panelHeight / 2 - 8,
        silent: true,
        style: { text: panel.empty, fill: COLORS.label, fontSize: 12, fontFamily: FONT },
      });
    }
    xAxes.push({
      gridIndex: i,
      type: 'value',
      min: 0,
      max: xMax,
      name: `time (${x.name})`,
      nameLocation: 'middle',
      nameGap: 24,
      nameTextStyle: { color: COLORS.label, fontSize: 11, fontFamily: FONT },
      axisLine: { lineStyle: { color: '#adb5bd' } },
      axisTick: { lineStyle: { color: '#adb5bd' } },
      axisLabel: { color: COLORS.label, fontSize: 11, fontFamily: FONT, formatter: (v: number) => fmtNumber(v, 2), hideOverlap: true },
      splitLine: { show: false },
    });
    yAxes.push({
      gridIndex: i,
      type: 'value',
      min: 0,
      max: spec.y.max,
      interval: spec.y.interval,
      name: multi ? '' : spec.y.label,
      nameLocation: 'end',
      nameGap: 8,
      nameTextStyle: { color: COLORS.label, fontSize: 11, fontFamily: FONT, align: 'left', padding: [0, 0, 0, -LEFT + 14] },
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: {
        color: COLORS.label,
        fontSize: 11,
        fontFamily: FONT,
        formatter: (v: number) => `${(spec.y.format ?? ((n: number) => fmtNumber(n, 2)))(v)}${multi ? spec.y.short : ''}`,
      },
      splitLine: { lineStyle: { color: COLORS.grid } },
    });
    for (const s of panel.series) {
      const data = s.data.map(([t, v]) => [t / x.per, v === null ? null : v / spec.y.per]);
      const base = {
        name: s.name,
        xAxisIndex: i,
        yAxisIndex: i,
        data,
        color: s.color,
        animation: false,
        silent: true,
      };
      if (s.kind === 'scatter') {
        const labels = s.labels;
        series.push({
          ...base,
          data:
            labels === undefined
              ? data
              : data.map((value, k) =>
                  labels[k] === ''
                    ? value
                    : { value, label: { show: true, formatter: labels[k], position: 'right', distance: 3, fontSize: 11, fontWeight: 600, color: s.color, fontFamily: FONT } },
                ),
          type: 'scatter',
          symbol: s.symbol ?? 'circle',
          symbolSize: 10,
          itemStyle: { color: s.color, borderColor: '#fff', borderWidth: 1 },
          z: 5,
          markLine:
            s.rules === undefined || s.rules.length === 0
              ? undefined
              : {
                  silent: true,
                  symbol: ['none', 'none'],
                  label: { show: false },
                  animation: false,
                  lineStyle: { color: s.color, type: 'dashed', width: 1, opacity: 0.55 },
                  data: s.rules.map((t) => ({ xAxis: t / x.per })),
                },
        });
        continue;
      }
      series.push({
        ...base,
        type: 'line',
        // Stacks are per panel: ECharts would otherwise stack across grids.
        stack: s.stack === undefined ? undefined : `${s.stack}-${i}`,
        symbol: 'none',
        showSymbol: false,
        connectNulls: false,
        step: s.step === true ? 'end' : undefined,
        lineStyle: {
          width: s.width ?? (s.kind === 'area' ? (s.edge !== undefined ? EDGE_WIDTH : 1) : 2),
          type: s.dotted === true ? 'dotted' : s.dashed === true ? 'dashed' : 'solid',
          color: s.edge ?? s.color,
        },
        areaStyle: s.kind === 'area' ? { color: s.color, opacity: s.stack === undefined ? 0.18 : STACK_OPACITY } : undefined,
        z: s.kind === 'area' ? 2 : 3,
      });
    }
  });
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      title: titles,
      legend: {
        // A light band's swatch is outlined in its edge colour, as the band is.
        data: legendItems.map((l) => ({ name: l.name, icon: legendIcon(l), itemStyle: l.edge === undefined ? undefined : { borderColor: l.edge, borderWidth: 1 } })),
        top: 4,
        left: 'center',
        itemGap: LEGEND_GAP,
        itemWidth: LEGEND_ITEM_W,
        itemHeight: 10,
        textStyle: { color: COLORS.text, fontSize: 12, fontFamily: FONT },
      },
      grid: grids,
      xAxis: xAxes,
      yAxis: yAxes,
      series,
      graphic: graphics,
    });
    return renameIds(chart.renderToSVGString(), id);
  } finally {
    chart.dispose();
  }
}

/**
 * zrender numbers its SVG ids and classes from process-wide counters (zr0-cls-3,
 * zr1-c0…); rename them in order of appearance so the same chart gives the
 * same bytes whatever was drawn before, and ids stay unique in one page.
 */
export function renameIds(svg: string, id: string): string {
  const names = new Map<string, string>();
  return svg.replace(/\bzr\d+-[a-z]+(?:-[a-z]+)*-?\d+\b/g, (m) => {
    let n = names.get(m);
    if (n === undefined) {
      n = `${id}-${names.size}`;
      names.set(m, n);
    }
    return n;
  });
}

// ---- The charts of a report ---------------------------------------------

export interface RunData {
  /** A panel's title in a comparison ('' for a single run). */
  label: string;
  scenario: Scenario;
  samples: Sample[];
  events: LoggedEvent[];
  totalPages: number;
  /** Disk I/O of all guests over the run, in pages: file reads, write-backs and swap reads + writes (the summary's totals: guests that ended early count too). */
  diskPages: number;
}

export interface ChartOut {
  svg: string;
  /** A short "how to read this" line. */
  note: string;
}

const WIDTH = 1080;

/** The width in px of one panel's plot area, for a chart of `n` panels side by side (as renderChart lays them out). */
function plotWidth(n: number): number {
  const { cols, width } = layout(n);
  return width / cols - LEFT - RIGHT;
}

function layout(n: number): { cols: number; width: number } {
  if (n === 1) return { cols: 1, width: WIDTH };
  return { cols: Math.min(n, 3), width: WIDTH };
}

function duration(runs: RunData[]): number {
  return Math.max(...runs.map((r) => r.scenario.durationNs), 1);
}

function sizeAxis(maxPages: number, headroom = 1): ChartSpec['y'] {
  const u = sizeUnit(maxPages);
  return { ...u, ...niceAxis((maxPages / u.per) * headroom), label: u.name, short: ` ${u.name}` };
}

/**
 * Rows for launch markers so that none hides another: in time order, a
 * marker takes the first row (0 at the top) not used by a marker less than
 * `windowNs` before it.
 */
export function markerRows(markers: LaunchMarker[], windowNs: number): number[] {
  const order = markers.map((_, i) => i).sort((a, b) => markers[a].timeNs - markers[b].timeNs || a - b);
  const rows = new Array<number>(markers.length).fill(0);
  const lastAt: number[] = [];
  for (const i of order) {
    const t = markers[i].timeNs;
    let row = 0;
    while (row < lastAt.length && t - lastAt[row] < windowNs) row++;
    lastAt[row] = t;
    rows[i] = row;
  }
  return rows;
}

/** At most this many rows of launch markers (more would run into the bands; a cluster shows its count instead). */
const MAX_MARKER_ROWS = 5;

/**
 * Launch markers of one kind, clustered: markers of a kind less than
 * `windowNs` after the first of a cluster join it, drawn once with their
 * count. Returns the clusters in time order.
 */
export function clusterMarkers(markers: LaunchMarker[], windowNs: number): { marker: LaunchMarker; count: number }[] {
  const sorted = [...markers].sort((a, b) => a.timeNs - b.timeNs);
  const out: { marker: LaunchMarker; count: number }[] = [];
  for (const m of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && m.timeNs - last.marker.timeNs < windowNs) last.count++;
    else out.push({ marker: m, count: 1 });
  }
  return out;
}

/**
 * One scatter series per marker kind in `kinds` (same order in every panel,
 * so the legend is too), with rules down the chart. Markers of a kind close
 * in time are one marker with a count ("×3"); markers of different kinds
 * close in time are stacked downwards from `topPages`, a row every
 * `rowPages`, at most MAX_MARKER_ROWS rows.
 */
function markerSeries(markers: LaunchMarker[], kinds: MarkerKind[], topPages: number, rowPages: number, windowNs: number): SeriesSpec[] {
  const clusters = kinds.flatMap((kind) => clusterMarkers(markers.filter((m) => m.kind === kind), windowNs));
  const rows = markerRows(clusters.map((c) => c.marker), windowNs);
  return kinds.map((kind) => {
    const m = MARKERS[kind];
    const mine = clusters.map((c, i) => ({ ...c, row: Math.min(rows[i], MAX_MARKER_ROWS - 1) })).filter((x) => x.marker.kind === kind);
    return {
      name: m.label,
      kind: 'scatter',
      color: m.color,
      symbol: m.symbol,
      data: mine.map((x): Point => [x.marker.timeNs, topPages - x.row * rowPages]),
      labels: mine.map((x) => (x.count > 1 ? `×${x.count}` : '')),
      // One rule per instant: a burst of events at one time draws one line, so the page does not grow with their number.
      rules: [...new Set(markers.filter((k) => k.kind === kind).map((k) => k.timeNs))],
    };
  });
}

export function hostChart(runs: RunData[]): ChartOut {
  const total = Math.max(...runs.map((r) => r.totalPages));
  const y = sizeAxis(total, 1.07);
  const markers = runs.map((r) => launchMarkers(r.events));
  const kinds = (Object.keys(MARKERS) as MarkerKind[]).filter((k) => markers.some((list) => list.some((m) => m.kind === k)));
  const panels = runs.map((r, i): Panel => {
    const s = thin(r.samples, MAX_POINTS);
    return {
      title: r.label,
      series: [
        { name: 'owned (domains, Xen)', kind: 'area', stack: 'host', color: COLORS.owned, data: s.map((p) => [p.timeNs, p.ownedPages]) },
        { name: 'freeable (ephemeral tmem)', kind: 'area', stack: 'host', color: COLORS.freeable, edge: COLORS.freeableEdge, data: s.map((p) => [p.timeNs, p.freeablePages]) },
        { name: 'free', kind: 'area', stack: 'host', color: COLORS.free, edge: COLORS.freeEdge, data: s.map((p) => [p.timeNs, p.freePages]) },
        // A policy that makes no claims has no claims line (it would lie flat on the axis).
        ...(r.scenario.toolstack.policy === 'claim' || s.some((p) => p.outstandingPages > 0)
          ? [{ name: 'claimed (outstanding)', kind: 'line', step: true, color: COLORS.claims, dashed: true, width: 2, data: s.map((p): Point => [p.timeNs, p.outstandingPages]) } satisfies SeriesSpec]
          : []),
        // A marker and its count label take about 24 px of the panel's plot width.
        ...markerSeries(markers[i], kinds, total * 1.035, total * 0.06, (duration(runs) * 24) / plotWidth(runs.length)),
      ],
    };
  });
  return {
    svg: renderChart('host', { panels, ...layout(runs.length), panelHeight: runs.length === 1 ? 300 : 230, durationNs: duration(runs), y }),
    note:
      'The three bands stack up to the host\'s memory: owned (guest RAM, persistent tmem, dom0, Xen), freeable (ephemeral tmem, which Xen can drop at once) and free. ' +
      'The dashed line is memory promised to launches by outstanding claims, in steps (a change shows at the first sample that saw it). Markers along the top, with a rule down the chart: a launch started building, finished ok, failed fast (nothing built) or failed mid-way (build time wasted), or a guest met the OOM killer (demand beyond its RAM and swap); close markers of a kind are drawn once with their count (×3), close ones of different kinds stacked downwards; the launches table below names them, and the OOM events card the guests.',
  };
}

export function guestChart(runs: RunData[]): ChartOut & { caption: string } {
  // The same guests in every variant: picked over all the runs' samples together.
  const merged = runs.flatMap((r) => r.samples);
  const { shown, rest } = pickGuests(merged, 8, runs.flatMap((r) => r.events));
  const rows: { label: string; names: string[] }[] = shown.map((n) => ({ label: n, names: [n] }));
  if (rest.length > 0) rows.push({ label: `${rest.length} others, averaged`, names: rest });
  // No guest ever ran: one empty panel per run that says so.
  const none = rows.length === 0;
  if (none) rows.push({ label: '', names: [] });
  const panels: Panel[] = [];
  // From 0: when no guest ran, the axis is in MiB ("0 MiB"), not in KiB for one page.
  let max = 0;
  let maxmemTop = 0;
  for (const row of rows) {
    for (const r of runs) {
      const levels = guestLevels(thin(r.samples, MAX_POINTS), row.names, row.label);
      for (const list of [levels.ram, levels.target, levels.committed]) for (const [, v] of list) if (v !== null && v > max) max = v;
      for (const [, v] of levels.maxmem) if (v !== null && v > maxmemTop) maxmemTop = v;
      // The averaged panel of a variant says how many of the others ran in it (a guest may run in one variant only).
      const ran = row.names === rest ? rest.filter((n) => r.samples.some((p) => Object.hasOwn(p.guests, n))).length : 0;
      const label = row.names === rest && runs.length > 1 ? `avg of ${ran} other${ran === 1 ? '' : 's'}` : row.label;
      panels.push({
        title: runs.length === 1 ? row.label : none ? r.label : `${label} · ${r.label}`,
        empty: none ? 'no guest ran' : runs.length === 1 ? 'not running' : 'not running in this variant',
        series: [
          { name: 'RAM', kind: 'area', color: COLORS.ram, data: levels.ram },
          { name: 'balloon target', kind: 'line', color: COLORS.target, dashed: true, width: 1.5, data: levels.target },
          { name: 'maxmem (max_pages)', kind: 'line', color: COLORS.axis, dotted: true, width: 1.5, data: levels.maxmem },
          { name: 'Committed_AS (demand)', kind: 'line', color: COLORS.committed, width: 1.5, data: levels.committed },
        ],
      });
    }
  }
  const cols = runs.length === 1 ? Math.min(4, Math.max(panels.length, 1)) : Math.min(runs.length, 3);
  const caption =
    rest.length > 0
      ? `${shown.length} guests shown one by one, in the scenario's order, chosen as those with OOM events first, then the most swap I/O, then the highest peak; the other ${rest.length} (${rest.length <= 12 ? rest.join(', ') : `${rest.slice(0, 12).join(', ')}, …`}) averaged in the last panel over those running at each sample (a step there is one of them starting or ending${runs.length > 1 ? '; each variant\'s panel says how many of them ran in it' : ''}).`
      : '';
  return {
    // The axis takes maxmem in when it is not far above the levels (a mem_max raised past the host would flatten them).
    svg: renderChart('guests', { panels, cols, width: WIDTH, panelHeight: 130, durationNs: duration(runs), y: sizeAxis(maxmemTop <= 4 * max ? Math.max(max, maxmemTop) : max, 1.05) }),
    note:
      'Per guest: its RAM (shaded), the balloon target the balloon driver steers towards (dashed; self-ballooning moves it with demand), and Committed_AS, ' +
      'the memory its processes asked for. Demand above RAM is served by swap (and frontswap). The dotted line is the domain\'s max_pages (maxmem): RAM and the guest\'s frontswap pages held in tmem both count against it, so RAM can stay below the balloon target. A guest appears when it boots and ends when it is destroyed.',
    caption,
  };
}

export function tmemChart(runs: RunData[]): ChartOut {
  // From 0: with tmem off (or unused) the axis is in MiB, as every zero size is, not in KiB for one page.
  let max = 0;
  const panels = runs.map((r): Panel => {
    const s = r.scenario.host.tmem.enabled ? thin(r.samples, MAX_POINTS) : [];
    for (const p of s) max = Math.max(max, p.tmemEphemeralPages + p.tmemPersistentPages);
    return {
      title: r.label,
      empty: runs.length === 1 ? 'tmem is off in this scenario' : 'tmem is off in this variant',
      series: [
        { name: 'persistent (frontswap)', kind: 'area', stack: 'tmem', color: COLORS.persistent, data: s.map((p) => [p.timeNs, p.tmemPersistentPages]) },
        { name: 'ephemeral (cleancache)', kind: 'area', stack: 'tmem', color: COLORS.ephemeral, edge: COLORS.ephemeralEdge, data: s.map((p) => [p.timeNs, p.tmemEphemeralPages]) },
      ],
    };
  });
  return {
    svg: renderChart('tmem', { panels, ...layout(runs.length), panelHeight: runs.length === 1 ? 220 : 180, durationNs: duration(runs), y: sizeAxis(max, 1.05) }),
    note:
      'Pages guests keep in the hypervisor\'s transcendent memory, stacked. Persistent pages (frontswap) are owned and must be given back by the guest; ' +
      'ephemeral pages (clean page-cache pages in cleancache) count as freeable: Xen drops them when it needs memory.',
  };
}

/**
 * The hit-rate chart's points for the guests `names` (null: all): over every
 * sample, drawn at the points MAX_POINTS keeps, so an interval between two
 * points counts all the gets in it.
 */
export function hitRatePoints(samples: Sample[], names: string[] | null): Point[] {
  return hitRate(samples, names, MAX_POINTS);
}

export function hitRateChart(runs: RunData[]): ChartOut {
  // One colour per group name over all the panels, in order of first appearance.
  const perRun = runs.map((r) => [...cleancacheGroups(r.samples, r.scenario, r.events).entries()]);
  const colorOf = new Map<string, string>();
  for (const groups of perRun) for (const [g] of groups) if (!colorOf.has(g)) colorOf.set(g, GROUP_COLORS[colorOf.size % GROUP_COLORS.length]);
  let max = 0;
  const panels = runs.map((r, k): Panel => {
    const groups = perRun[k];
    const series: SeriesSpec[] = [];
    const all = hitRatePoints(r.samples, null);
    if (groups.length > 1) series.push({ name: 'all guests', kind: 'line', color: COLORS.target, width: 2.5, data: all });
    // At most 8 groups drawn one by one; 'all guests' covers the rest.
    for (const [group, names] of groups.slice(0, GROUP_COLORS.length)) {
      series.push({ name: names.length > 1 ? `${group} (${names.length} guests)` : group, kind: 'line', color: colorOf.get(group) ?? COLORS.axis, width: 1.5, data: hitRatePoints(r.samples, names) });
    }
    for (const ser of series) for (const [, v] of ser.data) if (v !== null && v > max) max = v;
    const why = r.scenario.host.tmem.enabled ? 'no cleancache gets' : 'tmem is off, so no cleancache';
    return { title: r.label, series, empty: runs.length === 1 ? why : `${why} in this variant` };
  });
  const axis = niceAxis(Math.min(100, Math.max(max * 1.1, 5)));
  return {
    svg: renderChart('hitrate', {
      panels,
      ...layout(runs.length),
      panelHeight: runs.length === 1 ? 220 : 180,
      durationNs: duration(runs),
      y: { name: '%', per: 1, ...(axis.max > 100 ? { max: 100, interval: 20 } : axis), label: 'hits per get (%)', short: '%' },
    }),
    note:
      'Of the page-cache misses that asked cleancache, the share it could serve (instead of a disk read), per sampling interval, by guest group. ' +
      "Gaps mean no gets in that interval; a falling line usually means tmem is short of memory or the guests' working sets moved.",
  };
}

/**
 * The disk chart's rates (file reads, write-backs, swap-ins, swap-outs):
 * over every sample, drawn at the points MAX_POINTS keeps, so an interval
 * between two points counts all the pages moved in it, a guest's last moves
 * before it ended too.
 */
export function diskRates(samples: Sample[]): { file: Point[]; writeBack: Point[]; swapIn: Point[]; swapOut: Point[] } {
  return {
    file: ratePerSecond(samples, (g) => g.fileReads, MAX_POINTS),
    writeBack: ratePerSecond(samples, (g) => g.fileWrites, MAX_POINTS),
    swapIn: ratePerSecond(samples, (g) => g.swapReads, MAX_POINTS),
    swapOut: ratePerSecond(samples, (g) => g.swapWrites, MAX_POINTS),
  };
}

export function diskChart(runs: RunData[]): ChartOut {
  let max = 1;
  const panels = runs.map((r): Panel => {
    const { file, writeBack, swapIn, swapOut } = diskRates(r.samples);
    file.forEach(([, v], i) => {
      max = Math.max(max, (v ?? 0) + (writeBack[i][1] ?? 0) + (swapIn[i][1] ?? 0) + (swapOut[i][1] ?? 0));
    });
    // Side by side, one variant's burst can flatten another's panel: each title says its total.
    return {
      title: runs.length === 1 ? r.label : `${r.label} · ${fmtCount(r.diskPages)} pages`,
      // No outlines (width 0): a stacked band draws its line at the top of the stack even where it is zero,
      // which would put a red swap-out line over the file reads of a run that never swapped.
      series: [
        { name: 'file reads (page-cache misses)', kind: 'area', stack: 'io', color: COLORS.fileReads, width: 0, data: file },
        { name: 'write-backs (dirty file pages)', kind: 'area', stack: 'io', color: COLORS.fileWrites, width: 0, data: writeBack },
        { name: 'swap-ins', kind: 'area', stack: 'io', color: COLORS.swapReads, width: 0, data: swapIn },
        { name: 'swap-outs', kind: 'area', stack: 'io', color: COLORS.swapWrites, width: 0, data: swapOut },
      ],
    };
  });
  const y = {
    name: '/s',
    per: 1,
    ...niceAxis(max * 1.05),
    label: 'pages per s',
    short: '/s',
    format: (v: number) => (v >= 1000 ? `${fmtNumber(v / 1000, 1)}k` : fmtNumber(v, 1)),
  };
  return {
    svg: renderChart('disk', { panels, ...layout(runs.length), panelHeight: runs.length === 1 ? 220 : 180, durationNs: duration(runs), y }),
    note:
      'Disk I/O of all guests together, by cause, in 4 KiB pages per second, stacked: reads of file pages that were neither in the page cache nor in cleancache, ' +
      'write-backs of dirty file pages, and swap traffic when demand exceeds RAM and frontswap is full or refused. Less is better: every one of these waits for the disk.' +
      (runs.length > 1 ? " Each panel's title gives the variant's total pages of all four." : ''),
  };
}
