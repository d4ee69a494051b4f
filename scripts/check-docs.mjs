// Docs that run: every fenced ts/js block in docs/*.md, README.md and packages/*/README.md, and
// every docs/examples/*.ts, is compiled (tsc --strict, against the built packages, importing
// `@clt/*` the way a user does) and executed with a time limit. A block preceded by
//   <!-- fragment: reason -->       is neither compiled nor run (the reason is printed);
//   <!-- compile-only: reason -->   is compiled but not run (e.g. it needs a GPU);
//   <!-- needs-backend: name -->    is compiled, and run only where that registered backend resolves
//                                   here (else counted with the fragments, with the backend's reason).
// Shell blocks are checked for one thing only: commands spell the CLI `npx clt …` (bare `clt` is not
// on the PATH inside this repository or a fresh npm project).
//
// Usage: node scripts/check-docs.mjs [--no-run] [--timeout <s>] [file.md …]
// Prints "docs: N compiled, N run, N fragments", writes a vitest-shaped summary that
// scripts/test-summary.mjs adds to the test line, and exits non-zero on any error.
// Needs the packages built (`pnpm build`): blocks import their dist/ through links to packages/*.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, '.cache', 'docs-check');
const TS_LANGS = new Set(['ts', 'typescript', 'mts']);
const JS_LANGS = new Set(['js', 'javascript', 'mjs']);
const SH_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

const args = process.argv.slice(2);
const noRun = args.includes('--no-run');
const ti = args.indexOf('--timeout');
const timeoutS = ti >= 0 ? Number(args[ti + 1]) : Number(process.env.CLT_DOCS_TIMEOUT_S ?? 60);
const named = args.filter((a, i) => !a.startsWith('--') && !(ti >= 0 && i === ti + 1));

/** The Markdown files the check covers (or the ones named on the command line). */
function markdownFiles() {
  if (named.length) return named.map((f) => relative(ROOT, resolve(f)));
  const out = ['README.md'];
  for (const f of readdirSync(join(ROOT, 'docs')).sort()) if (f.endsWith('.md')) out.push(`docs/${f}`);
  for (const p of readdirSync(join(ROOT, 'packages')).sort()) if (existsSync(join(ROOT, 'packages', p, 'README.md'))) out.push(`packages/${p}/README.md`);
  if (existsSync(join(ROOT, 'benchmarks', 'README.md'))) out.push('benchmarks/README.md');
  return out;
}

/** Fenced blocks of one Markdown file: language, first content line (1-based), text, marker. */
function blocksOf(file) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let j = i + 1;
    while (j < lines.length && !lines[j].trimStart().startsWith(fence)) j++;
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? /^\s*<!--\s*(fragment|compile-only|needs-backend)\s*:\s*(.*?)\s*-->\s*$/.exec(lines[k]) : null;
    blocks.push({
      file, lang: lang.toLowerCase(), line: i + 2,
      text: lines.slice(i + 1, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n'),
      marker: marker ? { kind: marker[1], reason: marker[2] || '(no reason given)' } : undefined,
    });
    i = j;
  }
  return blocks;
}

const slug = (b) => `${b.file.replace(/[^\w.-]+/g, '_')}-L${b.line}`;
const errors = [];
const fragments = [];
let compiled = 0, ran = 0;

rmSync(WORK, { recursive: true, force: true });
rmSync(join(ROOT, '.docs-check-report.json'), { force: true });
mkdirSync(join(WORK, 'src'), { recursive: true });
writeFileSync(join(WORK, 'package.json'), '{ "type": "module", "private": true }\n');
// Every workspace package, linked where a user's node_modules would hold it (the root's devDependencies
// need not list them all); Node follows the links, so each package finds its own dependencies.
mkdirSync(join(WORK, 'node_modules', '@clt'), { recursive: true });
for (const d of [...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p)), join(ROOT, 'benchmarks')]) {
  const pj = join(d, 'package.json');
  const name = existsSync(pj) ? JSON.parse(readFileSync(pj, 'utf8')).name : undefined;
  if (typeof name === 'string' && name.startsWith('@clt/')) symlinkSync(d, join(WORK, 'node_modules', name), 'dir');
}

const code = [];
for (const file of markdownFiles()) {
  for (const b of blocksOf(file)) {
    if (SH_LANGS.has(b.lang)) {
      b.text.split('\n').forEach((l, n) => {
        if (/^\s*(\$\s+)?clt(\s|$)/.test(l)) errors.push(`${b.file}:${b.line + n}: write \`npx clt …\`: a bare \`clt\` is not on the PATH after the documented install`);
      });
      continue;
    }
    const ts = TS_LANGS.has(b.lang), js = JS_LANGS.has(b.lang);
    if (!ts && !js) continue;
    if (b.marker?.kind === 'fragment') { fragments.push(`${b.file}:${b.line}: ${b.marker.reason}`); continue; }
    code.push({ ...b, ts, name: `${slug(b)}.${ts ? 'ts' : 'mjs'}` });
  }
}
for (const f of existsSync(join(ROOT, 'docs/examples')) ? readdirSync(join(ROOT, 'docs/examples')).sort() : []) {
  if (f.endsWith('.ts')) code.push({ file: `docs/examples/${f}`, line: 1, ts: true, text: readFileSync(join(ROOT, 'docs/examples', f), 'utf8'), name: `docs_examples_${f}` });
}

// A block without import/export would be a script: top-level await needs a module.
const asModule = (t) => (/^\s*(import|export)\s/m.test(t) ? t : `${t}\nexport {};\n`);
for (const c of code) writeFileSync(join(WORK, 'src', c.name), asModule(c.text));

// Compile every TypeScript block in one tsc run; diagnostics point back at the Markdown line.
const tsBlocks = code.filter((c) => c.ts);
if (tsBlocks.length) {
  writeFileSync(join(WORK, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], strict: true,
      skipLibCheck: true, types: ['node'], rootDir: 'src', outDir: 'out', sourceMap: false, noEmitOnError: false,
      typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files: tsBlocks.map((c) => `src/${c.name}`),
  }, null, 2));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: WORK, encoding: 'utf8' });
  const byName = new Map(tsBlocks.map((c) => [c.name, c]));
  const failedNames = new Set();
  for (const l of `${tsc.stdout}${tsc.stderr}`.split('\n')) {
    const m = /(?:^|\/)src\/([^/()]+)\((\d+),(\d+)\): (.*)$/.exec(l.trim());
    if (m && byName.has(m[1])) {
      const c = byName.get(m[1]);
      errors.push(`${c.file}:${c.line + Number(m[2]) - 1}:${m[3]}: ${m[4]}`);
      failedNames.add(m[1]);
    } else if (l.trim() && !/^\s/.test(l)) {
      if (/error TS/.test(l)) errors.push(`tsc: ${l.trim()}`);
    }
  }
  for (const c of tsBlocks) c.compileFailed = failedNames.has(c.name);
  compiled += tsBlocks.filter((c) => !c.compileFailed).length;
}
for (const c of code.filter((x) => !x.ts)) {
  const chk = spawnSync(process.execPath, ['--check', join(WORK, 'src', c.name)], { encoding: 'utf8' });
  if (chk.status !== 0) { c.compileFailed = true; errors.push(`${c.file}:${c.line}: ${chk.stderr.trim().split('\n').slice(0, 5).join(' ')}`); }
  else compiled++;
}

/** Run one block in its own empty folder (blocks may write files), killed after the time limit. */
function runBlock(c) {
  const entry = c.ts ? join(WORK, 'out', c.name.replace(/\.ts$/, '.js')) : join(WORK, 'src', c.name);
  const cwd = join(WORK, 'run', c.name);
  mkdirSync(cwd, { recursive: true });
  return new Promise((done) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [entry], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutS * 1000);
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      c.runFailed = status !== 0;
      if (status === 0) { ran++; console.log(`docs: ran ${c.file}:${c.line} (${s} s)`); }
      else {
        const why = signal ? `killed after ${timeoutS} s (${signal})` : `exit code ${status}`;
        errors.push(`${c.file}:${c.line}: running it failed: ${why}\n    ${out.trim().split('\n').slice(-8).join('\n    ')}`);
      }
      done();
    });
  });
}

/**
 * Whether backend `name` resolves here, probed in a child process that registers every installed
 * @clt/backend-* package (as a user's `import '…/register'` would): null when usable, else the reason.
 */
const backendProbes = new Map();
function backendUnusable(name) {
  if (!backendProbes.has(name)) {
    const probe = `
      import { readdirSync, existsSync } from 'node:fs';
      const dir = ${JSON.stringify(join(WORK, 'node_modules', '@clt'))};
      for (const p of readdirSync(dir)) if (p.startsWith('backend-') && existsSync(\`\${dir}/\${p}/dist/register.js\`)) await import(\`@clt/\${p}/register\`);
      const { resolveBackend, registeredBackends } = await import('@clt/core');
      if (!registeredBackends().some((e) => e.name === process.argv[1])) { console.log('UNKNOWN'); process.exit(0); }
      try { await resolveBackend(process.argv[1]); console.log('OK'); }
      catch (e) { console.log(String(e.message).split('\\n').map((l) => l.trim()).filter(Boolean).slice(1, 2).join(' ') || String(e.message)); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, name], { cwd: WORK, encoding: 'utf8', timeout: 60_000 });
    const out = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    const why = out || `the probe failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
    backendProbes.set(name, out === 'OK' ? null : why.length > 200 ? `${why.slice(0, why.lastIndexOf(' ', 200))} …` : why);
  }
  return backendProbes.get(name);
}

for (const c of code) {
  if (c.compileFailed) continue;
  if (c.marker?.kind === 'compile-only') { fragments.push(`${c.file}:${c.line}: compiled, not run: ${c.marker.reason}`); continue; }
  if (c.marker?.kind === 'needs-backend' && !noRun) {
    const why = backendUnusable(c.marker.reason);
    if (why === 'UNKNOWN') { c.runFailed = true; errors.push(`${c.file}:${c.line}: needs-backend names '${c.marker.reason}', which no installed @clt/backend-* package registers`); continue; }
    if (why) { fragments.push(`${c.file}:${c.line}: compiled, not run: backend ${c.marker.reason} is not usable here (${why})`); continue; }
  }
  if (!noRun) await runBlock(c);
}

for (const f of fragments) console.log(`docs: fragment ${f}`);
for (const e of errors) console.log(`docs: ERROR ${e}`);
console.log(`docs: ${compiled} compiled, ${ran} run, ${fragments.length} fragments${errors.length ? `, ${errors.length} errors` : ''}`);
// One "test" per block for the summary line (a shell-block finding counts as one failure).
const shellErrors = errors.filter((e) => e.includes('write `npx clt')).length;
const failedBlocks = code.filter((c) => c.compileFailed || c.runFailed).length + shellErrors;
writeFileSync(join(ROOT, '.docs-check-report.json'), JSON.stringify({
  numPassedTests: code.length - code.filter((c) => c.compileFailed || c.runFailed).length,
  numFailedTests: failedBlocks,
  numPendingTests: fragments.length,
}) + '\n');
process.exit(errors.length ? 1 : 0);
