import { describe, expect, it } from 'vitest';
import { BACKEND_PACKAGES, isNotInstalled, packageForBackend } from './backends.js';

describe('optional backend packages', () => {
  it('names the package that registers each built-in backend name', () => {
    expect(packageForBackend('onnxruntime-cpu')).toBe('@clt/backend-onnxruntime');
    expect(packageForBackend('tfjs-wasm')).toBe('@clt/backend-tfjs');
    expect(packageForBackend('tfjs-node')).toBe('@clt/backend-tfjs-node');
    expect(packageForBackend('tfjs-node-gpu')).toBe('@clt/backend-tfjs-node-gpu');
    expect(packageForBackend('contrib-f64')).toBeUndefined();
    for (const n of ['onnxruntime-cpu', 'tfjs-cpu', 'tfjs-node', 'tfjs-node-gpu']) expect(BACKEND_PACKAGES).toContain(packageForBackend(n));
  });

  it('tells an absent package from one whose code fails', async () => {
    const absent = '@clt/backend-that-is-not-installed';
    const err = await import(`${absent}/register`).then(() => undefined, (e: unknown) => e);
    expect(isNotInstalled(err, absent)).toBe(true);
    // A package that is there but throws (or is missing one of ITS dependencies) is not "not installed".
    expect(isNotInstalled(new Error(`Cannot find package '${absent}'`), absent)).toBe(false);
    const innerDep = 'a-dependency-of-some-backend';
    const inner = await import(innerDep).then(() => undefined, (e: unknown) => e);
    expect(isNotInstalled(inner, absent)).toBe(false);
  });
});
