// Type-level tests of the backend contract, through the public barrel. Compiled by tsc
// (vitest typecheck mode), never executed: the `declare const`s below have no values.
import { assertType, describe, expectTypeOf, test } from 'vitest';
import {
  CONTRACT_VERSION, ReferenceBackend, isDeviceTensor, resolveBackend,
  type Availability, type Backend, type CompileOptions, type DType, type DeviceTensor, type Executable, type Graph, type HostTensor,
  type OpName, type RunOptions, type TypedArray,
} from '../index.js';

declare const backend: Backend;
declare const graph: Graph;
declare const exe: Executable;
declare const host: HostTensor;
declare const dev: DeviceTensor;

describe('dtypes', () => {
  test('DType is exactly the four IR element types, TypedArray the four host arrays', () => {
    expectTypeOf<DType>().toEqualTypeOf<'f32' | 'f64' | 'i32' | 'bool'>();
    expectTypeOf<TypedArray>().toEqualTypeOf<Float32Array | Float64Array | Int32Array | Uint8Array>();
    expectTypeOf<'f16'>().not.toExtend<DType>();
    expectTypeOf<'i64'>().not.toExtend<DType>();
  });
});

describe('HostTensor and DeviceTensor', () => {
  test('a HostTensor is data + shape + dtype; other dtypes and plain arrays are rejected', () => {
    assertType<HostTensor>({ data: new Float64Array(4), shape: [2, 2], dtype: 'f64' });
    assertType<HostTensor>({ data: new Uint8Array(1), shape: [], dtype: 'bool' });
    // @ts-expect-error 'f16' is not an IR dtype
    assertType<HostTensor>({ data: new Float32Array(1), shape: [1], dtype: 'f16' });
    // @ts-expect-error data must be a typed array, not number[]
    assertType<HostTensor>({ data: [1, 2], shape: [2], dtype: 'f64' });
    // @ts-expect-error shape is required
    assertType<HostTensor>({ data: new Float64Array(1), dtype: 'f64' });
  });

  test('a DeviceTensor downloads asynchronously and is disposed synchronously', () => {
    expectTypeOf(dev.download).returns.toEqualTypeOf<Promise<TypedArray>>();
    expectTypeOf(dev.dispose).returns.toEqualTypeOf<void>();
    expectTypeOf(dev.backend).toEqualTypeOf<string>();
    expectTypeOf(dev.dtype).toEqualTypeOf<DType>();
    expectTypeOf(dev.shape).toEqualTypeOf<readonly number[]>();
    // @ts-expect-error shapes are read-only
    dev.shape.push(1);
    // A device tensor has no host data to read synchronously.
    expectTypeOf<DeviceTensor>().not.toHaveProperty('data');
  });

  test('isDeviceTensor narrows a run input to one side', () => {
    const t = null as unknown as HostTensor | DeviceTensor;
    if (isDeviceTensor(t)) expectTypeOf(t).toEqualTypeOf<DeviceTensor>();
    else expectTypeOf(t).toEqualTypeOf<HostTensor>();
  });
});

describe('Backend', () => {
  test('compile takes a Graph (and optional hints) and resolves to an Executable', () => {
    expectTypeOf(backend.compile).parameters.toEqualTypeOf<[graph: Graph, options?: CompileOptions]>();
    expectTypeOf(backend.compile(graph, { transient: true })).toEqualTypeOf<Promise<Executable>>();
    // @ts-expect-error hints are known names only
    void backend.compile(graph, { arena: false });
    expectTypeOf(backend.compile(graph)).toEqualTypeOf<Promise<Executable>>();
    // @ts-expect-error compile takes a graph, not a host tensor
    void backend.compile(host);
  });

  test('upload takes a HostTensor and returns a DeviceTensor synchronously', () => {
    expectTypeOf(backend.upload(host)).toEqualTypeOf<DeviceTensor>();
    expectTypeOf(backend.upload(host)).not.toExtend<Promise<unknown>>();
    // @ts-expect-error a DeviceTensor is already uploaded (it has no `data`)
    backend.upload(dev);
  });

  test('declared capabilities are read-only; availability says why not', () => {
    expectTypeOf(backend.contractVersion).toEqualTypeOf<1>();
    expectTypeOf(CONTRACT_VERSION).toEqualTypeOf<1>();
    expectTypeOf(backend.dtypes).toEqualTypeOf<readonly DType[]>();
    expectTypeOf(backend.supportedOps).toEqualTypeOf<ReadonlySet<OpName>>();
    expectTypeOf(backend.availability()).toEqualTypeOf<Promise<Availability>>();
    expectTypeOf(backend.dispose()).toEqualTypeOf<Promise<void>>();
    const a = null as unknown as Availability;
    // @ts-expect-error `reason` exists only once `available` is known to be false
    void a.reason;
    if (!a.available) expectTypeOf(a.reason).toEqualTypeOf<string>();
    else expectTypeOf(a.detail).toEqualTypeOf<string | undefined>();
  });

  test('a backend implementing another contract version does not type as a Backend', () => {
    type V2 = Omit<Backend, 'contractVersion'> & { readonly contractVersion: 2 };
    expectTypeOf<V2>().not.toExtend<Backend>();
  });

  test('the reference backend is a Backend whose op set cannot be mutated', () => {
    const ref = new ReferenceBackend();
    expectTypeOf(ref).toExtend<Backend>();
    expectTypeOf<ReferenceBackend['name']>().toEqualTypeOf<'reference'>();
    // @ts-expect-error supportedOps is a ReadonlySet
    ref.supportedOps.add('matmul');
    expectTypeOf(resolveBackend('reference')).toEqualTypeOf<Promise<Backend>>();
    expectTypeOf(resolveBackend).toBeCallableWith(['onnxruntime-cpu', 'reference']);
  });
});

describe('Executable.run', () => {
  test('takes host or device tensors by name, returns device tensors by name', () => {
    expectTypeOf(exe.run).parameter(0).toEqualTypeOf<Record<string, HostTensor | DeviceTensor>>();
    expectTypeOf(exe.run).parameter(1).toEqualTypeOf<RunOptions | undefined>();
    expectTypeOf(exe.run({ x: host, w: dev })).toEqualTypeOf<Promise<Record<string, DeviceTensor>>>();
    expectTypeOf<RunOptions['outputs']>().toEqualTypeOf<readonly string[] | undefined>();
    void exe.run({ x: host }, { outputs: ['loss'] });
    // @ts-expect-error inputs are tensors, not raw typed arrays
    void exe.run({ x: new Float64Array(3) });
    // @ts-expect-error outputs are names, not a single string
    void exe.run({ x: host }, { outputs: 'loss' });
    expectTypeOf(exe.warnings).toEqualTypeOf<readonly string[]>();
  });
});
