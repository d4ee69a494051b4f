import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initParams, Mlp, readJsonl, Rng } from '@clt/core';
import { clt } from './test-cli.js';

const out = mkdtempSync(join(tmpdir(), 'clt-analysis-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Pearson r by the textbook formula, written independently of core's correlation.ts. */
function refR(x: number[], y: number[]): number {
  const n = x.length, mx = x.reduce((a, b) => a + b) / n, my = y.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (x[i]! - mx) * (y[i]! - my); sxx += (x[i]! - mx) ** 2; syy += (y[i]! - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
}

const DATA = 'synthetic:gaussian?n=300&dim=8&classes=3';

describe('run analysis (issue 18)', () => {
  it('summary.json and --json carry every bound–loss correlation; the figures match a recomputation from metrics.jsonl', async () => {
    const r = await clt('train', '--data', DATA, '--hidden', '16', '--steps', '60', '--batch', '20', '--probe-every', '2', '--probe-size', '8', '--no-report', '--out', out, '--name', 'c', '--json');
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout), summary = JSON.parse(readFileSync(join(out, 'c', 'summary.json'), 'utf8'));
    expect(printed.correlations).toEqual(summary.correlations);
    const probes = readJsonl<Record<string, number>>(join(out, 'c', 'metrics.jsonl')).filter((x) => (x as { type?: unknown }).type === 'probe');
    expect(probes.length).toBe(31);
    const c = summary.correlations;
    expect(c.window).toBe(7); // ⌊31/4⌋, inside [5, 50]
    expect(c.probes).toBe(31);
    const loss = probes.map((p) => Math.log2(p.risk!));
    const series: Record<string, number[]> = {
      lowerBound: probes.map((p) => Math.log2(p.riskLower!)), indicator: probes.map((p) => p.indicator!),
      precursorL: probes.map((p) => Math.log2(p.energy!) - Math.log2(p.lambdaMaxStar!)),
      energy: probes.map((p) => Math.log2(p.energy!)), meanGradSq: probes.map((p) => Math.log2(p.batchGradSq!)),
    };
    for (const [key, xs] of Object.entries(series)) {
      expect(c.series[key].r, key).toBeCloseTo(refR(xs, loss), 10);
      const sl = Array.from({ length: xs.length - 6 }, (_, i) => refR(xs.slice(i, i + 7), loss.slice(i, i + 7)));
      expect(c.series[key].slidingMin, key).toBeCloseTo(Math.min(...sl), 10);
      expect(c.series[key].slidingMedian, key).toBeCloseTo([...sl].sort((a, b) => a - b)[12]!, 10); // 25 windows
      expect(c.series[key].windows).toBe(25);
    }
    expect(c.series.energy.kind).toBe('baseline');
    expect(summary.status).toBe('completed');
    expect(summary.stall).toBeUndefined();
    expect(summary.parameters).toBe(8 * 16 + 16 + 16 * 3 + 3);
    expect(summary.effectiveParameters).toBe(summary.parameters);
  });

  it('a run that cannot learn ends "stalled" with the numbers, in summary.json and on the terminal', async () => {
    const r = await clt('train', '--data', DATA, '--hidden', '16', '--steps', '40', '--batch', '20', '--lr', '1e-9', '--schedule', 'constant',
      '--probe-every', '2', '--probe-size', '8', '--no-report', '--out', out, '--name', 's');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/status: stalled — the probe-set loss went [\d.]+ → [\d.]+ from step 20 to 40 \(10 probes\), less than the 1% fall required \(--stall-probes 10 --stall-fraction 0\.01\)/);
    const s = JSON.parse(readFileSync(join(out, 's', 'summary.json'), 'utf8'));
    expect(s.status).toBe('stalled');
    expect(s.stall).toMatchObject({ probes: 10, fraction: 0.01, fromStep: 20, step: 40 });
    expect(s.stall.lossTo).toBeGreaterThan(0.99 * s.stall.lossFrom);
    // --stall-probes 0 disables the check.
    const off = JSON.parse((await clt('train', '--data', DATA, '--hidden', '16', '--steps', '40', '--batch', '20', '--lr', '1e-9', '--schedule', 'constant',
      '--probe-every', '2', '--probe-size', '8', '--no-report', '--out', out, '--name', 's0', '--stall-probes', '0', '--json')).stdout);
    expect(off.status).toBe('completed');
    expect((await clt('train', '--stall-fraction', '1')).stderr).toMatch(/--stall-fraction must be in \[0, 1\)/);
  });

  it('probe measures a freshly initialized net built from the model options, with effective and total parameter counts', async () => {
    const args = ['probe', '--data', DATA, '--hidden', '16,16', '--activation', 'tanh', '--skip', '--layer-norm', '--sparsity', '0.5', '--seed', '3', '--samples', '6'];
    const p = JSON.parse((await clt(...args, '--json')).stdout);
    expect(p.model).toMatchObject({ sizes: [8, 16, 16, 3], activation: 'tanh', skip: true, layerNorm: true, sparsity: 0.5, maskSeed: 3 });
    expect(p.source).toEqual({ fresh: true, seed: 3 });
    const total = 8 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3;
    expect(p.parameters).toBe(total);
    // Independent count of the masked entries: zeros of the initial hidden weights (unmasked ones are Gaussian, never 0).
    const init = initParams(new Mlp({ sizes: [8, 16, 16, 3], sparsity: 0.5, maskSeed: 3 }), new Rng(3));
    const zeros = [...init.W0!, ...init.W1!].filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(100);
    expect(p.effectiveParameters).toBe(total - zeros);
    const text = await clt(...args);
    expect(text.stdout).toContain(`MLP 8-16-16-3 tanh, skip, LayerNorm, ${total - zeros} effective of ${total} parameters (${zeros} masked to zero), freshly initialized (seed 3)`);
    // Model options next to --run are refused instead of silently ignored.
    const bad = await clt('probe', '--run', join(out, 'c'), '--hidden', '8', '--skip');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--hidden, --skip describe a freshly initialized net, but --run probes the trained net of .*; drop --hidden, --skip or drop --run/);
  });

  it('bounds --run shows the generalization bounds on the test split beside the measured gap, reconstructions marked', async () => {
    const b = JSON.parse((await clt('bounds', '--data', DATA, '--run', join(out, 'c'), '--json')).stdout);
    const g = b.run.generalization, m = readJsonl<Record<string, number>>(join(out, 'c', 'metrics.jsonl')).filter((x) => (x as { type?: unknown }).type === 'eval').at(-1)!;
    expect(g.testRows).toBe(45); // 15% of 300
    expect(g.rows.length).toBe(8);
    const h = g.rows[0];
    expect(h).toMatchObject({ bound: 'Hoeffding (two-sided)', quantity: '0-1 error', status: 'textbook' });
    const r01 = Math.sqrt(Math.log(2 / 0.05) / (2 * 45)), e = 1 - m.testAcc!;
    expect(h.risk.lower).toBeCloseTo(Math.max(0, e - r01), 12);
    expect(h.risk.upper).toBeCloseTo(Math.min(1, e + r01), 12);
    expect(h.measuredGap).toBeCloseTo(e - (1 - m.trainAcc!), 12);
    const ce = g.rows.filter((r: { quantity: string }) => r.quantity === 'cross-entropy');
    expect(ce.length).toBe(5);
    for (const r of ce) expect(r.status).toBe('reconstruction');
    expect(g.logitBound).toBeGreaterThan(0);
    const ellMax = Math.log(1 + 2 * Math.exp(2 * g.logitBound));
    const det = ce.find((r: { bound: string }) => r.bound.startsWith('deterministic'));
    expect(det.risk.upper).toBeCloseTo(ellMax, 10);
    expect(det.gap.upper).toBeCloseTo(ellMax - m.trainLoss!, 10);
    for (const r of g.rows) expect(r.measuredGapInside, r.bound).toBe(true);
    const text = await clt('bounds', '--data', DATA, '--run', join(out, 'c'));
    expect(text.stdout).toMatch(/generalization on the 45 test rows/);
    expect(text.stdout).toMatch(/reconstruction \[INF\]/);
  });
});
