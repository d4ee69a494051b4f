import { allocate, type DType, type TypedArray } from '../ir/dtype.js';
import type { Node } from '../ir/graph.js';
import { size } from '../ir/graph.js';
import type { OpAttrs } from '../ir/ops.js';
import { erf } from './erf.js';

/**
 * Host kernels of the float64 reference: one function per primitive over typed arrays. Floats are
 * always computed in float64 here, whatever the node's dtype says: the reference is the oracle
 * the float32 backends are measured against. Simple loops, obviously correct, not fast.
 */

/** Host storage for a dtype in the reference: floats are Float64Array. */
export function refArray(d: DType, n: number): TypedArray {
  return d === 'f32' || d === 'f64' ? new Float64Array(n) : allocate(d, n);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]!;
  return s;
}

/** For each element of `out` (row-major), the offset of the broadcast source element in `src`. */
export function broadcastMap(out: readonly number[], src: readonly number[]): Int32Array | null {
  const n = size(out);
  const same = src.length === out.length && src.every((d, i) => d === out[i]);
  if (same) return null;
  const map = new Int32Array(n);
  if (size(src) === 1) return map;
  const r = out.length, ss = strides(src);
  const srcStride = out.map((d, i) => {
    const j = i - (r - src.length);
    return j < 0 || src[j] === 1 ? 0 : ss[j]!;
  });
  const idx = new Array(r).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    map[k] = off;
    for (let ax = r - 1; ax >= 0; ax--) {
      idx[ax]++; off += srcStride[ax]!;
      if (idx[ax] < out[ax]!) break;
      off -= srcStride[ax]! * idx[ax]; idx[ax] = 0;
    }
  }
  return map;
}

const unary: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? NaN : 0),
  abs: Math.abs,
  erf,
};

const binary: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
};

function integerDiv(a: number, b: number): number {
  return Math.trunc(a / b) | 0;
}

export function evalNode(node: Node, ins: TypedArray[], inShapes: readonly (readonly number[])[]): TypedArray {
  const out = refArray(node.dtype, size(node.shape));
  const op = node.op;
  const a = node.attrs as any;
  if (op in unary) {
    const f = unary[op]!, x = ins[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!);
    if (node.dtype === 'i32') for (let i = 0; i < out.length; i++) out[i] = out[i]! | 0;
    return out;
  }
  if (op in binary) {
    let f = binary[op]!;
    if (op === 'div' && node.dtype === 'i32') f = integerDiv;
    const x = ins[0]!, y = ins[1]!;
    const mx = broadcastMap(node.shape, inShapes[0]!), my = broadcastMap(node.shape, inShapes[1]!);
    for (let i = 0; i < out.length; i++) out[i] = f(x[mx ? mx[i]! : i]!, y[my ? my[i]! : i]!);
    return out;
  }
  switch (op) {
    case 'where': {
      const [c, x, y] = ins as [TypedArray, TypedArray, TypedArray];
      const mc = broadcastMap(node.shape, inShapes[0]!), mx = broadcastMap(node.shape, inShapes[1]!), my = broadcastMap(node.shape, inShapes[2]!);
      for (let i = 0; i < out.length; i++) out[i] = c[mc ? mc[i]! : i] ? x[mx ? mx[i]! : i]! : y[my ? my[i]! : i]!;
      return out;
    }
    case 'cast': {
      const x = ins[0]!, to = (a as OpAttrs['cast']).to;
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = to === 'bool' ? (v !== 0 ? 1 : 0) : to === 'i32' ? Math.trunc(v) : v;
      }
      if (to === 'f32') for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]!);
      return out;
    }
    case 'stopGradient': case 'reshape':
      out.set(ins[0]!);
      return out;
    case 'expand': {
      const m = broadcastMap(node.shape, inShapes[0]!), x = ins[0]!;
      for (let i = 0; i < out.length; i++) out[i] = x[m ? m[i]! : i]!;
      return out;
    }
    case 'sum': case 'reduceMax': {
      const x = ins[0]!, inShape = inShapes[0]!, axes: number[] = a.axes.map((v: number) => (v < 0 ? v + inShape.length : v));
      const keptShape = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
      const isMax = op === 'reduceMax';
      out.fill(isMax ? -Infinity : 0);
      // Map each input element to its output slot by broadcasting the kept shape back.
      const ks = strides(keptShape), r = inShape.length, idx = new Array(r).fill(0);
      let off = 0;
      const step = inShape.map((_, i) => (axes.includes(i) ? 0 : ks[i]!));
      for (let k = 0; k < x.length; k++) {
        const v = x[k]!;
        if (isMax) { if (v > out[off]! || Number.isNaN(v)) out[off] = v; } else out[off] = out[off]! + v;
        for (let ax = r - 1; ax >= 0; ax--) {
          idx[ax]++; off += step[ax]!;
          if (idx[ax] < inShape[ax]!) break;
          off -= step[ax]! * idx[ax]; idx[ax] = 0;
        }
      }
      return out;
    }
    case 'transpose': {
      const x = ins[0]!, perm: number[] = a.perm, inShape = inShapes[0]!, is = strides(inShape);
      const r = perm.length, os = node.shape, idx = new Array(r).fill(0);
      const step = perm.map((p) => is[p]!);
      let off = 0;
      for (let k = 0; k < out.length; k++) {
        out[k] = x[off]!;
        for (let ax = r - 1; ax >= 0; ax--) {
          idx[ax]++; off += step[ax]!;
          if (idx[ax] < os[ax]!) break;
          off -= step[ax]! * idx[ax]; idx[ax] = 0;
        }
      }
      return out;
    }
    case 'slice': {
      const x = ins[0]!, inShape = inShapes[0]!, is = strides(inShape), starts: number[] = a.starts;
      const r = inShape.length, os = node.shape, idx = new Array(r).fill(0);
      let base = 0;
      for (let i = 0; i < r; i++) base += starts[i]! * is[i]!;
      let off = base;
      for (let k = 0; k < out.length; k++) {
        out[k] = x[off]!;
        for (let ax = r - 1; ax >= 0; ax--) {
          idx[ax]++; off += is[ax]!;
          if (idx[ax] < os[ax]!) break;
          off -= is[ax]! * idx[ax]; idx[ax] = 0;
        }
      }
      return out;
    }
    case 'concat': {
      const ax = a.axis < 0 ? a.axis + node.shape.length : a.axis;
      const outer = size(node.shape.slice(0, ax)), inner = size(node.shape.slice(ax + 1));
      let pos = 0;
      for (let t = 0; t < ins.length; t++) {
        const len = inShapes[t]![ax]! * inner, x = ins[t]!, rowOut = node.shape[ax]! * inner;
        for (let o = 0; o < outer; o++) for (let j = 0; j < len; j++) out[o * rowOut + pos + j] = x[o * len + j]!;
        pos += len;
      }
      return out;
    }
    case 'gather': {
      const x = ins[0]!, ix = ins[1]!, inShape = inShapes[0]!;
      const ax = a.axis < 0 ? a.axis + inShape.length : a.axis;
      const outer = size(inShape.slice(0, ax)), n = inShape[ax]!, inner = size(inShape.slice(ax + 1)), k = ix.length;
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < k; j++) {
          const t = ix[j]!;
          if (t < 0 || t >= n) throw new RangeError(`gather: index ${ix[j]} out of range for axis of size ${n}`);
          for (let i = 0; i < inner; i++) out[(o * k + j) * inner + i] = x[(o * n + t) * inner + i]!;
        }
      return out;
    }
    case 'oneHot': {
      const ix = ins[0]!, depth: number = a.depth;
      // Out-of-range indices give an all-zero row (tfjs semantics; ONNX lowered as Equal to a range).
      for (let j = 0; j < ix.length; j++) { const t = ix[j]!; if (t >= 0 && t < depth) out[j * depth + t] = 1; }
      return out;
    }
    case 'matmul': {
      const x = ins[0]!, y = ins[1]!, as = inShapes[0]!, bs = inShapes[1]!;
      const m = as[as.length - 2]!, k = as[as.length - 1]!, n = bs[bs.length - 1]!;
      const batch = node.shape.slice(0, -2), nb = size(batch);
      const ma = broadcastMap(batch, as.slice(0, -2)), mb = broadcastMap(batch, bs.slice(0, -2));
      for (let bi = 0; bi < nb; bi++) {
        const ao = (ma ? ma[bi]! : bi) * m * k, bo = (mb ? mb[bi]! : bi) * k * n, oo = bi * m * n;
        for (let i = 0; i < m; i++)
          for (let p = 0; p < k; p++) {
            const av = x[ao + i * k + p]!;
            const ro = oo + i * n, bro = bo + p * n;
            for (let j = 0; j < n; j++) out[ro + j] += av * y[bro + j]!;
          }
      }
      return out;
    }
    case 'sortDesc': {
      const x = ins[0]!, n = node.shape[node.shape.length - 1]!;
      const row = new Float64Array(n);
      for (let o = 0; o < out.length; o += n) {
        for (let j = 0; j < n; j++) row[j] = x[o + j]!;
        row.sort();
        for (let j = 0; j < n; j++) out[o + j] = row[n - 1 - j]!;
      }
      return out;
    }
    case 'conv2d': case 'conv2dTranspose':
      conv2dKernel(op === 'conv2dTranspose', a as OpAttrs['conv2d'], ins[0]!, inShapes[0]!, ins[1]!, inShapes[1]!, out, node.shape);
      return out;
    case 'cumsum': {
      const x = ins[0]!, ax = a.axis < 0 ? a.axis + node.shape.length : a.axis;
      const outer = size(node.shape.slice(0, ax)), n = node.shape[ax]!, inner = size(node.shape.slice(ax + 1));
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let acc = 0;
          for (let jj = 0; jj < n; jj++) {
            const j = a.reverse ? n - 1 - jj : jj, p = (o * n + j) * inner + i;
            acc += x[p]!; out[p] = acc;
          }
        }
      return out;
    }
  }
  throw new Error(`reference: no kernel for op '${op}'`);
}

/**
 * conv2d and its adjoint in one loop nest, over every (sample, group, output channel, output
 * position, input channel, kernel tap) with the input position h = y·s − pad_top + i·d (same for
 * w); taps that land in the padding are skipped (zero padding).
 *   forward:    y[n, o, y, x]  = Σ_{c, i, j} x[n, g·Cg + c, h, w] · w[o, c, i, j]
 *   transposed: dx[n, g·Cg + c, h, w] += g[n, o, y, x] · w[o, c, i, j]
 * For the transposed form `x` is the cotangent [N, O, Ho, Wo] and `outShape` is [N, C, H, W].
 */
function conv2dKernel(transposed: boolean, a: OpAttrs['conv2d'], x: TypedArray, xs: readonly number[], w: TypedArray, ws: readonly number[], out: TypedArray, os: readonly number[]): void {
  const [O, Cg, kh, kw] = ws as [number, number, number, number];
  const G = a.groups, Og = O / G;
  // Spatial sizes of the conv2d's input (H, W) and output (Ho, Wo), whichever side `x` is.
  const [N, , H, W] = (transposed ? os : xs) as [number, number, number, number];
  const [Ho, Wo] = (transposed ? xs.slice(2) : os.slice(2)) as [number, number];
  const C = Cg * G, [sh, sw] = a.strides as [number, number], [dh, dw] = a.dilations as [number, number];
  const pt = a.pads[0]!, pl = a.pads[1]!;
  for (let n = 0; n < N; n++)
    for (let g = 0; g < G; g++)
      for (let oc = 0; oc < Og; oc++) {
        const o = g * Og + oc;
        for (let y = 0; y < Ho; y++)
          for (let xo = 0; xo < Wo; xo++) {
            const yo = ((n * O + o) * Ho + y) * Wo + xo;
            let acc = 0;
            const gy = transposed ? x[yo]! : 0;
            for (let c = 0; c < Cg; c++) {
              const plane = (n * C + g * Cg + c) * H;
              for (let i = 0; i < kh; i++) {
                const h = y * sh - pt + i * dh;
                if (h < 0 || h >= H) continue;
                for (let j = 0; j < kw; j++) {
                  const ww = xo * sw - pl + j * dw;
                  if (ww < 0 || ww >= W) continue;
                  const wv = w[((o * Cg + c) * kh + i) * kw + j]!, xi = (plane + h) * W + ww;
                  if (transposed) out[xi] = out[xi]! + gy * wv;
                  else acc += x[xi]! * wv;
                }
              }
            }
            if (!transposed) out[yo] = acc;
          }
      }
}
