import { BoundsInputError } from './errors.js';

/** n rows of `dim` values each, row-major (e.g. 60000 × 784 MNIST pixels in a Float32Array). */
export interface Rows {
  readonly data: ArrayLike<number>;
  readonly dim: number;
}

/**
 * How samples are grouped into "the same input":
 * - `'exact'` (default): identical bytes of the row (so −0 and +0, or two NaN payloads, differ;
 *   NaN is rejected). Hashed, then verified byte by byte, so a hash collision never merges rows.
 * - `{ step, offset }`: the grid cell ⌊(x − offset)/step⌋ per coordinate (step and offset scalars
 *   or one per column). Steps s and k·s (k a positive integer, same offset) give nested cells, so a
 *   coarser grid is a function of a finer one.
 * - `{ keys }`: one caller-supplied group id per sample (cluster labels, a hash of your own, ...).
 */
export type Grouping =
  | 'exact'
  | { readonly step: number | ArrayLike<number>; readonly offset?: number | ArrayLike<number> }
  | { readonly keys: ArrayLike<number> };

/** The partition of the samples into groups of equal (or equally quantized) inputs. */
export interface RowGroups {
  readonly n: number;
  /** Number of distinct groups. */
  readonly count: number;
  /** Group id of each sample, in 0..count−1, numbered by first appearance. */
  readonly groupOf: Int32Array;
  /** Number of samples in each group. */
  readonly size: Int32Array;
  /** First sample of each group. */
  readonly first: Int32Array;
}

type Float = Float32Array | Float64Array;
const TWO32 = 4294967296;

/**
 * Partition the rows by the grouping. Cost: O(n·dim) time (one hash pass plus one verifying
 * comparison per sample whose group already exists), O(n) memory besides the data; no allocation
 * per element (typed arrays are hashed through a Uint32 view of their bytes).
 */
export function groupRows(rows: Rows, grouping: Grouping = 'exact', where = 'groupRows'): RowGroups {
  if (typeof grouping === 'object' && grouping !== null && 'keys' in grouping) return groupByKeys(grouping.keys, where);
  const { dim } = rows;
  if (!Number.isInteger(dim) || dim < 1) throw new BoundsInputError(where, `row length dim is ${dim}; it must be a positive integer (e.g. 784 for MNIST)`);
  const len = rows.data.length;
  if (len === 0) throw new BoundsInputError(where, 'the data set is empty; give at least one sample');
  if (len % dim !== 0) throw new BoundsInputError(where, `${len} values are not a whole number of rows of dim = ${dim}; check the row length`);
  const n = len / dim;
  const data: ArrayLike<number> = ArrayBuffer.isView(rows.data) ? rows.data : Float64Array.from(rows.data);
  if (data instanceof Float32Array || data instanceof Float64Array) checkNoNaN(data, dim, where);

  let hash: (i: number) => number, equal: (i: number, j: number) => boolean;
  if (grouping === 'exact') [hash, equal] = exactHasher(data as ArrayBufferView & ArrayLike<number>, n, dim);
  else [hash, equal] = gridHasher(data, dim, grouping as { step: number | ArrayLike<number>; offset?: number | ArrayLike<number> }, where);
  return assign(n, hash, equal);
}

function checkNoNaN(a: Float, dim: number, where: string): void {
  for (let k = 0; k < a.length; k++)
    if (a[k] !== a[k]) throw new BoundsInputError(where, `input row ${Math.floor(k / dim)}, column ${k % dim} is NaN; clean or impute the data first (NaN equals nothing, so it has no group)`);
}

function groupByKeys(keys: ArrayLike<number>, where: string): RowGroups {
  const n = keys.length;
  if (n === 0) throw new BoundsInputError(where, 'no group keys given; give one key per sample');
  const ids = new Map<number, number>(), groupOf = new Int32Array(n), firstTmp: number[] = [], sizeTmp: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (!Number.isFinite(k)) throw new BoundsInputError(where, `group key ${i} is ${k}; keys must be finite numbers`);
    let g = ids.get(k);
    if (g === undefined) { g = firstTmp.length; ids.set(k, g); firstTmp.push(i); sizeTmp.push(0); }
    groupOf[i] = g; sizeTmp[g]!++;
  }
  return { n, count: firstTmp.length, groupOf, size: Int32Array.from(sizeTmp), first: Int32Array.from(firstTmp) };
}

/** Hash-and-verify assignment: chains of groups sharing a 53-bit hash are compared exactly. */
function assign(n: number, hash: (i: number) => number, equal: (i: number, j: number) => boolean): RowGroups {
  const head = new Map<number, number>();
  const groupOf = new Int32Array(n), first = new Int32Array(n), size = new Int32Array(n), next = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const h = hash(i);
    let g = head.get(h), last = -1;
    while (g !== undefined && g >= 0 && !equal(first[g]!, i)) { last = g; g = next[g]!; }
    if (g === undefined || g < 0) {
      g = count++;
      first[g] = i;
      if (last >= 0) next[last] = g; else head.set(h, g);
    }
    groupOf[i] = g; size[g]!++;
  }
  return { n, count, groupOf, size: size.slice(0, count), first: first.slice(0, count) };
}

// Two independent 32-bit lanes (murmur3 mixing) → a 53-bit key; equality is always verified.
function mixA(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51); k = (k << 15) | (k >>> 17); k = Math.imul(k, 0x1b873593);
  h ^= k; h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
function mixB(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x27d4eb2f);
  return (h << 17) | (h >>> 15);
}
function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
const key = (a: number, b: number): number => fmix(a) * 2097152 + (fmix(b) >>> 11);

function exactHasher(data: ArrayBufferView & ArrayLike<number>, n: number, dim: number): [(i: number) => number, (i: number, j: number) => boolean] {
  const rowBytes = (data.byteLength / data.length) * dim;
  const aligned = data.byteOffset % 4 === 0 && rowBytes % 4 === 0;
  const view = aligned
    ? new Uint32Array(data.buffer, data.byteOffset, (n * rowBytes) / 4)
    : new Uint8Array(data.buffer, data.byteOffset, n * rowBytes);
  const w = aligned ? rowBytes / 4 : rowBytes;
  const hash = (i: number): number => {
    let a = 0x9747b28c, b = 0x3c6ef372;
    for (let k = i * w, end = k + w; k < end; k++) { const v = view[k]!; a = mixA(a, v); b = mixB(b, v); }
    return key(a ^ w, b);
  };
  const equal = (i: number, j: number): boolean => {
    for (let k = 0, oi = i * w, oj = j * w; k < w; k++) if (view[oi + k] !== view[oj + k]) return false;
    return true;
  };
  return [hash, equal];
}

function gridHasher(
  data: ArrayLike<number>, dim: number, g: { step: number | ArrayLike<number>; offset?: number | ArrayLike<number> }, where: string,
): [(i: number) => number, (i: number, j: number) => boolean] {
  const perCol = (v: number | ArrayLike<number> | undefined, dflt: number, what: string): Float64Array => {
    const out = new Float64Array(dim);
    if (v === undefined) return out.fill(dflt);
    if (typeof v === 'number') return out.fill(v);
    if (v.length !== dim) throw new BoundsInputError(where, `${what} has ${v.length} entries but rows have dim = ${dim}; give a scalar or one per column`);
    out.set(Array.from(v));
    return out;
  };
  const step = perCol(g.step, 1, 'step'), offset = perCol(g.offset, 0, 'offset');
  for (let c = 0; c < dim; c++) {
    if (!(step[c]! > 0) || !Number.isFinite(step[c]!)) throw new BoundsInputError(where, `quantization step[${c}] is ${step[c]}; it must be a finite number > 0`);
    if (!Number.isFinite(offset[c]!)) throw new BoundsInputError(where, `quantization offset[${c}] is ${offset[c]}; it must be finite`);
  }
  const cell = (k: number, c: number): number => {
    const v = Math.floor((data[k]! - offset[c]!) / step[c]!);
    if (!Number.isFinite(v)) throw new BoundsInputError(where, `input row ${Math.floor(k / dim)}, column ${c} is ${data[k]}; quantized inputs must be finite`);
    return v;
  };
  const hash = (i: number): number => {
    let a = 0x9747b28c, b = 0x3c6ef372;
    for (let c = 0, k = i * dim; c < dim; c++, k++) {
      const v = cell(k, c), lo = v >>> 0, hi = Math.floor(v / TWO32) | 0;
      a = mixA(mixA(a, lo), hi); b = mixB(mixB(b, lo), hi);
    }
    return key(a ^ dim, b);
  };
  const equal = (i: number, j: number): boolean => {
    for (let c = 0; c < dim; c++) if (cell(i * dim + c, c) !== cell(j * dim + c, c)) return false;
    return true;
  };
  return [hash, equal];
}
