import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBackendModule } from './backend-modules.js';

/** A contributor's backend as the docs describe it: a module calling registerBackend('contrib-f64', …). */
const fixture = fileURLToPath(new URL('../test-fixtures/contrib-backend.mjs', import.meta.url));
const nothing = fileURLToPath(new URL('../test-fixtures/registers-nothing.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'clt-backend-module-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The built CLI in its own process, run from `work` so relative specifiers resolve from there. */
function clt(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; code: number | null } {
  expect(existsSync(bin), `${bin} is missing: build first (npx tsc -p tsconfig.build.json)`).toBe(true);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0', CLT_BACKEND_MODULES: '', ...env } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

const tinyTrain = ['--data', 'synthetic:gaussian?n=64&dim=4&classes=3', '--batch', '16', '--steps', '3', '--no-probes', '--no-report', '--json'];

describe('--backend-module: a contributor backend in clt', () => {
  it('train --backend-module <relative path> --backend contrib-f64 trains on the contributor backend', () => {
    const rel = relative(work, fixture); // resolved against the working folder, as documented
    const r = clt(['train', '--backend-module', rel.startsWith('.') ? rel : `./${rel}`, '--backend', 'contrib-f64', ...tinyTrain, '--out', 'runs', '--name', 'contrib']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(work, 'runs', 'contrib', 'summary.json'), 'utf8')) as { backend: string; status: string; steps?: number };
    expect(summary.backend).toBe('contrib-f64');
    expect(JSON.parse(r.stdout).backend).toBe('contrib-f64');
  });

  it('the option also works before the command (global) and from CLT_BACKEND_MODULES', () => {
    const global = clt(['--backend-module', fixture, 'train', '--backend', 'contrib-f64', ...tinyTrain, '--out', 'runs', '--name', 'global']);
    expect(global.code, global.stderr).toBe(0);
    expect(JSON.parse(global.stdout).backend).toBe('contrib-f64');
    const env = clt(['train', '--backend', 'contrib-f64', ...tinyTrain, '--out', 'runs', '--name', 'env'], { CLT_BACKEND_MODULES: fixture });
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout).backend).toBe('contrib-f64');
  });

  it('clt --backend-module M sweep: the worker processes train on the contributor backend (CLT_BACKEND_MODULES is passed on)', () => {
    writeFileSync(join(work, 'sweep.yaml'), 'base:\n  steps: 2\n  backend: contrib-f64\n  data: "synthetic:gaussian?n=64&dim=4&classes=3"\n  batch: 16\n  probes: false\ngrid:\n  lr: [0.1, 0.05]\n');
    const r = clt(['--backend-module', fixture, 'sweep', 'sweep.yaml', '--out', 'sweeps', '--jobs', '1', '--no-report', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const runs = (JSON.parse(r.stdout) as { runs: { status: string; summary?: { backend: string }; backend?: string }[] }).runs;
    expect(runs).toHaveLength(2);
    expect(JSON.stringify(runs.map((x) => x.status))).toBe(JSON.stringify(['completed', 'completed']));
    expect(r.stdout.match(/"backend": "contrib-f64"/g)).toHaveLength(2);
  });

  it('the float64 reference backend is registered (opt-in): --backend reference trains', () => {
    const r = clt(['train', '--backend', 'reference', ...tinyTrain, '--out', 'runs', '--name', 'ref']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe('reference');
  });

  it('backends --backend-module lists contrib-f64 as available, probed in a child process that loaded the module', () => {
    const r = clt(['backends', '--json', '--backend-module', fixture]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { backends: { name: string; available: boolean; priority: number; detail: string; dtypes: string[] }[] }).backends;
    const contrib = rows.find((b) => b.name === 'contrib-f64');
    expect(contrib, rows.map((b) => b.name).join(', ')).toBeDefined();
    expect(contrib!.available, contrib!.detail).toBe(true);
    expect(contrib!.priority).toBe(-1);
    expect(contrib!.dtypes).toContain('f64');
    const ref = rows.find((b) => b.name === 'reference');
    expect(ref?.available).toBe(true);
    expect(ref!.priority).toBeLessThan(0);
  });

  it('errors name the specifier and the folder it was resolved from, and say what to do', () => {
    const missing = clt(['train', '--backend-module', './no-such-backend.mjs', '--backend', 'contrib-f64', ...tinyTrain, '--out', 'runs', '--name', 'missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`clt: --backend-module ./no-such-backend.mjs: no file at ${join(work, 'no-such-backend.mjs')} (resolved from ${work})`);
    const pkg = clt(['backends', '--backend-module', 'clt-no-such-backend-package']);
    expect(pkg.code).toBe(1);
    expect(pkg.stderr).toMatch(/^clt: --backend-module clt-no-such-backend-package: cannot find package "clt-no-such-backend-package" from /);
    expect(pkg.stderr).toContain(work);
    expect(pkg.stderr).toContain('npm install clt-no-such-backend-package');
    const empty = clt(['train', '--backend-module', nothing, ...tinyTrain, '--out', 'runs', '--name', 'nothing']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`loaded but registered no backend; when imported it must call registerBackend(`);
    const unknown = clt(['train', '--backend', 'contrib-f64', ...tinyTrain, '--out', 'runs', '--name', 'unknown']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\[contrib-f64\] unknown backend \(registered: .*reference.*\)/);
    expect(unknown.stderr).toContain('--backend-module <package | ./file.mjs>');
  });
});

describe('resolveBackendModule', () => {
  it('finds an ESM-only package (exports with only an "import" condition) and its subpath in node_modules above cwd', () => {
    const root = join(work, 'project');
    const pkgDir = join(root, 'node_modules', '@someone', 'clt-backend-x');
    mkdirSync(join(pkgDir, 'dist'), { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: '@someone/clt-backend-x', type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './register': { import: './dist/register.js' } } }));
    writeFileSync(join(pkgDir, 'dist', 'index.js'), '');
    writeFileSync(join(pkgDir, 'dist', 'register.js'), '');
    const deep = join(root, 'src', 'deeper');
    mkdirSync(deep, { recursive: true });
    expect(resolveBackendModule('@someone/clt-backend-x/register', deep)).toBe(pathToFileURL(join(pkgDir, 'dist', 'register.js')).href);
    expect(resolveBackendModule('@someone/clt-backend-x', deep)).toBe(pathToFileURL(join(pkgDir, 'dist', 'index.js')).href);
    expect(() => resolveBackendModule('@someone/clt-backend-x/internal', deep)).toThrow(/does not export "\.\/internal"/);
  });

  it('resolves paths against cwd, and a bare file name when no such package exists', () => {
    writeFileSync(join(work, 'mine.mjs'), '');
    expect(resolveBackendModule('./mine.mjs', work)).toBe(pathToFileURL(join(work, 'mine.mjs')).href);
    expect(resolveBackendModule('mine.mjs', work)).toBe(pathToFileURL(join(work, 'mine.mjs')).href);
    expect(() => resolveBackendModule('./mine.mjs', tmpdir())).toThrow(`no file at ${join(tmpdir(), 'mine.mjs')} (resolved from ${tmpdir()})`);
  });
});
