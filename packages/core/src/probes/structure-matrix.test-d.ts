// Type-level tests of the structure-matrix probe's public types, through the public barrel.
// Compiled by tsc (vitest typecheck mode), never executed.
import { assertType, describe, expectTypeOf, test } from 'vitest';
import {
  StructureMatrixProbe,
  type ArrayValue, type Backend, type DeviceTensor, type EmpiricalNtk, type ExtremesMethod, type LanczosResult,
  type LobpcgResult, type Model, type NtkExtremes, type NtkPreconditioner, type ParamValues,
  type StructureAlgorithm, type StructureMatrixOptions, type ExtremesOptions,
} from '../index.js';

declare const model: Model;
declare const backend: Backend;
declare const probe: StructureMatrixProbe;
declare const params: ParamValues;
declare const x: Float64Array;
declare const dev: DeviceTensor;


describe('StructureMatrixProbe construction', () => {
  test('options: algorithm and float dtype are unions', () => {
    expectTypeOf(new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp', dtype: 'f32' })).toEqualTypeOf<StructureMatrixProbe>();
    expectTypeOf<StructureAlgorithm>().toEqualTypeOf<'jacobian-contraction' | 'ntk-vp' | 'layerwise-gram'>();
    expectTypeOf<StructureMatrixOptions['dtype']>().toEqualTypeOf<'f32' | 'f64' | undefined>();
    // @ts-expect-error probes compute in floats only
    assertType<StructureMatrixOptions>({ dtype: 'i32' });
    // @ts-expect-error unknown algorithm
    assertType<StructureMatrixOptions>({ algorithm: 'autodiff' });
  });

  test('inputs are host float arrays or device tensors', () => {
    expectTypeOf<ArrayValue>().toEqualTypeOf<Float64Array | Float32Array | DeviceTensor>();
    expectTypeOf(probe.ntk({ W0: dev, b0: new Float32Array(3) }, dev)).toEqualTypeOf<Promise<EmpiricalNtk>>();
    // @ts-expect-error plain number[] inputs are not accepted; use a Float64Array
    void probe.ntk(params, [1, 2, 3]);
    // @ts-expect-error integer arrays are not float inputs
    void probe.ntk(params, new Int32Array(3));
    expectTypeOf(probe.preconditioner(params, x)).toEqualTypeOf<Promise<NtkPreconditioner>>();
  });
});

describe('StructureMatrixProbe.extremes', () => {
  test("method is 'auto' | 'dense' | 'lanczos' | 'lobpcg'", () => {
    expectTypeOf<ExtremesMethod>().toEqualTypeOf<'auto' | 'dense' | 'lanczos' | 'lobpcg'>();
    expectTypeOf<ExtremesOptions['method']>().toEqualTypeOf<ExtremesMethod | undefined>();
    expectTypeOf<NonNullable<Parameters<StructureMatrixProbe['extremes']>[2]>>().toEqualTypeOf<ExtremesOptions>();
    expectTypeOf(probe.extremes(params, x)).toEqualTypeOf<Promise<NtkExtremes>>();
    expectTypeOf(probe.extremes(params, x, { method: 'lobpcg', lobpcg: { tol: 1e-6 } })).toEqualTypeOf<Promise<NtkExtremes>>();
    void probe.extremes(params, x, { method: 'lanczos', lanczos: { maxIterations: 400 } });
  });

  test('an unknown method is a type error, and so is an unchecked string', () => {
    // @ts-expect-error not a method
    void probe.extremes(params, x, { method: 'eigh' });
    // @ts-expect-error 'LOBPCG' is spelled 'lobpcg'
    void probe.extremes(params, x, { method: 'LOBPCG' });
    const fromCli: string = 'dense';
    // @ts-expect-error a string from outside must be checked (narrowed) before it is a method
    void probe.extremes(params, x, { method: fromCli });
  });

  test('solver options are typed per solver', () => {
    // @ts-expect-error lobpcg's which has no 'both'
    void probe.extremes(params, x, { lobpcg: { which: 'both' } });
    // @ts-expect-error Lanczos takes no preconditioner
    void probe.extremes(params, x, { lanczos: { preconditioner: (v: Float64Array) => v } });
    void probe.extremes(params, x, { lobpcg: { preconditioner: (v: Float64Array) => v, maxIterations: 50 } });
  });

  test('NtkExtremes fields: the method used (never auto), extremes, and each solver report', () => {
    expectTypeOf<NtkExtremes['method']>().toEqualTypeOf<Exclude<ExtremesMethod, 'auto'>>();
    expectTypeOf<NtkExtremes>().toEqualTypeOf<{
      readonly method: 'dense' | 'lanczos' | 'lobpcg';
      readonly largest: number;
      readonly smallest: number;
      readonly rankDeficient: boolean;
      readonly size: number;
      readonly parameterCount: number;
      readonly products: number;
      readonly eigenvalues?: Float64Array;
      readonly lanczos?: LanczosResult;
      readonly lobpcg?: LobpcgResult;
      readonly productSource?: 'formed' | 'ntk-vp';
    }>();
    const e = null as unknown as NtkExtremes;
    // @ts-expect-error the solver report exists only for the iterative methods; check it first
    void e.lobpcg.matvecs;
    if (e.lobpcg) expectTypeOf(e.lobpcg.values).toEqualTypeOf<Float64Array>();
    // @ts-expect-error results are read-only
    e.smallest = 0;
  });
});
