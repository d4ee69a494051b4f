import type { Tensor } from '../ir/tensor.js';
import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { conjugateSurrogate, dot, rowDot, shifted, shiftRows } from './numerics.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxLoss } from './sparsemax.js';
import { bisectIterations, entmaxBisectHost, entmaxBisectIR, thresholdParam, type BisectResult } from './entmax-bisect.js';
import { entmax15Host, entmax15IR, tsallisOmegaHost, tsallisOmegaIR, tsallisOmegaRelHost, tsallisOmegaRelIR } from './tsallis.js';
import { asVector, checkLogits, LossInputError } from './validate.js';

/**
 * How an α-entmax loss computes its map: `method` (exact forms where they exist, or bisection forced),
 * the host bisection's bracket width, and the tolerance that fixes the IR's unrolled bisection per dtype.
 */
export interface EntmaxOptions {
  /**
   * 'auto' (default): softmax at α = 1, sparsemax at α = 2, the exact sort at α = 1.5, bisection
   * otherwise. 'bisect' forces bisection (for any α > 1), e.g. to compare with the exact sort.
   */
  readonly method?: 'auto' | 'bisect';
  /** Bracket width on the threshold t at which the host bisection stops (default 1e-14). */
  readonly tol?: number;
  /** Tolerance that fixes the IR's unrolled iteration count: f64 default 1e-13, f32 1e-7. */
  readonly irTol?: { f32?: number; f64?: number };
}

/** An α-entmax loss: an `FYLoss` plus α, the method used, and the bisection's diagnostics. */
export interface EntmaxLoss extends FYLoss {
  readonly alpha: number;
  readonly method: 'softmax' | 'sparsemax' | 'exact' | 'bisect';
  /** Host bisection with its residual |Σ ŷ − 1| and iteration count (any method; on max-shifted η). */
  bisect(eta: Float64Array): BisectResult;
  /** IR: per-row bisection residual [n] (zeros for the exact methods). */
  bisectionResidual(eta: Tensor): Tensor;
}

/**
 * α-entmax / Tsallis Fenchel–Young loss (Peters, Niculae & Martins 2019; Blondel et al. 2020), α ≥ 1.
 *
 *     Ω(μ)  = (Σ_j μ_j^α − 1)/(α(α−1)) + ι_Δ(μ)          (negative Tsallis α-entropy)
 *     ŷ     = [(α−1)η − τ]₊^{1/(α−1)},  Σ ŷ = 1            (sparse for α > 1)
 *     Ω*(η) = ⟨η, ŷ⟩ − Ω(ŷ)
 *     L     = Ω(y) + Ω*(η) − ⟨η, y⟩
 *     H_Ω(p) = (1 − Σ p_j^α)/(α(α−1))
 *
 * α = 1 is softmax (Shannon), α = 2 is sparsemax (returned as is: its Ω = ½‖μ‖² is the Gini
 * convention, ½ above the Tsallis formula at α = 2; loss, map and entropy are the same). α = 1.5 uses
 * the exact sort; other α use bisection on the threshold with a reported residual. All are stable for
 * α ∈ (1, 10] and logits up to 1e4 in magnitude (see entmax-bisect.ts for the parametrizations that
 * keep α = 1 + 1e-6 within 1e-10 of softmax and α = 10 free of NaN in float32). The IR loss has exact gradient ŷ − y and exact Hessian a.e.
 *
 * @see docs/theory.md §2.2 (row "α-entmax"), §7 rows 1–5, 17.
 */
export function entmaxLoss(alpha: number, options: EntmaxOptions = {}): EntmaxLoss {
  if (!Number.isFinite(alpha) || alpha < 1)
    throw new LossInputError('entmax', `α must be a finite number ≥ 1, got ${alpha} (α = 1 is softmax, 1.5 the usual entmax, 2 sparsemax)`);
  const bisectHost = (eta: Float64Array) => {
    if (alpha === 1) throw new LossInputError('entmax', 'bisection needs α > 1 (α = 1 is softmax, computed exactly)');
    const v = asVector('entmax', 'eta', eta);
    checkLogits('entmax', v);
    return entmaxBisectHost(shifted(v).e, alpha, { tol: options.tol });
  };
  const forced = options.method === 'bisect';
  if (!forced && (alpha === 1 || alpha === 2)) {
    const base = alpha === 1 ? softmaxLoss : sparsemaxLoss;
    return {
      ...base, alpha, method: alpha === 1 ? 'softmax' : 'sparsemax', bisect: bisectHost,
      bisectionResidual: (eta) => eta.builder.fill(0, [eta.shape[0]!], eta.dtype),
    };
  }
  if (alpha === 1) throw new LossInputError('entmax', "method 'bisect' needs α > 1; α = 1 is softmax");
  const exact = !forced && alpha === 1.5;
  const irTol = (dt: string) => (dt === 'f32' ? options.irTol?.f32 ?? 1e-7 : options.irTol?.f64 ?? 1e-13);

  const mapIR = (e: Tensor): { p: Tensor; residual: Tensor } => {
    if (exact) return { p: entmax15IR(e), residual: e.builder.fill(0, [e.shape[0]!], e.dtype) };
    return entmaxBisectIR(e, alpha, bisectIterations(alpha, e.shape[1]!, irTol(e.dtype)));
  };
  const mapHost = (e: Float64Array): Float64Array => (exact ? entmax15Host(e).p : entmaxBisectHost(e, alpha, { tol: options.tol }).p);
  // Ω*(e) on shifted rows with exact gradient and Hessian (conjugateSurrogate); `omega` may be Ω up
  // to a constant (the loss uses the form precise for differences, see tsallisOmegaRelHost).
  const conjIR = (e: Tensor, omega = tsallisOmegaIR): Tensor => {
    const p = mapIR(e).p, ps = p.stopGradient();
    return conjugateSurrogate(rowDot(e.stopGradient(), ps).sub(omega(ps, alpha)), p, e);
  };

  const loss = makeFYLoss({
    name: `entmax-${alpha}`,
    domain: 'simplex',
    entropyDomain: 'simplex',
    ir: {
      predict: (eta) => mapIR(shiftRows(eta).e).p,
      conjugate(eta) {
        const { e, m } = shiftRows(eta);
        return conjIR(e).add(m.reshape([eta.shape[0]!]));
      },
      regularizer: (mu) => tsallisOmegaIR(mu, alpha),
      loss(eta, y) {
        const { e } = shiftRows(eta);
        const l = tsallisOmegaRelIR(y, alpha).sub(rowDot(e, y)).add(conjIR(e, tsallisOmegaRelIR));
        // Large α ('s' form): the graph bisects on s = ŷ_top in the tensor dtype and cannot represent
        // a threshold within ε·u of a breakpoint, so an entry with (ŷ_j/ŷ_top)^{α−1} below ε is rounded
        // to 0 or up (the host uses the exact log-space form). Any ŷ ≠ argmax underestimates Ω*, so the
        // value could dip below 0 by up to 1/(α(α−1)) (α = 137477: −5.3e-11); the Fenchel–Young bound
        // L ≥ 0 is restored on the value only, leaving the gradient ŷ − y untouched.
        return !exact && thresholdParam(alpha, eta.shape[1]!) === 's' ? l.add(l.neg().relu().stopGradient()) : l;
      },
    },
    host: {
      predict: (eta) => mapHost(shifted(eta).e),
      conjugate(eta) {
        const { e, m } = shifted(eta);
        const p = mapHost(e);
        return dot(e, p) - tsallisOmegaHost(p, alpha) + m;
      },
      regularizer: (mu) => tsallisOmegaHost(mu, alpha),
      loss(eta, y) {
        const { e } = shifted(eta);
        const p = mapHost(e);
        return tsallisOmegaRelHost(y, alpha) - tsallisOmegaRelHost(p, alpha) + dot(e, p) - dot(e, y);
      },
      entropy: (p) => -tsallisOmegaHost(p, alpha),
    },
  });
  return {
    ...loss, alpha, method: exact ? 'exact' : 'bisect', bisect: bisectHost,
    bisectionResidual: (eta) => mapIR(shiftRows(eta).e).residual,
  };
}

/** 1.5-entmax (exact, sort-based): the usual sparse alternative to softmax. */
export const entmax15Loss: EntmaxLoss = entmaxLoss(1.5);
