// Type-level tests of the eigensolvers' options and results, through the public barrel. Compiled
// by tsc (vitest typecheck mode), never executed.
import { assertType, describe, expectTypeOf, test } from 'vitest';
import {
  denseMatrix, lanczos, lobpcg,
  type DenseMatrix, type LanczosOptions, type LanczosResult, type LinearOperator, type LobpcgOptions,
  type LobpcgResult, type LobpcgStep, type NtkPreconditioner, type OperatorLike, type Preconditioner,
} from '../index.js';

declare const op: LinearOperator;
declare const dense: DenseMatrix;
declare const ntkPre: NtkPreconditioner;

describe('lobpcg', () => {
  test('takes an operator or a dense matrix and resolves to a LobpcgResult', () => {
    expectTypeOf(lobpcg).parameter(0).toEqualTypeOf<OperatorLike>();
    expectTypeOf(lobpcg(op)).toEqualTypeOf<Promise<LobpcgResult>>();
    expectTypeOf(lobpcg(denseMatrix(new Float64Array(4)), { which: 'largest', count: 2 })).toEqualTypeOf<Promise<LobpcgResult>>();
    // @ts-expect-error a plain array is not a matrix; wrap it with denseMatrix
    void lobpcg([1, 0, 0, 1]);
  });

  test("which is 'smallest' | 'largest' (no 'both': that is Lanczos)", () => {
    expectTypeOf<LobpcgOptions['which']>().toEqualTypeOf<'smallest' | 'largest' | undefined>();
    // @ts-expect-error LOBPCG iterates toward one end
    assertType<LobpcgOptions>({ which: 'both' });
    // @ts-expect-error a typo is a type error, not a silent default
    assertType<LobpcgOptions>({ which: 'lowest' });
  });

  test('preconditioner: an operator, a dense matrix, or a function on a block', () => {
    assertType<LobpcgOptions>({ preconditioner: op });
    assertType<LobpcgOptions>({ preconditioner: ntkPre });
    assertType<LobpcgOptions>({ preconditioner: dense });
    assertType<LobpcgOptions>({ preconditioner: { size: 2, data: Float64Array.of(1, 0, 0, 1) } });
    assertType<LobpcgOptions>({ preconditioner: (block: Float64Array, k: number) => block.map((v) => v / (k + 1)) });
    assertType<LobpcgOptions>({ preconditioner: async (block: Float64Array) => block });
    expectTypeOf<Preconditioner>().toEqualTypeOf<
      OperatorLike | ((block: Float64Array, k: number) => Float64Array | Promise<Float64Array>)
    >();
    // @ts-expect-error the function must return the preconditioned block as a Float64Array
    assertType<LobpcgOptions>({ preconditioner: (block: Float64Array) => Array.from(block) });
    // @ts-expect-error a dense matrix needs its size
    assertType<LobpcgOptions>({ preconditioner: { data: new Float64Array(4) } });
  });

  test('result fields', () => {
    expectTypeOf<LobpcgResult>().toEqualTypeOf<{
      readonly values: Float64Array;
      readonly vectors: Float64Array;
      readonly residuals: Float64Array;
      readonly iterations: number;
      readonly matvecs: number;
      readonly converged: boolean;
      readonly stalled: boolean;
      readonly rankDeficient: boolean;
      readonly history: readonly LobpcgStep[];
    }>();
    expectTypeOf<LobpcgStep>().toEqualTypeOf<{ readonly matvecs: number; readonly value: number; readonly residual: number }>();
    const r = null as unknown as LobpcgResult;
    // @ts-expect-error results are read-only
    r.converged = true;
  });
});

describe('lanczos', () => {
  test('takes an operator or a dense matrix and resolves to a LanczosResult', () => {
    expectTypeOf(lanczos(op)).toEqualTypeOf<Promise<LanczosResult>>();
    expectTypeOf(lanczos(dense, { which: 'both', vectors: true })).toEqualTypeOf<Promise<LanczosResult>>();
    expectTypeOf<LanczosOptions['which']>().toEqualTypeOf<'both' | 'largest' | 'smallest' | undefined>();
    // @ts-expect-error not a Lanczos end
    assertType<LanczosOptions>({ which: 'lowest' });
    // @ts-expect-error Lanczos takes no preconditioner
    assertType<LanczosOptions>({ preconditioner: op });
  });

  test('result fields', () => {
    expectTypeOf<LanczosResult>().toEqualTypeOf<{
      readonly largest: number;
      readonly smallest: number;
      readonly residualLargest: number;
      readonly residualSmallest: number;
      readonly iterations: number;
      readonly matvecs: number;
      readonly iterationsLargest?: number;
      readonly iterationsSmallest?: number;
      readonly converged: boolean;
      readonly exhausted: boolean;
      readonly rankDeficient: boolean;
      readonly ritzValues: Float64Array;
      readonly history: readonly { readonly matvecs: number; readonly largest: number; readonly smallest: number }[];
      readonly vectorLargest?: Float64Array;
      readonly vectorSmallest?: Float64Array;
    }>();
  });
});
