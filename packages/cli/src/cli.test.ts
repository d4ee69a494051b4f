import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '@clt/core';
import { clt } from './test-cli.js';

const out = mkdtempSync(join(tmpdir(), 'clt-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const COMMANDS = ['train', 'probe', 'bounds', 'backends', 'report'];

describe('clt CLI', () => {
  it('every command has --help naming --backend and --json', async () => {
    const top = await clt('--help');
    for (const c of COMMANDS) expect(top.stdout).toContain(c);
    for (const c of COMMANDS) {
      const h = await clt(c, '--help');
      expect(h.code).toBe(0);
      expect(h.stdout, c).toContain('--backend');
      expect(h.stdout, c).toContain('--json');
    }
  });

  it('backends --json lists every registered backend with a reason when unavailable', async () => {
    const r = await clt('backends', '--json');
    const j = JSON.parse(r.stdout) as { backends: { name: string; available: boolean; detail: string }[] };
    expect(j.backends.some((b) => b.name === 'onnxruntime-cpu')).toBe(true);
    for (const b of j.backends) if (!b.available) expect(b.detail.length, b.name).toBeGreaterThan(10);
  });

  it('train --json on a small synthetic set writes metrics, checkpoint, summary, report; bounds and report read it back', async () => {
    const r = await clt('train', '--data', 'synthetic:gaussian?n=400&dim=8&classes=3', '--hidden', '16', '--epochs', '3', '--batch', '20',
      '--probe-every', '5', '--probe-size', '8', '--out', out, '--name', 'g', '--json');
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    expect(s.status).toBe('completed');
    expect(s.testAccuracy).toBeGreaterThan(0.8);
    expect(s.trainLossAboveFloor).toBe(true);
    expect(s.sandwich.held).toBe(s.sandwich.probes);
    for (const f of ['metrics.jsonl', 'checkpoint', 'summary.json', 'report.html', 'plots/loss-vs-bounds.png']) expect(existsSync(join(out, 'g', f)), f).toBe(true);
    const html = readFileSync(join(out, 'g', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/); // interactive: libraries inlined, nothing fetched
    const b = JSON.parse((await clt('bounds', '--data', 'synthetic:gaussian?n=400&dim=8&classes=3', '--run', join(out, 'g'), '--json')).stdout);
    expect(b.floor.value).toBe(0);
    expect(b.run.testErrorInterval.lower).toBeLessThanOrEqual(1 - s.testAccuracy);
    const rep = JSON.parse((await clt('report', join(out, 'g'), '--json', '--no-png')).stdout);
    expect(rep.correlations.length).toBe(8); // 6 bound series + 2 baselines (core's boundLossCorrelations)
    const p = JSON.parse((await clt('probe', '--run', join(out, 'g'), '--samples', '6', '--ntk', '--json')).stdout);
    expect(p.lambdaMinStar).toBeLessThanOrEqual(p.lambdaMaxStar);
    expect(p.ntk.largest).toBeGreaterThanOrEqual(p.lambdaMaxStar * (1 - 1e-9)); // a diagonal block's λmax ≤ the NTK's
  });

  it('bad input gets a clear message', async () => {
    const r = await clt('train', '--lr', '-1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--lr must be positive/);
    const d = await clt('bounds', '--data', 'synthetic:nope');
    expect(d.stderr).toMatch(/unknown synthetic data set "nope"/);
  });
});

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
describe.skipIf(!existsSync(bin))(`a killed \`clt train\` resumes exactly${existsSync(bin) ? '' : ' (skipped: build the package first, dist/bin.js is missing)'}`, () => {
  const args = (name: string) => [bin, 'train', '--data', 'synthetic:gaussian?n=2000&dim=16&classes=4', '--hidden', '64,64', '--epochs', '40', '--batch', '16',
    '--checkpoint-every', '50', '--no-probes', '--no-report', '--out', out, '--name', name, '--json'];
  it('SIGKILL midway, then --resume: same final weights as an uninterrupted run', async () => {
    const full = spawnSync(process.execPath, args('full'), { encoding: 'utf8' });
    expect(full.status, full.stderr).toBe(0);
    const child = spawn(process.execPath, args('killed'), { stdio: 'ignore' });
    const ckpt = join(out, 'killed', 'checkpoint');
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
      if (existsSync(ckpt) && loadCheckpoint(ckpt).step >= 400) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const mid = loadCheckpoint(ckpt).step;
    expect(mid).toBeLessThan(4960); // really interrupted (40 epochs × 124 steps)
    const resumed = spawnSync(process.execPath, [...args('killed'), '--resume'], { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    const a = loadCheckpoint(join(out, 'full', 'checkpoint')), b = loadCheckpoint(ckpt);
    expect(b.step).toBe(a.step);
    for (const [k, v] of Object.entries(a.tensors)) expect(Buffer.from(b.tensors[k]!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });
});
