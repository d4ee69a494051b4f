import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classCounts, conflictingDuplicates, stratifiedSample, DataFormatError, loadDataset, loadMnist, parseCsv, parseJson, standardize, stratifiedSplit } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'clt-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MNIST split', () => {
  const mnist = loadMnist();
  it('reads all 10,000 real digits with pixels in [0, 1]', () => {
    expect(mnist.n).toBe(10000);
    expect(mnist.dim).toBe(784);
    let lo = Infinity, hi = -Infinity;
    for (const v of mnist.x) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    expect(Array.from(classCounts(mnist)).every((c) => c > 800)).toBe(true);
  });
  it('is a fixed function of the seed: same seed same rows, another seed other rows, disjoint halves', () => {
    const a = stratifiedSplit(mnist, 0.15, 7), b = stratifiedSplit(mnist, 0.15, 7), c = stratifiedSplit(mnist, 0.15, 8);
    const same = (u: Float32Array, v: Float32Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    expect(same(a.test.x, b.test.x) && same(a.train.x, b.train.x)).toBe(true);
    expect(a.train.labels).toEqual(b.train.labels);
    expect(same(a.test.x, c.test.x)).toBe(false);
    expect(a.train.n + a.test.n).toBe(10000);
    // Stratified: each class keeps its share of the test set to within one row.
    const all = classCounts(mnist), t = classCounts(a.test);
    all.forEach((k, i) => expect(Math.abs(t[i]! - Math.round(0.15 * k))).toBeLessThanOrEqual(1));
    // Disjoint: no training row equals a test row (digit images are distinct here).
    const key = (x: Float32Array, i: number) => Buffer.from(x.buffer, i * 784 * 4, 784 * 4).toString('base64');
    const train = new Set(Array.from({ length: a.train.n }, (_, i) => key(a.train.x, i)));
    expect(Array.from({ length: a.test.n }, (_, i) => key(a.test.x, i)).filter((k) => train.has(k)).length).toBe(0);
  });
  it('samples exactly the requested number of rows, stratified', () => {
    for (const k of [31, 32, 100]) {
      const s = stratifiedSample(mnist, k, 3);
      expect(s.n).toBe(k);
      const c = classCounts(s), all = classCounts(mnist);
      c.forEach((v, i) => expect(Math.abs(v - (all[i]! * k) / mnist.n)).toBeLessThan(1));
    }
  });
  it('standardizes with training statistics only', () => {
    const s = standardize(stratifiedSplit(mnist, 0.15, 1));
    const col = 14 * 28 + 14; // a centre pixel
    let m = 0;
    for (let i = 0; i < s.train.n; i++) m += s.train.x[i * 784 + col]!;
    expect(Math.abs(m / s.train.n)).toBeLessThan(1e-4);
    expect(s.std[0]).toBe(1); // a constant border pixel is centred, not divided by ~0
  });
});

describe('synthetic sets', () => {
  it('conflicting duplicates carry the closed-form floor', () => {
    const d = conflictingDuplicates({ distinct: 10, copies: 4, conflictFraction: 0.5, seed: 3 });
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    expect(d.floor).toBeCloseTo(0.5 * h, 15);
    expect(d.n).toBe(40);
    // Exactly 5 groups of identical inputs have a dissenting label.
    let conflicts = 0;
    for (let g = 0; g < 10; g++) if (new Set(Array.from(d.labels.subarray(g * 4, g * 4 + 4))).size > 1) conflicts++;
    expect(conflicts).toBe(5);
  });
  it('loadDataset parses synthetic specs and rejects unknown ones', () => {
    const s = loadDataset('synthetic:gaussian?n=300&dim=5&classes=3', { seed: 2 });
    expect(s.train.dim).toBe(5);
    expect(s.train.n + s.test.n).toBe(300);
    expect(() => loadDataset('synthetic:spiral')).toThrow(/unknown synthetic data set "spiral"/);
    expect(() => loadDataset('synthetic:gaussian?n=abc')).toThrow(/n=abc is not a number/);
  });
});

describe('user data', () => {
  it('reads CSV with a header, string labels and quoted fields', () => {
    const d = parseCsv('a,b,"label"\n1,2,cat\n3,"4",dog\n5,6,cat\n', 'pets.csv');
    expect(d.n).toBe(3);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(d.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(d.labels)).toEqual([0, 1, 0]);
  });
  it('names the row and column of a malformed CSV field', () => {
    expect(() => parseCsv('x1,x2,label\n1,2,0\n3,oops,1\n', 'd.csv')).toThrow(/d\.csv: row 2, column "x2" \(2\): \(line 3\) "oops" is not a finite number/);
    expect(() => parseCsv('x1,x2,label\n1,2,0\n3,1\n', 'd.csv')).toThrow(/row 2: \(line 3\) has 2 fields, expected 3/);
    expect(() => parseCsv('x1,x2,label\n1,2,\n3,4,1\n', 'd.csv')).toThrow(/row 1, column "label" \(3\): \(line 2\) the label is empty/);
    expect(() => parseCsv('x1,label\n1,0\n2,0\n', 'd.csv')).toThrow(/only one class/);
    expect(() => parseCsv('x,label\n1,0\n', 'd.csv', { labelColumn: 'y' })).toThrow(/no column named "y" \(columns: x, label\)/);
    const e = (() => { try { parseCsv('a,label\nNaN,1\n2,0\n', 'n.csv'); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(DataFormatError);
  });
  it('reads JSON in both layouts and names bad rows', () => {
    expect(parseJson('{"x": [[1, 2], [3, 4]], "labels": [0, 1]}').n).toBe(2);
    expect(parseJson('[{"x": [1], "label": "a"}, {"x": [2], "label": "b"}]').classes).toBe(2);
    expect(() => parseJson('{"x": [[1, 2], [3]], "labels": [0, 1]}', 'j.json')).toThrow(/j\.json: row 2, column x: expected an array of 2 numbers, got 1 values/);
    expect(() => parseJson('{"x": [[1, 2], [3, "a"]], "labels": [0, 1]}', 'j.json')).toThrow(/row 2, column x\[1\]: "a" is not a finite number/);
    expect(() => parseJson('{"x": [[1]], "labels": [0, 1]}', 'j.json')).toThrow(/1 rows in "x" but 2 labels/);
    expect(() => parseJson('{oops', 'j.json')).toThrow(/not valid JSON/);
  });
  it('loads files by extension and explains unknown formats', () => {
    const p = join(dir, 'd.csv');
    writeFileSync(p, 'f1,f2,label\n0,1,0\n1,0,1\n0,0,0\n1,1,1\n2,2,0\n3,3,1\n');
    const s = loadDataset(p, { testFraction: 0.34, seed: 1 });
    expect(s.train.n + s.test.n).toBe(6);
    writeFileSync(join(dir, 'd.xlsx'), '');
    expect(() => loadDataset(join(dir, 'd.xlsx'))).toThrow(/unknown data format ".xlsx"/);
  });
});
