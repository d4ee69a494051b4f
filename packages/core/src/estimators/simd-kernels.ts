/**
 * WebAssembly SIMD (f64x2) inner loops for the dense symmetric eigensolver's Householder
 * reduction: the symmetric matrix-vector product, the rank-2k trailing update, and the panel's
 * pending rank-2 updates and dot products. Plain JavaScript runs them at one double per
 * instruction; f64x2 halves the instruction count and the module has no bounds checks, which is
 * what brings the reduction near LAPACK's speed on one core.
 *
 * The module is assembled here from its opcodes (a few hundred bytes, no build step and no binary
 * in the repository) and compiled synchronously on first use. Where WebAssembly or its SIMD
 * proposal is missing (old engines), `simdKernels` returns undefined and callers keep their
 * JavaScript loops.
 */

/** Kernels bound to one memory; every pointer is a byte offset into `memory.buffer`. */
export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  /**
   * Four columns of the lower triangle at once, over `bytes` bytes of rows (a multiple of 16):
   * y(r) += Σ_q c_q(r) v_q and out[q] = Σ_r c_q(r) x(r), with c_q, x, y pointers at the first row.
   */
  symv4(c0: number, c1: number, c2: number, c3: number, x: number, y: number, bytes: number, v0: number, v1: number, v2: number, v3: number, out: number): void;
  /**
   * C(rows, 0..3) −= U × Z-rows for a block of rows (a multiple of 4 rows, `rowBytes` bytes), with U
   * packed in 4-row blocks (block b, column p: 4 doubles at ut + b·k·stride + p·stride; stride = 32):
   * C_q(4b + j) −= Σ_p U(4b + j, p) z_q[p], p < k; c_q, ut and z_q point at row/entry 0 of the block.
   */
  rank2k4(ut: number, stride: number, z0: number, z1: number, z2: number, z3: number, k: number, c0: number, c1: number, c2: number, c3: number, rowBytes: number): void;
  /**
   * dst(r) −= Σ_{p<count} V_p(r)·cv[p] + W_p(r)·cw[p] over `rowBytes` bytes of rows (a multiple of
   * 16), with V_p = v + p·stride and W_p = w + p·stride: the panel's pending rank-2 updates.
   */
  gemv2(dst: number, v: number, w: number, stride: number, count: number, cv: number, cw: number, rowBytes: number): void;
  /** out[2p] = Σ_r V_p(r) x(r), out[2p+1] = Σ_r W_p(r) x(r), p < count, over `rowBytes` bytes (a multiple of 16). */
  dot2(v: number, w: number, stride: number, count: number, x: number, rowBytes: number, out: number): void;
  /**
   * out[q] = Σ_r a_q(r) x(r) for four rows a0…a3 sharing every load of x, over `bytes` bytes (a
   * multiple of 16): the inner products of the four-row Cholesky factorization and triangular inverse.
   */
  dot4(a0: number, a1: number, a2: number, a3: number, x: number, bytes: number, out: number): void;
}

const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const op = {
  get: 0x20, set: 0x21, tee: 0x22, i32const: 0x41, i32add: 0x6a, i32geu: 0x4f,
  f64load: 0x2b, f64store: 0x39, f64add: 0xa0, block: 0x02, loop: 0x03, brIf: 0x0d, br: 0x0c, end: 0x0b, void: 0x40,
} as const;
const simd = (code: number) => [0xfd, ...uleb(code)];
const v128load = (offset = 0) => [...simd(0x00), 3, ...uleb(offset)];
const v128store = (offset = 0) => [...simd(0x0b), 3, ...uleb(offset)];
const f64x2splat = simd(0x14), f64x2add = simd(0xf0), f64x2sub = simd(0xf1), f64x2mul = simd(0xf2);
const lane = (i: number) => [...simd(0x21), i];
/** f64x2.relaxed_madd (relaxed SIMD): a·b + c, fused where the CPU has FMA. */
const f64x2madd = simd(0x107);
/** Set while assembling the fused-multiply-add variant of the module. */
let fma = false;
/** acc + a·b, leaving the result on the stack: one relaxed_madd, or mul then add. */
const macc = (acc: number[], a: number[], b: number[]) => (fma ? [...a, ...b, ...acc, ...f64x2madd] : [...acc, ...a, ...b, ...f64x2mul, ...f64x2add]);

function uleb(v: number): number[] {
  const out: number[] = [];
  do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v);
  return out;
}
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) { const b = v & 0x7f; v >>= 7; if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) { out.push(b); return out; } out.push(b | 0x80); }
}
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const get = (i: number) => [op.get, ...uleb(i)];
const set = (i: number) => [op.set, ...uleb(i)];
const addI = (a: number, b: number) => [...get(a), ...get(b), op.i32add];
const incr = (i: number, by: number | number[]) => [...get(i), ...(typeof by === 'number' ? [op.i32const, ...sleb(by)] : by), op.i32add, ...set(i)];
/** `block loop (br_if exit when counter ≥ limit) body; br loop end end` */
const forLoop = (counter: number, limit: number, body: number[]) => [op.block, op.void, op.loop, op.void, ...get(counter), ...get(limit), op.i32geu, op.brIf, 1, ...body, op.br, 0, op.end, op.end];

function symv4Body(): number[] {
  // params 0..3 c0..c3, 4 x, 5 y, 6 bytes, 7..10 v0..v3 (f64), 11 out; locals 12 k, 13..16 V, 17..20 S, 21..24 A
  const V = 13, S = 17, A = 21, k = 12;
  const code: number[] = [];
  for (let q = 0; q < 4; q++) code.push(...get(7 + q), ...f64x2splat, ...set(V + q));
  const body: number[] = [];
  for (let q = 0; q < 4; q++) body.push(...addI(q, k), ...v128load(), ...set(A + q));
  // S_q += A_q · x
  for (let q = 0; q < 4; q++) body.push(...macc(get(S + q), get(A + q), [...addI(4, k), ...v128load()]), ...set(S + q));
  // y += Σ A_q V_q
  body.push(...addI(5, k), ...addI(5, k), ...v128load());
  for (let q = 0; q < 4; q++) body.push(...get(A + q), ...get(V + q), ...f64x2mul, ...f64x2add);
  body.push(...v128store(), ...incr(k, 16));
  code.push(...forLoop(k, 6, body));
  for (let q = 0; q < 4; q++) code.push(...get(11), ...get(S + q), ...lane(0), ...get(S + q), ...lane(1), op.f64add, op.f64store, 3, ...uleb(8 * q));
  return [...vec([[1, I32], [4, V128], [4, V128], [4, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code, op.end];
}

function rank2k4Body(): number[] {
  // params 0 ut, 1 stride, 2..5 z0..z3, 6 k, 7..10 c0..c3, 11 rowBytes
  // locals 12 ib (row byte offset), 13 p (bytes into z rows), 14 pu (ut pointer), 15 kb (k·8),
  //        16..23 acc (v128), 24 u01, 25 u23, 26 zq
  const ib = 12, p = 13, pu = 14, kb = 15, ACC = 16, U01 = 24, U23 = 25, ZQ = 26;
  const inner: number[] = [...get(pu), ...v128load(), ...set(U01), ...get(pu), ...v128load(16), ...set(U23)];
  for (let q = 0; q < 4; q++) {
    inner.push(...addI(2 + q, p), ...simd(0x0a), 3, 0, ...set(ZQ)); // v128.load64_splat
    inner.push(...macc(get(ACC + 2 * q), get(U01), get(ZQ)), ...set(ACC + 2 * q));
    inner.push(...macc(get(ACC + 2 * q + 1), get(U23), get(ZQ)), ...set(ACC + 2 * q + 1));
  }
  inner.push(...incr(p, 8), ...incr(pu, get(1)));
  const outer: number[] = [];
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
  for (let a = 0; a < 8; a++) outer.push(...zero, ...set(ACC + a));
  // The packed panel's blocks follow each other: pu runs on from one row block into the next.
  outer.push(op.i32const, 0, ...set(p));
  outer.push(...forLoop(p, kb, inner));
  for (let q = 0; q < 4; q++)
    for (let h = 0; h < 2; h++) outer.push(...addI(7 + q, ib), ...addI(7 + q, ib), ...v128load(16 * h), ...get(ACC + 2 * q + h), ...f64x2sub, ...v128store(16 * h));
  outer.push(...incr(ib, 32));
  const code = [...get(6), op.i32const, 3, 0x74 /* i32.shl */, ...set(kb), ...get(0), ...set(pu), ...forLoop(ib, 11, outer)];
  return [...vec([[4, I32], [8, V128], [3, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code, op.end];
}

function gemv2Body(): number[] {
  // params 0 dst, 1 v, 2 w, 3 stride, 4 count, 5 cv, 6 cw, 7 rowBytes
  // locals 8 p (p·8), 9 col (p·stride), 10 k (row bytes), 11 cnt8, 12 CV, 13 CW (v128)
  const P = 8, COL = 9, K = 10, CNT = 11, CV = 12, CW = 13;
  const inner = [
    ...addI(0, K), // store address
    ...addI(0, K), ...v128load(),
    ...get(1), ...get(COL), op.i32add, ...get(K), op.i32add, ...v128load(), ...get(CV), ...f64x2mul,
    ...get(2), ...get(COL), op.i32add, ...get(K), op.i32add, ...v128load(), ...get(CW), ...f64x2mul,
    ...f64x2add, ...f64x2sub, ...v128store(), ...incr(K, 16),
  ];
  const outer = [
    ...addI(5, P), op.f64load, 3, 0, ...f64x2splat, ...set(CV),
    ...addI(6, P), op.f64load, 3, 0, ...f64x2splat, ...set(CW),
    op.i32const, 0, ...set(K), ...forLoop(K, 7, inner),
    ...incr(P, 8), ...incr(COL, get(3)),
  ];
  const code = [...get(4), op.i32const, 3, 0x74, ...set(CNT), ...forLoop(P, CNT, outer)];
  return [...vec([[4, I32], [2, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code, op.end];
}

function dot2Body(): number[] {
  // params 0 v, 1 w, 2 stride, 3 count, 4 x, 5 rowBytes, 6 out
  // locals 7 p (p·16), 8 col, 9 k, 10 cnt16, 11 SV, 12 SW, 13 X (v128)
  const P = 7, COL = 8, K = 9, CNT = 10, SV = 11, SW = 12, X = 13;
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
  const inner = [
    ...addI(4, K), ...v128load(), ...set(X),
    ...macc(get(SV), [...get(0), ...get(COL), op.i32add, ...get(K), op.i32add, ...v128load()], get(X)), ...set(SV),
    ...macc(get(SW), [...get(1), ...get(COL), op.i32add, ...get(K), op.i32add, ...v128load()], get(X)), ...set(SW),
    ...incr(K, 16),
  ];
  const outer = [
    ...zero, ...set(SV), ...zero, ...set(SW), op.i32const, 0, ...set(K), ...forLoop(K, 5, inner),
    ...addI(6, P), ...get(SV), ...lane(0), ...get(SV), ...lane(1), op.f64add, op.f64store, 3, 0,
    ...addI(6, P), ...get(SW), ...lane(0), ...get(SW), ...lane(1), op.f64add, op.f64store, 3, 8,
    ...incr(P, 16), ...incr(COL, get(2)),
  ];
  const code = [...get(3), op.i32const, 4, 0x74, ...set(CNT), ...forLoop(P, CNT, outer)];
  return [...vec([[4, I32], [3, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code, op.end];
}

function dot4Body(): number[] {
  // params 0..3 a0..a3, 4 x, 5 bytes, 6 out; locals 7 k, 8..11 S (v128), 12 X (v128)
  const K = 7, S = 8, X = 12;
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
  const code: number[] = [];
  for (let q = 0; q < 4; q++) code.push(...zero, ...set(S + q));
  const body: number[] = [...addI(4, K), ...v128load(), ...set(X)];
  for (let q = 0; q < 4; q++) body.push(...macc(get(S + q), [...addI(q, K), ...v128load()], get(X)), ...set(S + q));
  body.push(...incr(K, 16));
  code.push(...forLoop(K, 5, body));
  for (let q = 0; q < 4; q++) code.push(...get(6), ...get(S + q), ...lane(0), ...get(S + q), ...lane(1), op.f64add, op.f64store, 3, ...uleb(8 * q));
  return [...vec([[1, I32], [5, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code, op.end];
}

function moduleBytes(withFma: boolean): Uint8Array<ArrayBuffer> {
  fma = withFma;
  const t1 = [0x60, ...vec([I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, I32].map((t) => [t])), 0];
  const t2 = [0x60, ...vec(new Array<number>(12).fill(I32).map((t) => [t])), 0];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const t3 = [0x60, ...vec(new Array<number>(8).fill(I32).map((t) => [t])), 0];
  const t4 = [0x60, ...vec(new Array<number>(7).fill(I32).map((t) => [t])), 0];
  const bodies = [symv4Body(), rank2k4Body(), gemv2Body(), dot2Body(), dot4Body()];
  fma = false;
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([t1, t2, t3, t4])), // dot4 shares t4 (seven i32 parameters) with dot2
    ...section(2, vec([[...name('e'), ...name('m'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [1], [2], [3], [3]])),
    ...section(7, vec([[...name('symv4'), 0x00, 0], [...name('rank2k4'), 0x00, 1], [...name('gemv2'), 0x00, 2], [...name('dot2'), 0x00, 3], [...name('dot4'), 0x00, 4]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;
let fmaKernels = false;

/** Whether the kernels use fused multiply-add (relaxed SIMD); undefined before first use. */
export function simdKernelsUseFma(): boolean | undefined {
  return compiled === undefined ? undefined : fmaKernels;
}

/**
 * Node 20's V8 (11.3) implements relaxed SIMD behind a flag that V8 reads when it validates a
 * module, so setting it at run time is enough: fused multiply-add makes the dense eigensolver's
 * reduction ≈ 10% faster there (Node ≥ 22 has it by default). The flag only widens what
 * WebAssembly validation accepts (the opcodes are standard); nothing else in the process changes.
 */
function enableRelaxedSimdOnNode20(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node?.split('.')[0] !== '20' || typeof proc.getBuiltinModule !== 'function') return;
  try {
    (proc.getBuiltinModule('node:v8') as { setFlagsFromString(flag: string): void }).setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // keep the plain f64x2 kernels
  }
}

function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = null;
    if (typeof WebAssembly === 'object' && !WebAssembly.validate(moduleBytes(true))) enableRelaxedSimdOnNode20();
    // Fused multiply-add (relaxed SIMD: Node ≥ 22, Node 20 with its flag, current browsers) where the engine has it, else plain f64x2.
    for (const withFma of [true, false]) {
      try {
        const wasm = moduleBytes(withFma);
        if (typeof WebAssembly === 'object' && WebAssembly.validate(wasm)) { compiled = new WebAssembly.Module(wasm); fmaKernels = withFma; break; }
      } catch {
        // try the next variant
      }
    }
  }
  return compiled;
}

function instantiate(memory: WebAssembly.Memory): SimdKernels {
  const exports = new WebAssembly.Instance(compiledModule()!, { e: { m: memory } }).exports as unknown as Omit<SimdKernels, 'memory'>;
  return { memory, symv4: exports.symv4, rank2k4: exports.rank2k4, gemv2: exports.gemv2, dot2: exports.dot2, dot4: exports.dot4 };
}

/** Kernels over a fresh memory of at least `bytes` bytes, or undefined without WebAssembly SIMD or past 4 GiB. */
export function simdKernels(bytes: number): SimdKernels | undefined {
  const pages = Math.ceil(bytes / 65536);
  if (!compiledModule() || pages > 65536) return undefined;
  try {
    return instantiate(new WebAssembly.Memory({ initial: pages, maximum: pages }));
  } catch {
    return undefined; // e.g. the engine refused a memory this large
  }
}

/** Largest memory the shared instance takes (256 MiB: matrices up to n ≈ 5700); larger problems get a fresh one. */
export const SHARED_KERNEL_BYTES = 256 * 2 ** 20;
/** The shared instance is dropped (its memory left to the garbage collector) this long after its last use ended. */
export const SHARED_KERNEL_IDLE_MS = 5000;
let shared: SimdKernels | undefined;
let release: ReturnType<typeof setTimeout> | undefined;

/**
 * One instance reused by consecutive calls, replaced by a larger one on demand up to
 * `SHARED_KERNEL_BYTES`: a fresh memory and instance per call costs more than the whole reduction
 * below n ≈ 200 (allocation, and V8 calling new exports through its slow generic wrapper until they
 * warm up), and at n = 2560 the first touch of a fresh 60 MB memory (page faults) costs ≈ 10% of the
 * solve. Its memory is fixed-size (initial = maximum): typed-array views on a growable WebAssembly
 * memory are several times slower to access in V8. It is released `SHARED_KERNEL_IDLE_MS` after
 * its last use (`sharedSimdKernelsDone`), so a one-off solve does not pin its workspace. Callers
 * must not keep views into it across calls (the next call overwrites them). Undefined above the
 * cap or without WebAssembly SIMD.
 */
export function sharedSimdKernels(bytes: number): SimdKernels | undefined {
  if (bytes > SHARED_KERNEL_BYTES) return undefined;
  if (!shared || shared.memory.buffer.byteLength < bytes) {
    // Round up to a power of two so a sequence of growing sizes replaces the instance O(log) times.
    shared = simdKernels(Math.max(65536, 2 ** Math.ceil(Math.log2(bytes))));
  }
  if (release !== undefined) { clearTimeout(release); release = undefined; }
  return shared;
}

/** Called when a user of `sharedSimdKernels` is done: starts the idle timer that releases the instance. */
export function sharedSimdKernelsDone(): void {
  if (!shared || typeof setTimeout !== 'function') return;
  if (release !== undefined) clearTimeout(release);
  release = setTimeout(() => { shared = undefined; release = undefined; }, SHARED_KERNEL_IDLE_MS);
  (release as { unref?: () => void }).unref?.();
}
