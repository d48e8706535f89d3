// The HTML reports in a real browser: `hypermem run --out` and `hypermem
// compare --out` on a small fast scenario, each report.html opened from
// file:// in headless Chromium (Debian's package; .ci/run installs it). Every
// chart must have rendered its SVG with drawn series, with no console errors
// and no request but the page itself. Screenshots are kept in the test's
// temporary folder (its path is printed as a diagnostic).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { load } from '../../src/cli/run.ts';
import { startDashboard } from '../../src/cli/serve.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/hypermem.js`;
const scenario = fileURLToPath(new URL('./small.yaml', import.meta.url));
const CHARTS = ['host', 'guests', 'tmem', 'hitrate', 'disk'];

function hypermem(args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `hypermem ${args.join(' ')} failed:\n${r.stderr}`);
}

interface PageCheck {
  errors: string[];
  requests: string[];
  charts: { id: string; svgs: number; seriesPaths: number; width: number; height: number }[];
  title: string;
}

/** A new page whose console errors, page errors and requests are collected. */
async function watchedPage(browser: Browser): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  return { page, errors, requests };
}

async function openReport(browser: Browser, file: string, screenshot: string): Promise<PageCheck> {
  const url = pathToFileURL(file).href;
  const { page, errors, requests } = await watchedPage(browser);
  try {
    await page.goto(url, { waitUntil: 'load' });
    const charts: PageCheck['charts'] = [];
    for (const id of CHARTS) {
      const svg = page.locator(`section#${id} figure svg`);
      const svgs = await svg.count();
      // A drawn series: a path of many segments (axes and grid lines have one).
      const paths = svgs === 0 ? [] : await svg.first().locator('path').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
      const seriesPaths = paths.filter((d) => (d.match(/[LC]/g) ?? []).length >= 10).length;
      const box = svgs === 0 ? null : await svg.first().boundingBox();
      charts.push({ id, svgs, seriesPaths, width: box?.width ?? 0, height: box?.height ?? 0 });
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, charts, title: await page.title() };
  } finally {
    await page.close();
  }
}

function assertRendered(check: PageCheck, file: string): void {
  assert.deepEqual(check.errors, [], 'no console errors');
  assert.deepEqual(check.requests, [pathToFileURL(file).href], 'no request but the page itself');
  for (const c of check.charts) {
    assert.equal(c.svgs, 1, `chart ${c.id}: its SVG is in the page`);
    assert.ok(c.seriesPaths >= 1, `chart ${c.id}: series drawn (found ${c.seriesPaths} series paths)`);
    assert.ok(c.width > 600 && c.height > 150, `chart ${c.id}: laid out at a readable size (${c.width}×${c.height})`);
  }
}

/** Waits until the dashboard script has set body[data-status] to `want` (the page's CSP allows no string evaluation). */
async function statusIs(page: Page, want: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((w) => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.status === w, want, { timeout });
}

describe('HTML reports in Chromium', () => {
  let browser: Browser;
  let dir: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does; this test does not skip without it`,
    );
    dir = mkdtempSync(join(tmpdir(), 'hypermem-report-test-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
  });

  test('hypermem run --out: report.html renders every chart, offline, without errors', async (t) => {
    const out = join(dir, 'run');
    hypermem(['run', scenario, '--quiet', '--out', out]);
    const file = join(out, 'report.html');
    const shot = join(dir, 'run-report.png');
    const check = await openReport(browser, file, shot);
    t.diagnostic(`screenshot: ${shot}`);
    assertRendered(check, file);
    assert.match(check.title, /report-small/);
    assert.ok(existsSync(shot));
  });

  test('hypermem compare --out: one report, a panel per variant in every chart', async (t) => {
    const out = join(dir, 'compare');
    hypermem(['compare', scenario, '--set', 'toolstack.policy=none,claim', '--quiet', '--out', out]);
    const file = join(out, 'report.html');
    const shot = join(dir, 'compare-report.png');
    const check = await openReport(browser, file, shot);
    t.diagnostic(`screenshot: ${shot}`);
    assertRendered(check, file);
    // host, tmem, hit rate, disk: both variants have drawn series.
    for (const c of check.charts.filter((x) => x.id !== 'guests')) assert.ok(c.seriesPaths >= 2, `chart ${c.id}: both variants drawn`);
    assert.ok(existsSync(shot));
  });

  test('hypermem sweep --out: index.html draws its bar charts and sorts its tables, offline, without errors', async (t) => {
    const out = join(dir, 'sweep');
    hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--set', 'duration=10s', '--seeds', '2', '--jobs', '1', '--quiet', '--out', out]);
    const file = join(out, 'index.html');
    const { page, errors, requests } = await watchedPage(browser);
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const svg = page.locator('figure.chart svg');
      assert.equal(await svg.count(), 1, 'one chart');
      const box = await svg.first().boundingBox();
      assert.ok(box !== null && box.width > 600 && box.height > 300, `laid out at a readable size (${box?.width}×${box?.height})`);
      // Bars are closed four-sided paths (ECharts' relative form: across, up by the height, back); disk I/O is
      // non-zero for both policies, so at least two have a height.
      const paths = await svg.first().locator('path').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
      const bars = paths.filter((d) => /^M[\d. -]+l[\d. -]+l0 -[\d.]*[1-9][\d.]*l[\d. -]+Z$/.test(d.trim()));
      assert.ok(bars.length >= 2, `bars with a height drawn (found ${bars.length} of ${paths.length} paths)`);
      // Sorting: a click on the seed header of the runs' table orders it by seed.
      const table = page.locator('table').last();
      await table.locator('th', { hasText: /^seed$/ }).click();
      assert.equal(await table.locator('th', { hasText: /^seed$/ }).getAttribute('aria-sort'), 'ascending');
      const seeds = await table.locator('tbody tr td:nth-child(3)').allTextContents();
      assert.deepEqual(seeds, [...seeds].sort((a, b) => Number(a) - Number(b)));
      const shot = join(dir, 'sweep-index.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await page.close();
    }
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [pathToFileURL(file).href], 'no request but the page itself');
  });

  test('hypermem serve: the live page redraws as the run goes, pauses and resumes, and ends with every chart drawn', async (t) => {
    // 4 simulated seconds per wall second: the 40 s run takes about 10 s once resumed (redraws every 0.5 s, the default).
    const dash = await startDashboard(load(scenario, []), { host: '127.0.0.1', port: 0, speed: 4, verify: false });
    const { page, errors, requests } = await watchedPage(browser);
    try {
      // Paused before the page opens, so that the run cannot end before the clicks.
      const paused = await fetch(`${dash.url}api/pause`, { method: 'POST', headers: { 'X-Hypermem': '1' } });
      assert.equal(paused.status, 200);
      await page.goto(dash.url, { waitUntil: 'load' });
      await statusIs(page, 'paused');
      await page.click('#resume');
      await statusIs(page, 'running');
      const status = page.locator('#status');
      await page.click('#pause');
      await statusIs(page, 'paused');
      assert.match((await status.textContent()) ?? '', /^paused: /);
      assert.equal(await page.locator('#pause').isDisabled(), true);
      const held = await page.locator('#progress').evaluate((p) => (p as unknown as { value: number }).value);
      await page.waitForTimeout(400);
      assert.equal(await page.locator('#progress').evaluate((p) => (p as unknown as { value: number }).value), held, 'the progress bar holds while paused');
      await page.click('#resume');
      await statusIs(page, 'done', 60_000);
      assert.match((await status.textContent()) ?? '', /^done: 40 s simulated, \d+ events$/);
      assert.deepEqual(await page.locator('#links a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['/report.html', '/summary.json']);
      for (const id of CHARTS) {
        const paths = await page.locator(`section#${id} figure svg path`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
        assert.ok(paths.filter((d) => (d.match(/[LC]/g) ?? []).length >= 10).length >= 1, `chart ${id}: series drawn`);
      }
      const shot = join(dir, 'live.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot: ${shot}`);
      assert.deepEqual(errors, [], 'no console errors');
      const origin = new URL(dash.url).origin;
      assert.deepEqual(
        requests.filter((u) => !u.startsWith(origin)),
        [],
        'nothing requested from anywhere but the server',
      );
    } finally {
      await page.close();
      await dash.close();
    }
  });

  test('printed on A4, every chart is shrunk to the page width, none cut off', async (t) => {
    const out = join(dir, 'run');
    if (!existsSync(join(out, 'report.html'))) hypermem(['run', scenario, '--quiet', '--out', out]);
    // A4 portrait at 96 px per inch, less Chromium's default margins: about 720 px of text width.
    const page = await browser.newPage({ viewport: { width: 720, height: 1000 } });
    try {
      await page.emulateMedia({ media: 'print' });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
      const figures = await page.locator('figure').evaluateAll((fs) =>
        fs.map((f) => ({ id: f.closest('section')?.id ?? '', client: f.clientWidth, scroll: f.scrollWidth, svg: f.querySelector('svg')?.getBoundingClientRect().width ?? 0 })),
      );
      assert.equal(figures.length, CHARTS.length);
      for (const f of figures) {
        assert.ok(f.scroll <= f.client + 1, `chart ${f.id}: nothing beyond the page (${f.scroll} px wide in ${f.client} px)`);
        assert.ok(f.svg > 0 && f.svg <= f.client + 1, `chart ${f.id}: the SVG is ${f.svg} px in ${f.client} px`);
      }
      const pdf = join(dir, 'run-report.pdf');
      await page.pdf({ path: pdf, format: 'A4' });
      t.diagnostic(`pdf: ${pdf}`);
    } finally {
      await page.close();
    }
  });
});
