// A user's first install, checked: pack the publishable packages the CLI needs (pnpm pack turns
// `workspace:^` into real caret ranges, as publishing does), install the tarballs with npm into a
// fresh folder OUTSIDE the repository with the documented CPU-only setting
// (ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install script would otherwise download the
// CUDA provider), then run @clt/core's README example and `npx clt train --steps 60` there, and check
// that an optional peer that is missing (a tfjs backend, DuckDB for the sweep store) is named.
// Prints `ci:` lines; exits non-zero on any failure. Needs the packages built and network access to
// the npm registry (for third-party dependencies).
//
// Usage: node scripts/pack-check.mjs [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  const bad = list.filter((l) => /\.test\.|\.test-d\.|-fixtures?\.[cm]?[jt]s$|\/test-[^/]*\.[cm]?[jt]s$/.test(l));
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
  const total = diskBytes(nm);
  console.log(`ci: fresh-folder install OK in ${inst.s} s: node_modules ${mb(total)} (largest: ${sizes.slice(0, 5).map(([n, b]) => `${n} ${mb(b)}`).join(', ')})`);
  // onnxruntime-node ships its binaries for every platform in one package; say how much of the
  // install is binaries this machine never loads, against the 150 MB target (reported, not enforced).
  const ortBin = join(nm, 'onnxruntime-node', 'bin', 'napi-v6');
  let otherPlatforms = 0;
  try {
    for (const os of readdirSync(ortBin)) for (const arch of readdirSync(join(ortBin, os)))
      if (`${os}/${arch}` !== `${process.platform}/${process.arch}`) otherPlatforms += diskBytes(join(ortBin, os, arch));
  } catch { /* another layout: nothing to subtract */ }
  console.log(`ci: installed size ${mb(total)} against a 150 MB target (${total <= 150e6 ? 'met' : 'NOT met'}; without the optional peers: tfjs backends, fashion-mnist, DuckDB); `
    + `of it, onnxruntime-node's binaries for other platforms: ${mb(otherPlatforms)}; without them: ${mb(total - otherPlatforms)}`);
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
  // The README's command as written (the HTML report included: vega, vega-lite and resvg from the tarballs' ranges).
  const tr = run('npx', ['--no-install', 'clt', 'train', '--steps', '60'], app, { CI: 'true' }, 300);
  const report = readdirSync(join(app, 'runs'), { recursive: true }).map(String).find((f) => f.endsWith('.html'));
  if (!tr.ok) fail('npx clt train --steps 60', tr);
  else if (!report) fail('npx clt train --steps 60: no HTML report under runs/', tr);
  else console.log(`ci: npx clt train --steps 60 OK in ${tr.s} s (report runs/${report}): ${tr.out.trim().split('\n').filter((l) => /accuracy|loss|wrote|run folder/i.test(l)).slice(-2).map((l) => l.trim()).join(' | ')}`);
  // The current LTS lines too: the same install, `clt train` under Node 22 and 24 (the `node` npm package
  // carries their binaries), and every installed package's `engines` against each Node version run here.
  const nodeVersions = [process.version.slice(1)];
  for (const major of ['22', '24']) {
    const r = run('npx', ['-y', '-p', `node@${major}`, '--', 'sh', '-c', `node --version && node node_modules/@clt/cli/bin/clt.js train --steps 60 --no-report --name node${major}`], app, { CI: 'true' }, 300);
    const v = /^v(\d+\.\d+\.\d+)/m.exec(r.out)?.[1];
    if (!r.ok || !v?.startsWith(`${major}.`)) fail(`clt train --steps 60 under Node ${major}`, r);
    else { nodeVersions.push(v); console.log(`ci: Node ${v}: clt train --steps 60 OK in ${r.s} s: ${r.out.trim().split('\n').filter((l) => /accuracy/.test(l)).pop()?.trim()}`); }
  }
  let semver;
  try { semver = createRequire(join(app, 'package.json'))('semver'); } catch { /* not in the tree */ }
  if (!semver) console.log('ci: engines check skipped: semver is not in the installed tree');
  else {
    const floor = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).engines?.node;
    const lowest = semver.minVersion(floor)?.version;
    const bad = [];
    const seen = new Set();
    const walk = (nmDir) => {
      for (const e of existsSync(nmDir) ? readdirSync(nmDir) : []) {
        if (e.startsWith('.')) continue;
        for (const n of e.startsWith('@') ? readdirSync(join(nmDir, e)).map((x) => `${e}/${x}`) : [e]) {
          const pj = join(nmDir, n, 'package.json');
          if (!existsSync(pj)) continue;
          const pkg = JSON.parse(readFileSync(pj, 'utf8'));
          const key = `${pkg.name}@${pkg.version}`;
          if (!seen.has(key)) {
            seen.add(key);
            const range = pkg.engines?.node;
            for (const v of [lowest, ...nodeVersions].filter(Boolean))
              if (range && semver.validRange(range) && !semver.satisfies(v, range)) bad.push(`${key} (engines.node ${range}) rejects Node ${v}`);
          }
          walk(join(nmDir, n, 'node_modules'));
        }
      }
    };
    walk(join(app, 'node_modules'));
    if (bad.length) { failed = true; console.log(`ci: engines: clt declares node ${floor}, but:\n    ${bad.join('\n    ')}`); }
    else console.log(`ci: engines: all ${seen.size} installed packages accept Node ${[lowest, ...nodeVersions].join(', ')} (clt declares ${floor})`);
  }
  // An optional backend that is not installed: the error must name the package to install.
  const tfjs = run('npx', ['--no-install', 'clt', 'train', '--backend', 'tfjs-cpu', '--steps', '1', '--no-report', '--name', 'optional-backend-missing'], app, { CI: 'true' }, 120);
  const named = tfjs.out.split('\n').find((l) => l.includes('@clt/backend-tfjs'));
  if (tfjs.ok || !named) fail(`--backend tfjs-cpu without @clt/backend-tfjs installed: expected an error naming the package${tfjs.ok ? ', but the run succeeded' : ''}`, tfjs);
  else console.log(`ci: optional backend not installed -> ${named.trim()}`);

  // DuckDB (the sweep results store) is optional too: without it a sweep runs its runs and writes its
  // report from the run folders, and `clt sweep query` names the package. Then the install command
  // the message gives (the exact version of the peer range), and the same sweep records its runs.
  writeFileSync(join(app, 'sweep.yaml'), 'name: store-check\nbase: { data: "synthetic:gaussian?n=80&dim=4&classes=2", steps: 8, batch: 16, probe-every: 4, probe-size: 4 }\ngrid: { lr: [0.05, 0.1] }\nseeds: 1\n');
  const sweepDir = join(app, 'sweeps', 'store-check');
  const sw = run('npx', ['--no-install', 'clt', 'sweep', 'sweep.yaml'], app, { CI: 'true' }, 300);
  const notWritten = sw.out.split('\n').find((l) => l.startsWith('store: not written:') && l.includes('@duckdb/node-api'));
  if (!sw.ok || !notWritten || !existsSync(join(sweepDir, 'report.html')) || existsSync(join(sweepDir, 'results.duckdb')))
    fail('clt sweep without @duckdb/node-api: expected the runs and report.html, no store, and a line naming the package', sw);
  else console.log(`ci: clt sweep without DuckDB OK in ${sw.s} s (report from the run folders) -> ${notWritten.trim().slice(0, 160)}`);
  const q = run('npx', ['--no-install', 'clt', 'sweep', 'query', sweepDir, 'SELECT count(*) AS n FROM runs'], app, {}, 120);
  const qLine = q.out.split('\n').find((l) => l.includes('npm install @duckdb/node-api@'));
  if (q.ok || !qLine) fail('clt sweep query without @duckdb/node-api: expected an error naming the package', q);
  else console.log(`ci: clt sweep query without DuckDB -> ${qLine.trim()}`);
  const install = /npm install (@duckdb\/node-api@\S+)/.exec(qLine ?? '')?.[1];
  if (install) {
    const before = diskBytes(join(app, 'node_modules'));
    const add = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', install], app, { ONNXRUNTIME_NODE_INSTALL: 'skip' }, 600);
    if (!add.ok) fail(`npm install ${install} (the command the message gives)`, add);
    else {
      const again = run('npx', ['--no-install', 'clt', 'sweep', 'sweep.yaml'], app, { CI: 'true' }, 300);
      const n = run('npx', ['--no-install', 'clt', 'sweep', 'query', sweepDir, 'SELECT count(*) AS n FROM runs', '--format', 'json'], app, {}, 120);
      let rows;
      try { rows = JSON.parse(n.out); } catch { /* reported below */ }
      if (!again.ok || !n.ok || rows?.[0]?.n !== 2) fail(`after npm install ${install}: clt sweep (again) then clt sweep query: expected the 2 runs recorded`, n.ok ? again : n);
      else console.log(`ci: npm install ${install} (+${mb(diskBytes(join(app, 'node_modules')) - before)}) OK; the same clt sweep then recorded both runs without running them (clt sweep query: n = ${rows[0].n})`);
    }
  }
}

if (keep) console.log(`ci: pack-check folder kept: ${dir}`); else rmSync(dir, { recursive: true, force: true });
console.log(`ci: pack-check ${failed ? 'FAILED' : 'OK'}`);
process.exit(failed ? 1 : 0);
