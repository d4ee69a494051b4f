// Type-level tests of the Fenchel–Young loss interface, through the public barrel. Compiled by tsc
// (vitest typecheck mode), never executed.
import { assertType, describe, expectTypeOf, test } from 'vitest';
import {
  entmax15Loss, entmaxLoss, fyLoss, makeFYLoss, softmaxLoss, squaredLoss,
  type EntmaxLoss, type EntmaxOptions, type FYLoss, type FYLossName, type FYLossParts, type FYLossSpec,
  type TargetDomain, type Tensor,
} from '../index.js';

declare const eta: Tensor;
declare const y: Tensor;
declare const loss: FYLoss;

describe('FYLoss', () => {
  test('IR methods map tensors to tensors', () => {
    expectTypeOf(loss.ir.predict).toEqualTypeOf<(eta: Tensor) => Tensor>();
    expectTypeOf(loss.ir.loss).toEqualTypeOf<(eta: Tensor, y: Tensor) => Tensor>();
    expectTypeOf(loss.ir.conjugate).toEqualTypeOf<(eta: Tensor) => Tensor>();
    expectTypeOf(loss.ir.regularizer).toEqualTypeOf<(mu: Tensor) => Tensor>();
    expectTypeOf(loss.ir.residual(eta, y)).toEqualTypeOf<Tensor>();
    // @ts-expect-error the IR loss takes tensors; host arrays go to loss.host
    loss.ir.loss(new Float64Array(3), y);
  });

  test('host methods are float64 in, float64 or number out', () => {
    const h = loss.host;
    expectTypeOf(h.predict).toEqualTypeOf<(eta: Float64Array) => Float64Array>();
    expectTypeOf(h.loss).toEqualTypeOf<(eta: Float64Array, y: Float64Array) => number>();
    expectTypeOf(h.grad).toEqualTypeOf<(eta: Float64Array, y: Float64Array) => Float64Array>();
    expectTypeOf(h.conjugate).returns.toEqualTypeOf<number>();
    expectTypeOf(h.regularizer).returns.toEqualTypeOf<number>();
    expectTypeOf(h.entropy).toEqualTypeOf<(p: Float64Array) => number>();
    expectTypeOf(h.bayesRisk).parameters.toEqualTypeOf<[targets: readonly Float64Array[], weights?: ArrayLike<number>]>();
    expectTypeOf(h.validateTargets).returns.toEqualTypeOf<void>();
    expectTypeOf(h.lossMany).toEqualTypeOf<(eta: Float64Array, y: Float64Array, d: number) => Float64Array>();
    // @ts-expect-error the host oracle is float64: number[] is not accepted
    h.predict([1, 2, 3]);
    // @ts-expect-error ... and neither is float32
    h.predict(new Float32Array(3));
  });

  test('metadata', () => {
    expectTypeOf(loss.domain).toEqualTypeOf<TargetDomain>();
    expectTypeOf<TargetDomain>().toEqualTypeOf<'simplex' | 'binary' | 'real' | 'nonnegative'>();
    expectTypeOf(loss.supportsHessian).toEqualTypeOf<boolean>();
    // `name` is open: entmax-α losses are named after their α.
    expectTypeOf(loss.name).toEqualTypeOf<string>();
    // @ts-expect-error losses are read-only
    loss.domain = 'real';
  });

  test('the built-ins are FYLosses; entmax adds α, its method and bisection diagnostics', () => {
    expectTypeOf(softmaxLoss).toEqualTypeOf<FYLoss>();
    expectTypeOf(squaredLoss).toEqualTypeOf<FYLoss>();
    expectTypeOf(entmax15Loss).toEqualTypeOf<EntmaxLoss>();
    expectTypeOf<EntmaxLoss>().toExtend<FYLoss>();
    expectTypeOf(entmaxLoss(1.3, { method: 'bisect' }).method).toEqualTypeOf<'softmax' | 'sparsemax' | 'exact' | 'bisect'>();
    expectTypeOf(entmax15Loss.bisectionResidual(eta)).toEqualTypeOf<Tensor>();
    expectTypeOf<EntmaxOptions['method']>().toEqualTypeOf<'auto' | 'bisect' | undefined>();
    // @ts-expect-error 'exact' is chosen by α, not requested
    entmaxLoss(1.5, { method: 'exact' });
  });

  test('makeFYLoss needs the parts a concrete loss supplies', () => {
    expectTypeOf(makeFYLoss).parameter(0).toEqualTypeOf<FYLossParts>();
    expectTypeOf(makeFYLoss).returns.toEqualTypeOf<FYLoss>();
    expectTypeOf<FYLossParts['entropyDomain']>().toEqualTypeOf<'simplex' | 'binary'>();
  });
});

describe('fyLoss(spec)', () => {
  test('accepts names, entmax-<α>, entmax options and loss objects', () => {
    expectTypeOf<FYLossName>().toEqualTypeOf<'softmax' | 'sparsemax' | 'entmax-1.5' | 'squared' | 'bernoulli' | 'poisson'>();
    expectTypeOf(fyLoss('softmax')).toEqualTypeOf<FYLoss>();
    expectTypeOf(fyLoss).toBeCallableWith('entmax-1.3');
    expectTypeOf(fyLoss).toBeCallableWith({ kind: 'entmax', alpha: 1.2, method: 'bisect' });
    expectTypeOf(fyLoss).toBeCallableWith(softmaxLoss);
    assertType<FYLossSpec>('poisson');
  });

  test('rejects unknown names and incomplete entmax specs', () => {
    // @ts-expect-error unknown loss name
    fyLoss('softmaxx');
    // @ts-expect-error α must be a number
    fyLoss('entmax-alpha');
    // @ts-expect-error entmax needs its α
    fyLoss({ kind: 'entmax' });
    const fromCli: string = 'softmax';
    // @ts-expect-error a string from outside must be checked before it is a loss spec
    fyLoss(fromCli);
  });
});
