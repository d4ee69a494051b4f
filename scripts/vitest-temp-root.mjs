// Vitest globalSetup shared by every package: the tests' temporary folders go under one fresh
// folder per test run (TMPDIR points there, so os.tmpdir() and child processes use it), removed
// when the run ends. Tests stay free to make and forget temporary folders without leaving them in
// the machine's temp directory. CLT_KEEP_TEST_TMP=1 keeps the folder (its path is printed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export default function setup() {
  const root = mkdtempSync(join(tmpdir(), `clt-test-${basename(process.cwd())}-`));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before;
    if (process.env.CLT_KEEP_TEST_TMP === '1') console.log(`test temporary files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
