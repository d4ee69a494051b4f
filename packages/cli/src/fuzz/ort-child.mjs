// Child process of the ONNX Runtime fuzz (ort-native.fuzz.test.ts). Native kernels can kill the
// process (SIGFPE) or spin, which no in-process test survives, so cases run here, one after the
// other: `start <i>` is written (synchronously) before case i runs and `done <i> <json>` after, so
// the parent pins a death or a hang to the case that caused it and restarts from the next one.
//
// Usage: node ort-child.mjs <cases.json> <first index>
// Imports the built packages (dist/): run `pnpm build` first, as CI does.
import { readFileSync, writeSync } from 'node:fs';
import { gradT, interpret, spec, trace, entmaxLoss, entmax15Loss, softmaxLoss, sparsemaxLoss } from '@clt/core';
import { OnnxRuntimeBackend } from '@clt/backend-onnxruntime';

const [file, first = '0'] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(file, 'utf8'));
const say = (line) => writeSync(1, `${line}\n`);
const LOSSES = { softmax: softmaxLoss, sparsemax: sparsemaxLoss, 'entmax-1.5': entmax15Loss, 'entmax-1.25': entmaxLoss(1.25), 'entmax-3': entmaxLoss(3) };

// One intra-op thread: two children may run side by side on a 2-core runner.
const backend = new OnnxRuntimeBackend({ intraOpNumThreads: 1 });

/** Replay a graph recipe (see ort-cases.ts) inside a trace: slots are inputs, then one per step. */
function graphOf(c) {
  const specs = Object.fromEntries(c.inputs.map((i) => [i.name, spec(i.shape, i.dtype)]));
  return trace(specs, (xs, b) => {
    const slots = c.inputs.map((i) => xs[i.name]);
    for (const s of c.steps) {
      if (s.op === 'const') slots.push(b.constant(s.value, [], 'f32'));
      else slots.push(b.emit(s.op, s.args.map((k) => slots[k]), s.attrs));
    }
    return Object.fromEntries(c.outputs.map((k, j) => [`out${j}`, slots[k]]));
  });
}

/** A Fenchel–Young loss call on a batch: predict, per-sample loss, or the autodiff gradient of Σ loss. */
function lossGraph(c) {
  const loss = LOSSES[c.loss];
  const ySpec = c.labels ? spec([c.n], 'i32') : spec([c.n, c.d], 'f32');
  return trace({ eta: spec([c.n, c.d], 'f32'), y: ySpec }, ({ eta, y }) => {
    if (c.fn === 'predict') return { out0: loss.ir.predict(eta) };
    if (c.fn === 'loss') return { out0: loss.ir.loss(eta, y) };
    if (c.fn === 'residual') return { out0: loss.ir.residual(eta, y) };
    const l = loss.ir.loss(eta, y);
    return { out0: gradT(l.sum(), [eta])[0], out1: l };
  });
}

function inputsOf(c) {
  if (c.kind === 'graph') return c.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype, values: i.values }));
  return [{ name: 'eta', shape: [c.n, c.d], dtype: 'f32', values: c.eta },
    c.labels ? { name: 'y', shape: [c.n], dtype: 'i32', values: c.labels } : { name: 'y', shape: [c.n, c.d], dtype: 'f32', values: c.y }];
}

const typed = (dtype, v) => (dtype === 'f32' ? Float32Array.from(v) : dtype === 'f64' ? Float64Array.from(v) : dtype === 'i32' ? Int32Array.from(v) : Uint8Array.from(v));
const err = (phase, e) => ({ status: 'threw', phase, name: e?.name ?? typeof e, message: e instanceof Error ? e.message : String(e) });

/** |got − want| ≤ atol + rtol·|want| elementwise; NaN meets NaN, ±∞ the same infinity. */
function compare(name, got, want, shape, gotShape, tol) {
  if (gotShape.join(',') !== shape.join(',')) return `${name}: shape [${gotShape}] instead of [${shape}]`;
  if (got.length !== want.length) return `${name}: ${got.length} values instead of ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = Number(want[i]);
    const ok = Number.isNaN(w) || Number.isNaN(g) ? Number.isNaN(w) && Number.isNaN(g)
      : !Number.isFinite(w) || !Number.isFinite(g) ? g === w
        : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w);
    if (!ok) return `${name}[${i}]: got ${g}, reference ${w} (tolerance ${tol.atol} + ${tol.rtol}·|ref|)`;
  }
  return undefined;
}

async function runOne(c) {
  let graph;
  try { graph = c.kind === 'graph' ? graphOf(c) : lossGraph(c); } catch (e) { return err('trace', e); }
  const ins = inputsOf(c);
  let want;
  try { want = interpret(graph, Object.fromEntries(ins.map((i) => [i.name, i.values]))); } catch (e) { return err('reference', e); }
  let outs;
  const got = {};
  try {
    const exe = await backend.compile(graph);
    outs = await exe.run(Object.fromEntries(ins.map((i) => [i.name, { data: typed(i.dtype, i.values), shape: i.shape, dtype: i.dtype }])));
    for (const o of graph.outputs) got[o.name] = { data: await outs[o.name].download(), shape: outs[o.name].shape };
    exe.dispose?.();
  } catch (e) { return err('onnxruntime', e); }
  for (const o of graph.outputs) {
    const node = graph.nodes[o.id];
    const problem = compare(o.name, got[o.name].data, want[o.name], node.shape, got[o.name].shape, c.tol);
    if (problem) return { status: 'mismatch', detail: problem };
  }
  return { status: 'ok' };
}

for (let i = Number(first); i < cases.length; i++) {
  say(`start ${i}`);
  const r = await runOne(cases[i]);
  say(`done ${i} ${JSON.stringify(r)}`);
}
say('end');
// ORT's thread pools can keep the event loop alive; the parent reads "end" as success.
process.exit(0);
