import { createRequire } from 'node:module';
const req = createRequire(new URL('../packages/backend-onnxruntime/package.json', import.meta.url));
const ort = req('onnxruntime-node');
const orig = ort.InferenceSession.create.bind(ort.InferenceSession);
const sessions = [];
ort.InferenceSession.create = async (m, o) => { const s = await orig(m, { ...o, enableProfiling: true, profileFilePrefix: '/tmp/ortprof/p' }); sessions.push(s); return s; };
await import('./ntkprof.mjs');
for (const s of sessions) try { s.endProfiling(); } catch (e) { console.log('end', e.message); }
