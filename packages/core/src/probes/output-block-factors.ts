import type { DeviceTensor } from '../backend/contract.js';
import { spec, trace } from '../ir/builder.js';
import { cholesky } from '../linop/cholesky.js';
import { dotRows, transposeSquareInto, withDot4 } from '../linop/dot.js';
import { defineOperator } from '../linop/linear-operator.js';
import { firstNonFiniteIndex } from '../util/finite.js';
import type { NtkOutputBlocks, NtkPreconditioner } from './ntk-preconditioner.js';
import type { ProbeRuntime } from './runtime.js';

/**
 * Validate NTK output blocks and Cholesky-factor each (shifted by δ_k where it does not factor as
 * is): what `outputBlockPreconditioner` and `deviceOutputBlockPreconditioner` share. Internal.
 */
export function factorOutputBlocks(blocks: NtkOutputBlocks, who: string): { factors: Float64Array[]; shifts: Float64Array } {
  const { n, d, data, rotation } = blocks;
  if (rotation && rotation.length !== d * d) throw new Error(`${who}: rotation has ${rotation.length} values, expected d·d = ${d * d}`);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) throw new Error(`${who}: n and d must be positive integers, got n=${n}, d=${d}`);
  if (data.length !== d * n * n) throw new Error(`${who}: ${data.length} values, expected d·n·n = ${d * n * n}`);
  if (firstNonFiniteIndex(data) >= 0) throw new Error(`${who}: the NTK blocks have non-finite entries; check the parameters and inputs for NaN/Inf`);
  const factors: Float64Array[] = [], shifts = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const block = data.subarray(k * n * n, (k + 1) * n * n);
    let meanDiag = 0;
    for (let i = 0; i < n; i++) meanDiag += block[i * n + i]! / n;
    if (!(meanDiag > 0)) throw new Error(`${who}: output ${k} has a non-positive NTK diagonal (a dead output?); nothing to precondition`);
    let shift = 0, L: Float64Array | undefined;
    for (let attempt = 0; attempt < 16 && !L; attempt++) {
      // cholesky() only reads its input: a copy is needed only to shift the diagonal.
      const m = shift === 0 ? block : Float64Array.from(block);
      if (shift !== 0) for (let i = 0; i < n; i++) m[i * n + i]! += shift;
      L = cholesky({ size: n, data: m });
      if (!L) shift = shift > 0 ? shift * 10 : 1e-12 * meanDiag;
    }
    if (!L) throw new Error(`${who}: block ${k} did not factor even with δ = ${shift.toExponential(2)}; the NTK is not positive semi-definite`);
    factors.push(L);
    shifts[k] = shift;
  }
  return { factors, shifts };
}

/**
 * (L⁻¹)ᵀ of a lower-triangular row-major factor, written (upper triangle; the rest untouched, zero
 * in a fresh array) into `out` at `offset`. With Y = L⁻ᵀ, Y_ci = (L⁻¹)_ic = −(Σ_{c≤t<i} L_it Y_ct) / L_ii
 * for c < i and Y_ii = 1 / L_ii: an inner product of row i of L with row c of Y, both contiguous,
 * and row c of Y is final past column i − 1 when column i is computed. n³/6 multiply-adds.
 *
 * Columns are computed four at a time (i … i+3): their inner products over t < i share each load
 * of row c of Y (in WebAssembly from n = 32 on, as in `cholesky`; `simd: false` keeps
 * JavaScript), and the few terms with t in [i, i+3) follow in order as row c of Y fills in.
 */
export function invertLowerTransposedInto(L: Float64Array, n: number, out: Float64Array | Float32Array, offset = 0, options: { simd?: boolean } = {}): void {
  const nn = n * n;
  withDot4(n, 2 * nn, options.simd, (work, dot4) => {
    // L and Y side by side in the work array (WebAssembly memory when the kernel runs).
    const Lw = work.subarray(0, nn), Y = work.subarray(nn), s = new Float64Array(4);
    Lw.set(L.subarray(0, nn));
    let i = 0;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      const v0 = 1 / Lw[r0 + i]!, v1 = 1 / Lw[r1 + i + 1]!, v2 = 1 / Lw[r2 + i + 2]!, v3 = 1 / Lw[r3 + i + 3]!;
      for (let c = 0; c < i; c++) {
        const rc = c * n;
        dot4(Lw, r0 + c, r1 + c, r2 + c, r3 + c, Y, rc + c, i - c, s);
        const y0 = -s[0]! * v0;
        const y1 = -(s[1]! + Lw[r1 + i]! * y0) * v1;
        const y2 = -(s[2]! + Lw[r2 + i]! * y0 + Lw[r2 + i + 1]! * y1) * v2;
        Y[rc + i] = y0; Y[rc + i + 1] = y1; Y[rc + i + 2] = y2;
        Y[rc + i + 3] = -(s[3]! + Lw[r3 + i]! * y0 + Lw[r3 + i + 1]! * y1 + Lw[r3 + i + 2]! * y2) * v3;
      }
      // Rows i … i+3 of Y within the four columns: the inner products start at the diagonal.
      for (let q = i; q < i + 4; q++) invertColumnTail(Lw, n, Y, q, i);
    }
    for (; i < n; i++) invertColumnTail(Lw, n, Y, i, 0);
    for (let c = 0; c < n; c++) out.set(Y.subarray(c * n + c, c * n + n), offset + c * n + c);
  });
}

/** Column i of Y = L⁻ᵀ for the rows c in [from, i], one inner product each. */
function invertColumnTail(L: Float64Array, n: number, Y: Float64Array, i: number, from: number): void {
  const ri = i * n, inv = 1 / L[ri + i]!;
  for (let c = from; c < i; c++) {
    const rc = c * n;
    Y[rc + i] = -dotRows(L, ri + c, Y, rc + c, i - c) * inv;
  }
  Y[i * n + i] = inv;
}

/**
 * The output-block preconditioner T = (I ⊗ Q) M⁻¹ (I ⊗ Qᵀ) of `outputBlockPreconditioner`, applied
 * on the backend: each block's inverse factor L_k⁻¹ (and its transpose) is formed once on the host
 * (n³/6 multiply-adds per block after the n³/6 of the factorisation) and uploaded, so a block of k
 * vectors is one graph run of batched matrix products, M_k⁻¹ = L_k⁻ᵀ L_k⁻¹ (4·n²·d·k flops, the
 * rotation 4·n·d²·k), in place of 2·d triangular sweeps per vector in JavaScript. T is symmetric
 * positive definite in any precision (it is G Gᵀ for the stored G = (I ⊗ Q)·L⁻ᵀ, up to the
 * rounding of the products). Call `dispose()` to free the device copies.
 */
export function deviceOutputBlockPreconditioner(rt: ProbeRuntime, blocks: NtkOutputBlocks, who = 'preconditioner'): NtkPreconditioner & { dispose(): void } {
  const { n, d, rotation } = blocks;
  const { factors, shifts } = factorOutputBlocks(blocks, who);
  // In the probe's dtype from the start: float64 arrays converted on upload were two more fresh
  // d·n² buffers per call (page faults and garbage), for the same float32 values.
  const Arr = rt.dtype === 'f32' ? Float32Array : Float64Array;
  const nn = n * n, Li = new Arr(d * nn), LiT = new Arr(d * nn);
  for (let k = 0; k < d; k++) {
    invertLowerTransposedInto(factors[k]!, n, LiT, k * nn);
    transposeSquareInto(LiT, Li, n, k * nn);
  }
  const Q = rotation ?? identity(d), Qt = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) Qt[b * d + a] = Q[a * d + b]!;
  const owned: DeviceTensor[] = [];
  // Borrowed: these arrays are this function's own and never change while the operator lives.
  const upload = (name: string, v: Float64Array | Float32Array, shape: readonly number[]) => rt.device(name, v, shape, owned, { borrow: true });
  const fixed = { L: upload('L', Li, [d, n, n]), Lt: upload('Lt', LiT, [d, n, n]), Q: upload('Q', Q, [d, d]), Qt: upload('Qt', Qt, [d, d]) };
  const N = n * d, dt = rt.dtype;
  const solve = async (v: Float64Array, k: number) =>
    (await rt.run(`ntkpre:${n}:${d}:${k}`, () => trace(
      { V: spec([k, n, d], dt), Q: spec([d, d], dt), Qt: spec([d, d], dt), L: spec([d, n, n], dt), Lt: spec([d, n, n], dt) },
      // [k, n, d] → rotate → [d, n, k] (output-major) → L⁻ᵀ L⁻¹ per output → back → rotate back.
      ({ V, Q: q, Qt: qt, L, Lt }) => ({ y: Lt!.matmul(L!.matmul(V!.matmul(q!).transpose([2, 1, 0]))).transpose([2, 1, 0]).matmul(qt!) }),
    ), { ...fixed, V: rt.input('V', v, [k, n, d]) })).y!;
  const op = defineOperator({ size: N, symmetric: true, label: `output-block preconditioner (${d} × ${n}×${n}${rotation ? ', rotated outputs' : ''}, on the backend)`, matvec: (v) => solve(v, 1), matmat: solve });
  return { ...op, shifts, ...(rotation ? { rotation: Float64Array.from(rotation) } : {}), dispose: () => { for (const t of owned.splice(0)) t.dispose(); } };
}

function identity(d: number): Float64Array {
  const q = new Float64Array(d * d);
  for (let k = 0; k < d; k++) q[k * d + k] = 1;
  return q;
}
