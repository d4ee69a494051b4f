import { DTYPES, isFloat, type DType } from './dtype.js';
import type { OpAttrs, OpName } from './ops.js';
import { isBinary, isCompare, isReduce, isUnary } from './ops.js';

/** An error raised while tracing: names the op and the offending shapes or dtypes. */
export class ShapeError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'ShapeError';
  }
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Throw unless `d` is an IR dtype. Called where a dtype enters a graph (cast, inputs, constants),
 * so an unsupported one ('f16', 'int64') fails at trace time, not later inside a backend.
 */
export function checkDType(op: string, d: unknown): asserts d is DType {
  if (!(DTYPES as readonly unknown[]).includes(d))
    throw new ShapeError(op, `unsupported dtype ${JSON.stringify(d)}; the IR supports ${DTYPES.join(', ')} (compute in f32 and round on the host if you need f16)`);
}

/** Numpy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = new Array(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(op, `cannot broadcast shapes ${fmt(a)} and ${fmt(b)} (axis ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

interface In { shape: readonly number[]; dtype: DType }

/**
 * Shape and dtype of a node from its op, attrs and inputs; throws ShapeError on any mismatch.
 * The single source of truth for the IR's static semantics.
 */
export function inferNode(op: OpName, attrs: any, ins: In[]): { shape: number[]; dtype: DType } {
  const need = (n: number) => {
    if (ins.length !== n) throw new ShapeError(op, `expects ${n} inputs, got ${ins.length}`);
  };
  const floatIn = (i: number) => {
    if (!isFloat(ins[i]!.dtype)) throw new ShapeError(op, `input ${i} must be a float tensor, got ${ins[i]!.dtype}`);
  };
  const sameDtype = () => {
    if (ins[0]!.dtype !== ins[1]!.dtype) throw new ShapeError(op, `dtypes differ: ${ins[0]!.dtype} vs ${ins[1]!.dtype} (cast one explicitly)`);
  };
  if (isUnary(op)) {
    need(1);
    if (op === 'neg' || op === 'abs' || op === 'relu') {
      if (ins[0]!.dtype === 'bool') throw new ShapeError(op, 'bool input');
    } else floatIn(0);
    return { shape: [...ins[0]!.shape], dtype: ins[0]!.dtype };
  }
  if (isBinary(op)) {
    need(2); sameDtype();
    if (ins[0]!.dtype === 'bool') throw new ShapeError(op, 'bool inputs');
    if (op === 'pow' || op === 'div') floatIn(0);
    return { shape: broadcastShapes(op, ins[0]!.shape, ins[1]!.shape), dtype: ins[0]!.dtype };
  }
  if (isCompare(op)) {
    need(2); sameDtype();
    return { shape: broadcastShapes(op, ins[0]!.shape, ins[1]!.shape), dtype: 'bool' };
  }
  if (isReduce(op)) {
    need(1);
    const a = attrs as OpAttrs['sum'];
    const r = ins[0]!.shape.length;
    const axes = a.axes.map((x) => normAxis(op, x, r));
    if (new Set(axes).size !== axes.length) throw new ShapeError(op, `repeated axes ${fmt(a.axes)}`);
    if (op === 'reduceMax' && axes.some((ax) => ins[0]!.shape[ax] === 0)) throw new ShapeError(op, `max over a zero-size axis of ${fmt(ins[0]!.shape)}`);
    if (ins[0]!.dtype === 'bool') throw new ShapeError(op, 'bool input');
    const shape = a.keepDims ? ins[0]!.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : ins[0]!.shape.filter((_, i) => !axes.includes(i));
    return { shape, dtype: ins[0]!.dtype };
  }
  switch (op) {
    case 'input': case 'const':
      throw new ShapeError(op, 'leaves are created by the builder');
    case 'reshape': {
      need(1);
      const s = (attrs as OpAttrs['reshape']).shape;
      if (s.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(op, `bad target shape ${fmt(s)}`);
      const n = ins[0]!.shape.reduce((p, d) => p * d, 1), m = s.reduce((p, d) => p * d, 1);
      if (n !== m) throw new ShapeError(op, `cannot reshape ${fmt(ins[0]!.shape)} (${n} elements) to ${fmt(s)} (${m} elements)`);
      return { shape: [...s], dtype: ins[0]!.dtype };
    }
    case 'transpose': {
      need(1);
      const p = (attrs as OpAttrs['transpose']).perm, r = ins[0]!.shape.length;
      if (p.length !== r || [...p].sort((x, y) => x - y).some((v, i) => v !== i)) throw new ShapeError(op, `perm ${fmt(p)} is not a permutation of rank ${r}`);
      return { shape: p.map((i) => ins[0]!.shape[i]!), dtype: ins[0]!.dtype };
    }
    case 'expand': {
      need(1);
      const s = (attrs as OpAttrs['expand']).shape, x = ins[0]!.shape;
      if (s.length < x.length) throw new ShapeError(op, `cannot expand ${fmt(x)} to lower rank ${fmt(s)}`);
      for (let i = 0; i < x.length; i++) {
        const dx = x[x.length - 1 - i]!, ds = s[s.length - 1 - i]!;
        if (dx !== ds && dx !== 1) throw new ShapeError(op, `cannot expand ${fmt(x)} to ${fmt(s)}`);
      }
      return { shape: [...s], dtype: ins[0]!.dtype };
    }
    case 'slice': {
      need(1);
      const { starts, ends } = attrs as OpAttrs['slice'], x = ins[0]!.shape;
      if (starts.length !== x.length || ends.length !== x.length) throw new ShapeError(op, `starts/ends must have one entry per axis of ${fmt(x)}`);
      const shape = x.map((d, i) => {
        const s = starts[i]!, e = ends[i]!;
        if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e >= s && e <= d)) throw new ShapeError(op, `bad range [${s}, ${e}) on axis ${i} of ${fmt(x)}`);
        return e - s;
      });
      return { shape, dtype: ins[0]!.dtype };
    }
    case 'concat': {
      if (ins.length < 1) throw new ShapeError(op, 'needs at least one input');
      const r = ins[0]!.shape.length, ax = normAxis(op, (attrs as OpAttrs['concat']).axis, r);
      let total = 0;
      for (const t of ins) {
        if (t.dtype !== ins[0]!.dtype) throw new ShapeError(op, `dtypes differ: ${ins.map((t) => t.dtype).join(', ')}`);
        if (t.shape.length !== r || t.shape.some((d, i) => i !== ax && d !== ins[0]!.shape[i])) throw new ShapeError(op, `shapes ${ins.map((t) => fmt(t.shape)).join(' ')} differ off axis ${ax}`);
        total += t.shape[ax]!;
      }
      return { shape: ins[0]!.shape.map((d, i) => (i === ax ? total : d)), dtype: ins[0]!.dtype };
    }
    case 'where': {
      need(3);
      if (ins[0]!.dtype !== 'bool') throw new ShapeError(op, `condition must be bool, got ${ins[0]!.dtype}`);
      if (ins[1]!.dtype !== ins[2]!.dtype) throw new ShapeError(op, `branch dtypes differ: ${ins[1]!.dtype} vs ${ins[2]!.dtype}`);
      const s = broadcastShapes(op, broadcastShapes(op, ins[0]!.shape, ins[1]!.shape), ins[2]!.shape);
      return { shape: s, dtype: ins[1]!.dtype };
    }
    case 'cast':
      need(1);
      checkDType('cast', (attrs as OpAttrs['cast']).to);
      return { shape: [...ins[0]!.shape], dtype: (attrs as OpAttrs['cast']).to };
    case 'stopGradient':
      need(1);
      return { shape: [...ins[0]!.shape], dtype: ins[0]!.dtype };
    case 'gather': {
      need(2);
      const ax = normAxis(op, (attrs as OpAttrs['gather']).axis, ins[0]!.shape.length);
      if (ins[1]!.dtype !== 'i32') throw new ShapeError(op, `indices must be i32, got ${ins[1]!.dtype}`);
      const x = ins[0]!.shape;
      return { shape: [...x.slice(0, ax), ...ins[1]!.shape, ...x.slice(ax + 1)], dtype: ins[0]!.dtype };
    }
    case 'oneHot': {
      need(1);
      const a = attrs as OpAttrs['oneHot'];
      if (ins[0]!.dtype !== 'i32') throw new ShapeError(op, `indices must be i32, got ${ins[0]!.dtype}`);
      if (!Number.isInteger(a.depth) || a.depth < 1) throw new ShapeError(op, `depth must be a positive integer, got ${a.depth}`);
      return { shape: [...ins[0]!.shape, a.depth], dtype: a.dtype };
    }
    case 'matmul': {
      need(2); sameDtype();
      const a = ins[0]!.shape, b = ins[1]!.shape;
      if (a.length < 2 || b.length < 2) throw new ShapeError(op, `inputs must have rank >= 2, got ${fmt(a)} and ${fmt(b)}`);
      if (a[a.length - 1] !== b[b.length - 2]) throw new ShapeError(op, `inner dimensions differ: ${fmt(a)} @ ${fmt(b)}`);
      const batch = broadcastShapes(op, a.slice(0, -2), b.slice(0, -2));
      return { shape: [...batch, a[a.length - 2]!, b[b.length - 1]!], dtype: ins[0]!.dtype };
    }
    case 'sortDesc':
      need(1);
      if (ins[0]!.shape.length < 1) throw new ShapeError(op, 'needs rank >= 1');
      floatIn(0);
      return { shape: [...ins[0]!.shape], dtype: ins[0]!.dtype };
    case 'conv2d': case 'conv2dTranspose': {
      need(2); sameDtype(); floatIn(0);
      const a = attrs as OpAttrs['conv2dTranspose'], x = ins[0]!.shape, w = ins[1]!.shape;
      if (x.length !== 4 || w.length !== 4) throw new ShapeError(op, `input and filter must have rank 4 (NCHW and [O, C/groups, kh, kw]), got ${fmt(x)} and ${fmt(w)}`);
      const G = checkConvAttrs(op, a);
      const [N, Cx] = x as [number, number];
      const [O, Cg, kh, kw] = w as [number, number, number, number];
      if (O % G !== 0) throw new ShapeError(op, `filter has ${O} output channels, not divisible by groups = ${G}`);
      if (op === 'conv2d') {
        if (Cx !== Cg * G) throw new ShapeError(op, `input has ${Cx} channels but filter ${fmt(w)} with groups = ${G} expects ${Cg * G}`);
        const [Ho, Wo] = convOutSize(op, [x[2]!, x[3]!], [kh, kw], a);
        return { shape: [N, O, Ho, Wo], dtype: ins[0]!.dtype };
      }
      // conv2dTranspose: x is the cotangent of a conv2d output [N, O, Ho, Wo]; `size` is that conv's [H, W].
      if (Cx !== O) throw new ShapeError(op, `input has ${Cx} channels but filter ${fmt(w)} has ${O} output channels`);
      if (!Array.isArray(a.size) || a.size.length !== 2 || a.size.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(op, `size must be [H, W], got ${JSON.stringify(a.size)}`);
      const back = convOutSize(op, a.size, [kh, kw], a);
      if (back[0] !== x[2] || back[1] !== x[3]) throw new ShapeError(op, `a conv2d of size ${fmt(a.size)} gives ${fmt(back)}, not the input's ${fmt(x.slice(2))}`);
      return { shape: [N, Cg * G, a.size[0]!, a.size[1]!], dtype: ins[0]!.dtype };
    }
    case 'cumsum': {
      need(1);
      normAxis(op, (attrs as OpAttrs['cumsum']).axis, ins[0]!.shape.length);
      return { shape: [...ins[0]!.shape], dtype: ins[0]!.dtype };
    }
  }
  throw new ShapeError(op, 'unknown op');
}

/** Validate conv attributes; returns the group count. */
function checkConvAttrs(op: string, a: OpAttrs['conv2d']): number {
  const ok = (v: unknown, n: number, min: number) => Array.isArray(v) && v.length === n && v.every((d) => Number.isInteger(d) && d >= min);
  if (!ok(a.strides, 2, 1)) throw new ShapeError(op, `strides must be two integers >= 1, got ${JSON.stringify(a.strides)}`);
  if (!ok(a.dilations, 2, 1)) throw new ShapeError(op, `dilations must be two integers >= 1, got ${JSON.stringify(a.dilations)}`);
  if (!ok(a.pads, 4, 0)) throw new ShapeError(op, `pads must be four integers >= 0 [top, left, bottom, right], got ${JSON.stringify(a.pads)}`);
  if (!Number.isInteger(a.groups) || a.groups < 1) throw new ShapeError(op, `groups must be an integer >= 1, got ${a.groups}`);
  return a.groups;
}

/**
 * Spatial output size of a convolution: ⌊(H + pad_top + pad_bottom − d·(k − 1) − 1) / s⌋ + 1 per
 * axis. Throws when the dilated kernel does not fit in the padded input.
 */
export function convOutSize(op: string, hw: readonly number[], k: readonly number[], a: Pick<OpAttrs['conv2d'], 'strides' | 'pads' | 'dilations'>): [number, number] {
  const out = [0, 1].map((i) => {
    const span = a.dilations[i]! * (k[i]! - 1) + 1, padded = hw[i]! + a.pads[i]! + a.pads[i + 2]!;
    if (k[i]! < 1 || span > padded) throw new ShapeError(op, `kernel ${fmt(k)} (dilated extent ${span}) does not fit in the padded input ${fmt(hw)} + pads ${fmt(a.pads)} on axis ${i + 2}`);
    return Math.floor((padded - span) / a.strides[i]!) + 1;
  });
  return [out[0]!, out[1]!];
}
