// Type-level tests of the model interface and the MLP options, through the public barrel.
// Compiled by tsc (vitest typecheck mode), never executed.
import { assertType, describe, expectTypeOf, test } from 'vitest';
import {
  Mlp, Rng, activate, initParams, parameterCount,
  type Activation, type DenseTap, type ConvTap, type LayerTap, type MlpOptions, type Model, type ParamSpec, type Tensor,
} from '../index.js';

declare const h: Tensor;
declare const mlp: Mlp;

describe('MlpOptions', () => {
  test('activation is a closed union', () => {
    expectTypeOf<Activation>().toEqualTypeOf<'relu' | 'tanh' | 'gelu' | 'identity'>();
    expectTypeOf<MlpOptions['activation']>().toEqualTypeOf<Activation | undefined>();
    expectTypeOf(new Mlp({ sizes: [784, 256, 10], activation: 'gelu', layerNorm: true, skip: true })).toEqualTypeOf<Mlp>();
    // @ts-expect-error sigmoid is not an MLP activation
    assertType<MlpOptions>({ sizes: [4, 2], activation: 'sigmoid' });
    const fromCli: string = 'relu';
    // @ts-expect-error a string from outside must be checked before it is an activation
    assertType<MlpOptions>({ sizes: [4, 2], activation: fromCli });
    expectTypeOf(activate(h, 'tanh')).toEqualTypeOf<Tensor>();
    // @ts-expect-error unknown activation
    activate(h, 'swish');
  });

  test('sizes are required; the rest is optional', () => {
    // @ts-expect-error sizes is required
    assertType<MlpOptions>({ activation: 'relu' });
    assertType<MlpOptions>({ sizes: [3, 1] });
    // @ts-expect-error sizes are numbers
    assertType<MlpOptions>({ sizes: ['784', '10'] });
    expectTypeOf<MlpOptions['sparsity']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MlpOptions['bias']>().toEqualTypeOf<boolean | undefined>();
  });
});

describe('Mlp as a Model', () => {
  test('implements Model with a literal kind and the resolved activation', () => {
    expectTypeOf(mlp).toExtend<Model>();
    expectTypeOf<Mlp['kind']>().toEqualTypeOf<'mlp'>();
    expectTypeOf(mlp.activation).toEqualTypeOf<Activation>();
    expectTypeOf(mlp.inputDim).toEqualTypeOf<number>();
    expectTypeOf(mlp.depth).toEqualTypeOf<number>();
  });

  test('apply traces tensors; taps are dense-layer records', () => {
    expectTypeOf<Model['apply']>().toEqualTypeOf<(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]) => Tensor>();
    expectTypeOf<LayerTap>().toEqualTypeOf<DenseTap | ConvTap>();
    expectTypeOf<ConvTap['groups']>().toEqualTypeOf<number>();
    expectTypeOf(mlp.apply({ W0: h, b0: h }, h)).toEqualTypeOf<Tensor>();
    // @ts-expect-error parameters are traced tensors, not host arrays
    mlp.apply({ W0: new Float64Array(4) }, h);
    expectTypeOf<DenseTap['input']>().toEqualTypeOf<Tensor>();
    expectTypeOf<DenseTap['weight']>().toEqualTypeOf<string>();
  });

  test('parameters: specs with seeded float64 init', () => {
    expectTypeOf<ParamSpec['init']>().toEqualTypeOf<(rng: Rng) => Float64Array>();
    expectTypeOf(initParams(mlp, new Rng(1))).toEqualTypeOf<Record<string, Float64Array>>();
    expectTypeOf(parameterCount(mlp)).toEqualTypeOf<number>();
    expectTypeOf<Model['params']>().toEqualTypeOf<readonly ParamSpec[]>();
  });
});
