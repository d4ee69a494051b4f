import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from './report/write-report.js';
import { clt } from './test-cli.js';

// The interactive run and sweep reports: one self-contained file each (vega, vega-lite, vega-embed
// inlined) that opens offline. The browser half needs a Chromium; CI installs one (.ci/run).
const CHROMIUM = '/usr/bin/chromium';
const noChromium = !existsSync(CHROMIUM);
const FIGURES = ['loss-vs-bounds', 'eigenvalues', 'gradient-energy', 'correlation', 'accuracy'];
const OVER_STEPS = FIGURES; // every chart of the run report has training steps on x

const out = mkdtempSync(join(tmpdir(), 'clt-report-browser-'));
const run = join(out, 'r');
let html = '';
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(async () => {
  const r = await clt('train', '--data', 'synthetic:gaussian?n=300&dim=6&classes=3', '--hidden', '12', '--epochs', '2', '--batch', '20',
    '--probe-every', '4', '--probe-size', '8', '--out', out, '--name', 'r', '--no-report', '--json');
  expect(r.stderr).toBe('');
  await writeReport(run);
  html = readFileSync(join(run, 'report.html'), 'utf8');
});

describe('interactive report (file)', () => {
  it('is self-contained: inline libraries, one JSON spec and a static SVG per chart, nothing fetched', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<(img|iframe)\b[^>]*\ssrc="(https?:)?\/\//i);
    // The three inlined libraries announce themselves as globals.
    for (const g of ['vega', 'vegaLite', 'vegaEmbed']) expect(html).toContain(`.${g}=`);
    for (const id of FIGURES) {
      const block = new RegExp(`<script type="application/json" id="spec-${id}">([\\s\\S]*?)</script>`).exec(html);
      expect(block, id).not.toBeNull();
      const spec = JSON.parse(block![1]!);
      expect(spec.width, id).toBe('container');
      expect(spec.encoding.tooltip.length, id).toBeGreaterThanOrEqual(2);
      if (OVER_STEPS.includes(id)) expect(spec.params?.some((p: { bind?: string }) => p.bind === 'scales'), id).toBe(true);
      // The static chart stays in its container (shown where scripts do not run), and its PNG is linked.
      const container = new RegExp(`<div class="fig vis" id="${id}" data-spec="spec-${id}"><svg`).test(html);
      expect(container, id).toBe(true);
      expect(html).toContain(`href="plots/${id}.png"`);
      expect(existsSync(join(run, 'plots', `${id}.png`)), id).toBe(true);
    }
  });

  it('the static page (interactive: false) has no scripts', async () => {
    const dir = join(out, 'static');
    await clt('train', '--data', 'synthetic:gaussian?n=120&dim=4&classes=2', '--hidden', '8', '--epochs', '1', '--batch', '20',
      '--probe-every', '3', '--probe-size', '6', '--out', out, '--name', 'static', '--no-report', '--json');
    await writeReport(dir, { png: false, interactive: false });
    const s = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(s).not.toMatch(/<script/);
    expect(s).toContain('<svg');
    expect(statSync(join(run, 'report.html')).size - statSync(join(dir, 'report.html')).size).toBeGreaterThan(500_000); // the inlined libraries
  });
});

/** What the page shows once every chart has settled, read in a headless Chromium that may not leave file: URLs. */
async function openInChromium(file: string, ids: readonly string[], shot: string) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'clt-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [], blocked: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    await page.route('**', (r) => {
      if (r.request().url().startsWith('file:')) return r.continue();
      blocked.push(r.request().url());
      return r.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction((n) => document.querySelectorAll('.vis[data-rendered]').length === n, ids.length, { timeout: 60_000 });

    const charts = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.vis[data-spec]')).map((el) => {
      const c = el.querySelector('canvas')?.getBoundingClientRect();
      // vega-embed's action menu (⋯): its button must sit beside the plot, not on it.
      const m = el.querySelector('details > summary')?.getBoundingClientRect();
      const overlap = c && m ? Math.max(0, Math.min(c.right, m.right) - Math.max(c.left, m.left)) * Math.max(0, Math.min(c.bottom, m.bottom) - Math.max(c.top, m.top)) : null;
      return { id: el.id, rendered: el.getAttribute('data-rendered'), staticSvg: el.querySelector(':scope > svg') !== null,
        containerWidth: el.getBoundingClientRect().width, canvas: c ? { w: c.width, h: c.height } : null, menu: m ? { w: m.width, h: m.height } : null, overlap };
    }));
    const bodyWidth = await page.evaluate(() => document.body.getBoundingClientRect().width);
    // Tooltips and zoom are wired into each live view: vega-tooltip's handler is installed, and which
    // scale-bound zoom selections exist (reading a missing signal throws).
    // (Synthetic mouse events from the test did not reach the canvas here, so hover and wheel are not driven.)
    const wiring = await page.evaluate((ids) => ids.map((id) => {
      const view = (window as unknown as { cltReportViews: Record<string, any> }).cltReportViews[id];
      const has = (name: string) => { try { view.signal(name); return true; } catch { return false; } };
      const zooms = ['zoom', ...Array.from({ length: 16 }, (_, i) => `zoom_${i}`)].filter(has);
      return { id, tooltip: typeof view.tooltip() === 'function', zooms };
    }), ids);
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.CLT_REPORT_SCREENSHOT) await page.screenshot({ path: `${process.env.CLT_REPORT_SCREENSHOT.replace(/\.png$/, '')}-${basename(shot)}`, fullPage: true });
    return { charts, wiring, bodyWidth, errors, blocked };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Every chart drawn live on a canvas, its static SVG replaced, the ⋯ menu clear of the plot. */
function expectDrawn(charts: Awaited<ReturnType<typeof openInChromium>>['charts'], ids: readonly string[]) {
  expect(charts.map((c) => c.id)).toEqual(ids);
  for (const c of charts) {
    expect(c.rendered, c.id).toBe('interactive');
    expect(c.staticSvg, c.id).toBe(false); // replaced by the live chart
    expect(c.canvas, c.id).not.toBeNull();
    expect(c.canvas!.w * c.canvas!.h, c.id).toBeGreaterThan(0);
    expect(c.menu, c.id).not.toBeNull(); // the export menu (SVG, PNG) is there
    expect(c.overlap, `${c.id}: the action menu covers the chart`).toBe(0);
  }
}

describe('interactive report (headless Chromium)', () => {
  it.skipIf(noChromium)(`renders every chart offline with no console or page errors (needs ${CHROMIUM}; skipped where it is absent)`, async () => {
    const { charts, wiring, bodyWidth, errors, blocked } = await openInChromium(join(run, 'report.html'), FIGURES, join(out, 'report.png'));
    expectDrawn(charts, FIGURES);
    for (const c of charts) {
      // The layout fix: each chart fills its grid column (less the menu's margin), and a column is a real share of the page.
      expect(c.canvas!.w, c.id).toBeGreaterThan(0.9 * c.containerWidth);
      expect(c.containerWidth, c.id).toBeGreaterThan(0.4 * bodyWidth);
    }
    for (const w of wiring) expect(w, w.id).toEqual({ id: w.id, tooltip: true, zooms: OVER_STEPS.includes(w.id) ? ['zoom'] : [] });
    expect(statSync(join(out, 'report.png')).size).toBeGreaterThan(20_000);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});

// The sweep report uses the same machinery: a real (tiny) sweep with two factors, written by `clt sweep`.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const SWEEP_FIGURES = ['factor-hidden', 'factor-lr', 'loss-curves'];

describe('interactive sweep report (headless Chromium)', () => {
  it.skipIf(noChromium || !existsSync(BIN))(`renders every chart of a real sweep offline with no console or page errors (needs ${CHROMIUM} and dist/bin.js; skipped where absent)`, async () => {
    const work = join(out, 'sweep');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 's.yaml'), `name: s
base: { data: "synthetic:gaussian?n=120&dim=5&classes=3", steps: 20, batch: 16, probe-size: 6, probe-every: 5 }
grid: { hidden: ["6", "10"], lr: [0.02, 0.1] }
seeds: 2
`);
    const r = spawnSync(process.execPath, [BIN, 'sweep', 's.yaml', '--jobs', '2'], { cwd: work, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const page = join(work, 'sweeps', 's', 'report.html');
    const { charts, wiring, errors, blocked } = await openInChromium(page, SWEEP_FIGURES, join(out, 'sweep-report.png'));
    expectDrawn(charts, SWEEP_FIGURES);
    const metrics = JSON.parse(/<script type="application\/json" id="spec-factor-lr">([\s\S]*?)<\/script>/.exec(readFileSync(page, 'utf8'))![1]!).concat.length as number;
    expect(metrics).toBeGreaterThanOrEqual(5); // λ*min, κ, E, loss, accuracy and the correlations
    // Per-factor grids: every small chart's y zoomable; the loss curves: both axes.
    for (const w of wiring) expect(w, w.id).toEqual({ id: w.id, tooltip: true, zooms: w.id === 'loss-curves' ? ['zoom'] : Array.from({ length: metrics }, (_, i) => `zoom_${i}`) });
    expect(statSync(join(out, 'sweep-report.png')).size).toBeGreaterThan(20_000);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  }, 180_000);
});
