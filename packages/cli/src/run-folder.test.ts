import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRunName, clearRunFolder, defaultRunName, ensureWritableFolder, MAX_RUN_NAME, runFolderPath, runFolderState, runNameProblem } from './run-folder.js';

const tmp = mkdtempSync(join(tmpdir(), 'clt-run-folder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('run names', () => {
  it('rejects every name that is not one plain folder inside --out, saying why and naming --name', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/], ['.', /above or at --out/], ['..', /above or at --out/], ['../x', /separator/], ['a/b', /separator/], ['/abs/dir', /separator/],
      ['a\\b', /separator/], ['-rf', /starts with "-"/], ['--help', /starts with "-"/], ['.hidden', /starts with "."/], ['a\u0000b', /control/],
      ['a\nb', /control/], ['x'.repeat(MAX_RUN_NAME + 1), /characters long/], [' lead', /white space/],
    ];
    for (const [name, why] of bad) {
      expect(runNameProblem(name), JSON.stringify(name)).toMatch(why);
      expect(() => checkRunName(name)).toThrow(/^--name .* is not a valid run name: .*; a run name is one folder name inside --out/);
    }
  });

  it('accepts ordinary names', () => {
    for (const name of ['mnist', 'gaussian-n-400', 'run_1.2', 'lr=0.1 seed 3', 'x'.repeat(MAX_RUN_NAME), 'résumé']) expect(runNameProblem(name), name).toBeUndefined();
  });

  it('derives a safe default name from a data-set spec (a CSV path gives its base name, never a leading - or .)', () => {
    expect(defaultRunName('mnist')).toBe('mnist');
    expect(defaultRunName('fashion-mnist')).toBe('fashion-mnist');
    expect(defaultRunName('synthetic:gaussian?n=400&dim=8&classes=3')).toBe('gaussian-n-400-dim-8-classes-3');
    expect(defaultRunName('/tmp/x/good.csv')).toBe('good');
    expect(defaultRunName('../data/-rf.csv')).toBe('rf');
    expect(defaultRunName('./..json')).toBe('run');
    expect(defaultRunName('C:\\data\\my set.json')).toBe('my-set');
    expect(defaultRunName('synthetic:..')).toBe('run');
    for (const spec of ['/tmp/x/good.csv', '../../-x.csv', '...', '/', 'synthetic:--a?b=1', `${'y'.repeat(300)}.csv`]) {
      expect(runNameProblem(defaultRunName(spec)), spec).toBeUndefined();
    }
  });

  it('places the run folder exactly one level inside --out', () => {
    expect(runFolderPath(tmp, 'a')).toEqual({ out: tmp, runDir: join(tmp, 'a') });
    expect(() => runFolderPath(tmp, '..')).toThrow(/not a folder inside --out/);
    expect(() => runFolderPath(tmp, '')).toThrow(/not a folder inside --out/);
    expect(() => runFolderPath(tmp, 'a/b')).toThrow(/not a folder inside --out/);
  });
});

describe('run folder state and clearing', () => {
  it('tells runs from user folders, links and files', () => {
    const d = join(tmp, 'states');
    mkdirSync(join(d, 'empty'), { recursive: true });
    mkdirSync(join(d, 'run'));
    writeFileSync(join(d, 'run', 'metrics.jsonl'), '');
    mkdirSync(join(d, 'mine'));
    writeFileSync(join(d, 'mine', 'thesis.tex'), 'x');
    mkdirSync(join(d, 'locked-only'));
    writeFileSync(join(d, 'locked-only', '.lock'), '{}');
    writeFileSync(join(d, 'file'), 'x');
    symlinkSync(join(d, 'run'), join(d, 'link'));
    expect(runFolderState(join(d, 'absent'))).toBe('absent');
    expect(runFolderState(join(d, 'empty'))).toBe('empty');
    expect(runFolderState(join(d, 'locked-only'))).toBe('empty');
    expect(runFolderState(join(d, 'run'))).toBe('run');
    expect(runFolderState(join(d, 'mine'))).toBe('foreign');
    expect(runFolderState(join(d, 'file'))).toBe('not-a-folder');
    expect(runFolderState(join(d, 'link'))).toBe('symlink');
  });

  it('clearRunFolder keeps the lock and never follows a link out of the folder', () => {
    const d = join(tmp, 'clear'), outside = join(tmp, 'outside');
    mkdirSync(join(d, 'plots'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'x');
    writeFileSync(join(d, '.lock'), '{}');
    writeFileSync(join(d, 'metrics.jsonl'), '');
    writeFileSync(join(d, 'plots', 'a.png'), '');
    symlinkSync(outside, join(d, 'escape'));
    symlinkSync(outside, join(d, 'plots', 'escape'));
    clearRunFolder(d);
    expect(readdirSync(d)).toEqual(['.lock']);
    expect(existsSync(join(outside, 'keep.txt'))).toBe(true);
  });
});

describe('output folders', () => {
  it('creates missing levels and proves the folder writable, leaving no probe file', () => {
    const d = join(tmp, 'a', 'b', 'c');
    ensureWritableFolder(d, '--out');
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses a path through a file at once', () => {
    writeFileSync(join(tmp, 'plain'), 'x');
    expect(() => ensureWritableFolder(join(tmp, 'plain', 'sub'), '--out')).toThrow(/--out .*plain\/sub cannot be used: .*plain exists and is not a folder; choose a folder you can write to/);
  });

  it.skipIf(!existsSync('/proc/self'))(`refuses /proc/clt-out at once instead of looping (defect 8)${existsSync('/proc/self') ? '' : ' (skipped: no /proc here)'}`, () => {
    const t0 = performance.now();
    expect(() => ensureWritableFolder('/proc/clt-out/x', '--out')).toThrow(/--out \/proc\/clt-out\/x cannot be used: cannot create \/proc\/clt-out \(ENOENT\)/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
