// A stand-in for the CLI's sweep worker in pool tests: behaves as config.mode says, and logs each
// request to <runsDir>/../calls.log so tests can count how often and how each run was started.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

process.once('message', (req) => {
  const dir = join(req.runsDir, req.id), { mode, ms = 0 } = req.config;
  appendFileSync(join(req.runsDir, '..', 'calls.log'), `${req.id} ${mode} resume=${req.resume} overwrite=${req.overwrite}\n`);
  mkdirSync(dir, { recursive: true });
  const reply = (r) => process.send(r, () => process.disconnect());
  if (mode === 'crash') { process.stderr.write('fake worker: out of cheese\n'); process.exit(3); }
  if (mode === 'throw') return reply({ type: 'error', message: 'fake worker: --lr is not a number' });
  // Fails on its first attempt only (a marker beside the runs folder remembers it).
  const mark = join(req.runsDir, '..', `once-${req.id}`);
  if (mode === 'once' && !existsSync(mark)) { writeFileSync(mark, ''); return reply({ type: 'error', message: 'fake worker: first attempt fails' }); }
  writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"start","step":0}\n');
  if (mode === 'slow' && !req.resume) {
    writeFileSync(join(dir, 'checkpoint'), 'step 1');
    // Like `clt train`: Ctrl-C leaves the checkpoint and exits 130.
    process.once('SIGINT', () => process.exit(130));
    setTimeout(() => {}, 60_000);
    return;
  }
  setTimeout(() => {
    const summary = { status: 'completed', trainLoss: 0.5, steps: 3, sandwich: { held: 1, probes: 1 } };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    reply({ type: 'done', summary });
  }, ms);
});
