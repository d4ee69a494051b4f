import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUT, outputFolder, PUBLISH_OUT } from './out-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const committed = join(root, 'docs', 'benchmarks', 'local');
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe('clt-bench output folder', () => {
  it('defaults to an ignored folder, not the committed docs/benchmarks; --publish targets docs/benchmarks/local', () => {
    expect(outputFolder({})).toBe('bench-results');
    expect(resolve(outputFolder({}))).not.toContain(join('docs', 'benchmarks'));
    expect(outputFolder({ out: 'x' })).toBe('x');
    expect(PUBLISH_OUT).toBe(committed);
    expect(outputFolder({ publish: true })).toBe(committed);
    expect(() => outputFolder({ publish: true, out: 'x' })).toThrow(/cannot be combined with --out x/);
  });

  it('the folder is ignored by git', () => {
    const r = spawnSync('git', ['check-ignore', '-q', `${DEFAULT_OUT}/consistency.md`], { cwd: root });
    // git may be absent in a packed copy; then there is nothing to check.
    if (r.error) return;
    expect(r.status).toBe(0);
  });

  it('a run without --out writes bench-results/ in the working folder and leaves docs/benchmarks alone', () => {
    expect(existsSync(bin), `${bin} is missing: build first (pnpm build)`).toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), 'clt-bench-out-'));
    try {
      const before = readdirSync(committed).map((f) => [f, statSync(join(committed, f)).mtimeMs] as const);
      // The reference alone: no backend is compared, so the run is quick but still writes its reports.
      const r = spawnSync(process.execPath, [bin, '--suite', 'consistency', '--quick', '--backends', 'reference'], { cwd, encoding: 'utf8', timeout: 90_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(cwd, 'bench-results', 'consistency.md'))).toBe(true);
      expect(r.stderr).toContain(join('bench-results', 'consistency.md'));
      expect(readdirSync(committed).map((f) => [f, statSync(join(committed, f)).mtimeMs] as const)).toEqual(before);
      const both = spawnSync(process.execPath, [bin, '--publish', '--out', 'x'], { cwd, encoding: 'utf8' });
      expect(both.status).toBe(2);
      expect(both.stderr).toMatch(/^clt-bench: --publish writes to .* cannot be combined with --out x/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
