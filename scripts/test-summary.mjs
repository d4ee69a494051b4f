// Sums the vitest JSON reports of every workspace package into the one line CI reads:
// "N passed, N failed, N skipped". Exits non-zero if anything failed or a report is missing.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'benchmarks'];
const dirs = [];
for (const r of roots) {
  if (!existsSync(r)) continue;
  if (existsSync(join(r, 'package.json'))) dirs.push(r);
  else for (const d of readdirSync(r)) if (existsSync(join(r, d, 'package.json'))) dirs.push(join(r, d));
}
let passed = 0, failed = 0, skipped = 0, missing = [];
for (const d of dirs) {
  const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const f = join(d, '.vitest-report.json');
  if (!existsSync(f)) { missing.push(d); continue; }
  const rep = JSON.parse(readFileSync(f, 'utf8'));
  passed += rep.numPassedTests; failed += rep.numFailedTests;
  skipped += rep.numPendingTests + (rep.numTodoTests ?? 0);
  console.log(`${pkg.name.padEnd(32)} ${rep.numPassedTests} passed, ${rep.numFailedTests} failed, ${rep.numPendingTests} skipped`);
}
// Docs that run (scripts/check-docs.mjs): one "test" per fenced code block, fragments skipped.
if (existsSync('.docs-check-report.json')) {
  const rep = JSON.parse(readFileSync('.docs-check-report.json', 'utf8'));
  passed += rep.numPassedTests; failed += rep.numFailedTests; skipped += rep.numPendingTests;
  console.log(`${'docs (code blocks)'.padEnd(32)} ${rep.numPassedTests} passed, ${rep.numFailedTests} failed, ${rep.numPendingTests} skipped`);
}
if (missing.length) { console.log(`no test report from: ${missing.join(', ')}`); failed += missing.length; }
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
