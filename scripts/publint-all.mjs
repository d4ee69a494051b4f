// publint over every publishable package, on the tarball a user would download: `pnpm pack` (which
// turns `workspace:^` into caret ranges, as publishing does), then `publint run <tarball> --strict`
// (warnings count as errors). Each tarball must also carry README.md, LICENSE and package.json, and no
// test sources or fixtures. Prints one line per package and the CI line
// "ci: publint: N packages, N clean, N with findings"; exits non-zero on any finding.
// Needs the packages built (the tarballs hold dist/).
//
// Usage: node scripts/publint-all.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLINT = join(ROOT, 'node_modules', 'publint', 'src', 'cli.js');
const dirs = readdirSync(join(ROOT, 'packages')).sort().map((d) => join(ROOT, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')) && !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private);
const out = mkdtempSync(join(tmpdir(), 'clt-publint-'));
let clean = 0;
const findings = [];

for (const d of dirs) {
  const { name } = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
  const before = new Set(readdirSync(out));
  const pack = spawnSync('npx', ['-y', 'pnpm@10.34.8', 'pack', '--pack-destination', out], { cwd: d, encoding: 'utf8' });
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (pack.status !== 0 || !tgz) { findings.push(name); console.log(`ci: publint ${name}: pnpm pack failed: ${`${pack.stdout}${pack.stderr}`.trim().split('\n').slice(-3).join(' | ')}`); continue; }
  const problems = [];
  const lint = spawnSync(process.execPath, [existsSync(PUBLINT) ? PUBLINT : join(ROOT, 'node_modules', '.bin', 'publint'), 'run', join(out, tgz), '--strict'], { encoding: 'utf8' });
  if (lint.status !== 0) problems.push(...`${lint.stdout}${lint.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^(Running publint|Unpacking tarball|Linting)/.test(l)));
  const list = execFileSync('tar', ['-tzf', join(out, tgz)], { encoding: 'utf8' }).split('\n');
  for (const need of ['package/README.md', 'package/LICENSE', 'package/package.json']) if (!list.includes(need)) problems.push(`missing ${need.slice(8)}`);
  const tests = list.filter((l) => /\.test\.|\.test-d\.|-fixtures?\.[cm]?[jt]s$|\/test-[^/]*\.[cm]?[jt]s$/.test(l));
  if (tests.length) problems.push(`test sources in the tarball: ${tests.slice(0, 4).map((l) => l.slice(8)).join(', ')}${tests.length > 4 ? ` and ${tests.length - 4} more` : ''}`);
  if (problems.length) { findings.push(name); console.log(`ci: publint ${name}: ${problems.length} finding(s)\n    ${problems.join('\n    ')}`); }
  else { clean++; console.log(`ci: publint ${name}: clean`); }
}
rmSync(out, { recursive: true, force: true });
console.log(`ci: publint: ${dirs.length} packages, ${clean} clean, ${findings.length} with findings${findings.length ? ` (${findings.join(', ')})` : ''}`);
process.exit(findings.length ? 1 : 0);
