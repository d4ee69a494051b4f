import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { int, num } from '../options.js';
import { trainOptionInfo } from './sweep.js';

/** The module forked per run: the local pool's worker, which also exits when this worker dies. */
const RUN_WORKER = fileURLToPath(new URL('../queue-run-worker.js', import.meta.url));

/**
 * Options a queued job may not set, whatever its hash: a job is data, so it can name no code
 * (--backend-module) and no file (--data-path, --data file.csv); built-in and synthetic data sets only.
 */
export function queueConfigCheck(config: Readonly<Record<string, unknown>>): void {
  for (const k of ['backendModule', 'dataPath']) {
    if (config[k] !== undefined && config[k] !== false) throw new Error(`the option ${k} names code or a file, which a queued run may not (set it on the workers, not in the sweep)`);
  }
  const data = config.data;
  if (typeof data === 'string' && (/[/\\]/.test(data) || /^[.~]/.test(data) || /\.(csv|json)$/i.test(data))) {
    throw new Error(`--data ${JSON.stringify(data)} is a file; queued runs take built-in or synthetic data sets only (a file is a path on one machine)`);
  }
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Take runs of `clt sweep --queue` sweeps from a queue and run them, each in its own process (see docs/distributed-sweeps.md)')
    .option('--queue <url>', 'required: redis://[user:password@]host:port[/db][?queue=name], or rediss://… for TLS; without a password in the URL, $CLT_QUEUE_PASSWORD is used')
    .option('--jobs <n>', 'runs at once, each in its own process', int('--jobs'), 1)
    .option('--dir <dir>', 'folder for this worker\'s run folders (runs/<run id>)', 'clt-worker')
    .option('--shared-dir <dir>', 'a folder every worker mounts: run folders go there, so a run handed over after its worker died resumes from its last checkpoint (else it restarts from step 0: same seed, same result)')
    .option('--stall-seconds <s>', 'a worker silent this long loses its runs to the other workers', num('--stall-seconds', (x) => x >= 1, '>= 1'), 30)
    .action(async (opts: { queue?: string; jobs: number; dir: string; sharedDir?: string; stallSeconds: number }) => {
      // Checked here rather than by requiredOption, so a stray argument is reported before a missing URL.
      if (!opts.queue) throw new Error('clt worker: --queue <url> is required: the Redis URL the coordinator (`clt sweep <spec> --queue <url>`) uses');
      // Loaded here: single-machine users never load BullMQ.
      const { openQueue, serveQueue } = await import('@clt/queue');
      const engine = openQueue(opts.queue);
      await engine.check();
      const runsDir = join(resolve(opts.sharedDir ?? opts.dir), 'runs');
      const ac = new AbortController();
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const stop = () => {
        log('clt worker: stopping — running runs checkpoint and go back to the queue');
        ac.abort();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      engine.onConnection(log);
      log(`clt worker ${hostname()}:${process.pid}: taking runs from ${engine.where}, ${opts.jobs} at once; run folders in ${runsDir}`);
      try {
        await serveQueue({
          engine, options: trainOptionInfo(), checkConfig: queueConfigCheck, runWorker: RUN_WORKER, runsDir, shared: opts.sharedDir !== undefined,
          jobs: opts.jobs, stallMs: opts.stallSeconds * 1000, signal: ac.signal, onEvent: log,
        });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        await engine.close();
      }
      log('clt worker: stopped');
    });
}
