import type { HostTensor } from '../backend/contract.js';
import { trace } from '../ir/builder.js';
import { toTyped, type DType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { size } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Tensor } from '../ir/tensor.js';
import type { Rng } from '../util/random.js';

/** One graph of the conformance suite, with seeded host inputs chosen inside the op's domain. */
export interface ConformanceCase {
  /** Unique, `/`-separated: `forward/add/broadcast-scalar`, `vjp/matmul`, `composite/mlp-hvp`. */
  name: string;
  /** The primitive the case is about (absent for composite graphs). */
  op?: OpName;
  kind: 'forward' | 'vjp' | 'composite';
  graph: Graph;
  inputs: Record<string, HostTensor>;
}

/**
 * Where an input's values are drawn from. Each op's case draws from its domain so that the
 * float64 oracle and a float32 backend compute the same well-conditioned function:
 * - `normal`: N(0, 1);
 * - `positive`: U[0.25, 2.5] (log, sqrt, pow base);
 * - `away`: ±U[0.25, 2] (divisors; relu/abs/max/min kinks kept away from their ties);
 * - `exponent`: U[−2, 2] (pow exponents);
 * - `small-int`: integers in [−2, 2] as floats (ties for equal, max, sortDesc);
 * - `frac`: U[−3, 3] (casts; fractional parts exercise truncation toward zero);
 * - `index:n`: i32 in [0, n); `bool`: fair coin; `int`: i32 in [−5, 5].
 */
export type Domain = 'normal' | 'positive' | 'away' | 'exponent' | 'small-int' | 'frac' | 'bool' | 'int' | `index:${number}`;

/** An input of a case: shape, dtype, and either a domain to draw from or explicit values. */
export interface InputSpec {
  shape: readonly number[];
  dtype: DType;
  domain?: Domain;
  values?: readonly number[];
}

/** Draw `n` values from a domain with a seeded generator. */
export function draw(rng: Rng, domain: Domain, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (domain) {
      case 'normal': out[i] = rng.normal(); break;
      case 'positive': out[i] = 0.25 + 2.25 * rng.uniform(); break;
      case 'away': out[i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.25 + 1.75 * rng.uniform()); break;
      case 'exponent': out[i] = -2 + 4 * rng.uniform(); break;
      case 'small-int': out[i] = rng.int(5) - 2; break;
      case 'frac': out[i] = -3 + 6 * rng.uniform(); break;
      case 'bool': out[i] = rng.uniform() < 0.5 ? 1 : 0; break;
      case 'int': out[i] = rng.int(11) - 5; break;
      default: out[i] = rng.int(Number(domain.slice('index:'.length)));
    }
  }
  return out;
}

/** Host tensor of a dtype from plain numbers (f32 data is rounded to float32, as a backend sees it). */
export function host(shape: readonly number[], dtype: DType, values: readonly number[]): HostTensor {
  if (values.length !== size(shape)) throw new Error(`conformance: ${values.length} values for shape [${shape.join(',')}]`);
  return { data: toTyped(dtype, values), shape: [...shape], dtype };
}

/**
 * Trace `fn` over inputs described by `specs`, drawing each input's values. The graph is traced
 * with the default (optimizing) builder; case functions use only inputs as operands so that the
 * op under test is not folded away.
 */
export function makeCase(
  rng: Rng,
  name: string,
  kind: ConformanceCase['kind'],
  op: OpName | undefined,
  specs: Record<string, InputSpec>,
  fn: (xs: Record<string, Tensor>, b: GraphBuilder) => Record<string, Tensor>,
): ConformanceCase {
  const graph = trace(specs, fn);
  const inputs: Record<string, HostTensor> = {};
  for (const [k, s] of Object.entries(specs)) {
    const n = size(s.shape);
    const dom: Domain = s.domain ?? (s.dtype === 'bool' ? 'bool' : s.dtype === 'i32' ? 'int' : 'normal');
    inputs[k] = host(s.shape, s.dtype, s.values ? [...s.values] : draw(rng, dom, n));
  }
  return op === undefined ? { name, kind, graph, inputs } : { name, op, kind, graph, inputs };
}

/** Shorthand for an input spec. */
export const inp = (shape: readonly number[], dtype: DType, domain?: Domain, values?: readonly number[]): InputSpec =>
  values ? { shape, dtype, values } : domain ? { shape, dtype, domain } : { shape, dtype };

/** Values that exercise NaN and ±Inf propagation, with finite companions. */
export const SPECIAL = [NaN, Infinity, -Infinity, 0, 1.5, -2] as const;
