import { describe, expect, it } from 'vitest';
import { grad, trace, spec, interpret, oneHot, Mlp, initParams, Rng, sgdStepGraph, softmaxCrossEntropy, stepNames } from '../index.js';

describe('sgdStepGraph', () => {
  const model = new Mlp({ sizes: [5, 4, 3], activation: 'tanh' });
  const rng = new Rng(7);
  const params = initParams(model, rng);
  const n = 6;
  const x = rng.normals(n * 5), y = [0, 1, 2, 2, 1, 0];

  // Independent oracle: the gradient of the mean loss from the graph-level `grad` transform.
  const lossGraph = trace(
    { ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, 5], 'f64'), y: spec([n], 'i32') },
    (xs) => ({ loss: softmaxCrossEntropy(model.apply(xs, xs.x!), oneHot(xs.y!, 3, 'f64')).mean() }),
  );
  const g = interpret(grad(lossGraph, { wrt: model.params.map((p) => p.name) }), { ...params, x, y });

  it('applies w - lr (grad + wd w) with momentum v = mu v + (grad + wd w)', () => {
    const mu = 0.9, wd = 0.01, lr = 0.1;
    const step = sgdStepGraph(model, { batch: n, momentum: mu, weightDecay: wd, dtype: 'f64', monitors: true });
    const v0 = Object.fromEntries(model.params.map((p) => [stepNames.velocity(p.name), rng.normals(params[p.name]!.length)]));
    const r = interpret(step, { ...params, ...v0, x, y, lr: [lr] });
    expect(r.loss![0]).toBeCloseTo(g.loss![0]!, 12);
    for (const p of model.params) {
      const w = params[p.name]!, gw = g[`grad_${p.name}`]!, v = v0[stepNames.velocity(p.name)]!;
      for (let i = 0; i < w.length; i++) {
        const nv = mu * v[i]! + gw[i]! + wd * w[i]!;
        expect(r[stepNames.newVelocity(p.name)]![i]).toBeCloseTo(nv, 12);
        expect(r[stepNames.newParam(p.name)]![i]).toBeCloseTo(w[i]! - lr * nv, 12);
      }
    }
    const sq = model.params.reduce((s, p) => s + Array.from(g[`grad_${p.name}`]!).reduce((a, v) => a + v * v, 0), 0);
    expect(r.gradSqNorm![0]).toBeCloseTo(sq, 12);
    // Residual of the softmax FY loss: softmax(logits) − onehot(y), computed independently.
    const fwd = interpret(trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, 5], 'f64') }, (xs) => ({ z: model.apply(xs, xs.x!) })), { ...params, x }).z!;
    let rr = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(fwd.slice(i * 3, i * 3 + 3)), m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
      e.forEach((v, j) => { rr += (v / s - (j === y[i] ? 1 : 0)) ** 2; });
    }
    expect(r.residualSq![0]).toBeCloseTo(rr, 12);
  });

  it('counts argmax hits', () => {
    const step = sgdStepGraph(model, { batch: n, dtype: 'f64' });
    const r = interpret(step, { ...params, x, y, lr: [0] });
    const fwd = interpret(trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, 5], 'f64') }, (xs) => ({ z: model.apply(xs, xs.x!) })), { ...params, x }).z!;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(fwd.slice(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === y[i]) hits++;
    }
    expect(r.correct![0]).toBe(hits);
  });

  it('rejects bad options', () => {
    expect(() => sgdStepGraph(model, { batch: 4, momentum: 1 })).toThrow(/momentum/);
    expect(() => sgdStepGraph(model, { batch: 0 })).toThrow(/batch/);
  });
});
