// A user's first install, checked: pack the publishable packages the CLI needs (pnpm pack turns
// `workspace:^` into real caret ranges, as publishing does), install the tarballs with npm into a
// fresh folder OUTSIDE the repository with the documented CPU-only setting
// (ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install script would otherwise download the
// CUDA provider), then run @clt/core's README example and `npx clt train --steps 60` there.
// Prints `ci:` lines; exits non-zero on any failure. Needs the packages built and network access to
// the npm registry (for third-party dependencies).
//
// Usage: node scripts/pack-check.mjs [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The CLI and the default backend, with every workspace package they depend on (not the optional peers).
const dirOf = new Map(readdirSync(join(ROOT, 'packages')).map((d) => [JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')).name, d]));
const PACKAGES = [];
for (const todo = ['@clt/cli', '@clt/backend-onnxruntime', '@clt/core']; todo.length;) {
  const name = todo.pop(), d = dirOf.get(name);
  if (!d || PACKAGES.includes(d)) continue;
  PACKAGES.push(d);
  todo.push(...Object.keys(JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')).dependencies ?? {}).filter((n) => n.startsWith('@clt/')));
}
const PNPM = ['-y', 'pnpm@10.34.8'];
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'clt-pack-check-'));
const tarballs = join(dir, 'tarballs'), app = join(dir, 'app');
mkdirSync(tarballs); mkdirSync(app);
let failed = false;

function run(cmd, args, cwd, env = {}, timeoutS = 600) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, s: ((Date.now() - t0) / 1000).toFixed(0), status: r.status, signal: r.signal };
}
function fail(what, r) {
  failed = true;
  console.log(`ci: ${what} FAILED (${r.signal ?? `exit ${r.status}`}):\n    ${r.out.trim().split('\n').slice(-15).join('\n    ')}`);
}
/** Bytes on disk under a folder (links not followed: what `du` reports). */
function diskBytes(p) {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.blocks * 512;
  let sum = st.blocks * 512;
  for (const e of readdirSync(p)) sum += diskBytes(join(p, e));
  return sum;
}
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;

// 1. Pack.
for (const p of PACKAGES) {
  const r = run('npx', [...PNPM, 'pack', '--pack-destination', tarballs], join(ROOT, 'packages', p));
  if (!r.ok) fail(`pack ${p}`, r);
}
const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).sort();
console.log(`ci: packed ${files.length} tarballs: ${files.map((f) => `${f} (${(statSync(join(tarballs, f)).size / 1e3).toFixed(0)} kB)`).join(', ')}`);
// No test fixtures in any tarball.
for (const f of files) {
  const list = execFileSync('tar', ['-tzf', join(tarballs, f)], { encoding: 'utf8' }).split('\n');
  const bad = list.filter((l) => /\.test\.|test-fixtures|-fixtures?\.ts$|\/test-[^/]*\.ts$/.test(l));
  const need = ['package/README.md', 'package/LICENSE', 'package/package.json'].filter((n) => !list.includes(n));
  if (bad.length || need.length) { failed = true; console.log(`ci: ${f}: ${bad.length ? `test files in the tarball: ${bad.slice(0, 5).join(', ')}` : ''}${need.length ? ` missing: ${need.join(', ')}` : ''}`); }
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', join(tarballs, f), 'package/package.json'], { encoding: 'utf8' }));
  const ws = Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies }).filter(([, v]) => String(v).startsWith('workspace:'));
  if (ws.length) { failed = true; console.log(`ci: ${f}: unpublishable ranges ${ws.map(([k, v]) => `${k}@${v}`).join(', ')}`); }
}

// 2. Install in a fresh folder, CPU only.
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'clt-fresh-install', private: true, type: 'module' }, null, 2));
const inst = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files.map((f) => join(tarballs, f))], app, { ONNXRUNTIME_NODE_INSTALL: 'skip' }, 900);
if (!inst.ok) fail('fresh-folder npm install (ONNXRUNTIME_NODE_INSTALL=skip)', inst);
else {
  const nm = join(app, 'node_modules');
  const sizes = readdirSync(nm).flatMap((e) => (e.startsWith('@') ? readdirSync(join(nm, e)).map((s) => `${e}/${s}`) : e.startsWith('.') ? [] : [e]))
    .map((n) => [n, diskBytes(join(nm, n))]).sort((a, b) => b[1] - a[1]);
  console.log(`ci: fresh-folder install OK in ${inst.s} s: node_modules ${mb(diskBytes(nm))} (largest: ${sizes.slice(0, 5).map(([n, b]) => `${n} ${mb(b)}`).join(', ')})`);
}

// 3. The README example of @clt/core, typechecked (tsc --strict from the repository) and run.
if (inst.ok) {
  const readme = readFileSync(join(ROOT, 'packages/core/README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) { failed = true; console.log('ci: packages/core/README.md has no ts example'); }
  else {
    writeFileSync(join(app, 'example.ts'), block);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], skipLibCheck: true, types: [] }, files: ['example.ts'] }));
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    if (!tsc.ok) fail('README example: tsc --strict', tsc);
    else {
      const ex = run(process.execPath, ['example.js'], app, {}, 120);
      if (!ex.ok) fail('README example: node example.js', ex);
      else console.log(`ci: README example (tsc --strict, then node) OK: ${ex.out.trim().split('\n').join(' | ')}`);
    }
  }
  const ver = run('npx', ['--no-install', 'clt', '--version'], app);
  const want = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version;
  if (!ver.ok || ver.out.trim() !== want) fail(`npx clt --version (expected ${want})`, ver);
  else console.log(`ci: npx clt --version: ${ver.out.trim()}`);
  const tr = run('npx', ['--no-install', 'clt', 'train', '--steps', '60', '--no-report'], app, { CI: 'true' }, 300);
  if (!tr.ok) fail('npx clt train --steps 60', tr);
  else console.log(`ci: npx clt train --steps 60 OK in ${tr.s} s: ${tr.out.trim().split('\n').filter((l) => /accuracy|loss|wrote|run folder/i.test(l)).slice(-2).join(' | ')}`);
  const tfjs = run('npx', ['--no-install', 'clt', 'train', '--backend', 'tfjs-cpu', '--steps', '1', '--no-report'], app, {}, 120);
  console.log(`ci: optional backend not installed -> ${tfjs.ok ? 'UNEXPECTEDLY RAN' : tfjs.out.trim().split('\n').find((l) => l.includes('@clt/backend-tfjs')) ?? tfjs.out.trim().split('\n')[0]}`);
}

if (keep) console.log(`ci: pack-check folder kept: ${dir}`); else rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
