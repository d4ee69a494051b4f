/**
 * The messages between the pool and a forked worker: data only (a config and folders), never code.
 * A worker process runs exactly one run: it gets one `run` request, answers with `done` or `error`,
 * and exits. A crash, a kill or an out-of-memory end of the process fails only that run.
 */
export interface WorkerRequest {
  readonly type: 'run';
  readonly id: string;
  /** The resolved config (train options), without output options. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The folder holding the sweep's run folders; the run writes `<runsDir>/<id>`. */
  readonly runsDir: string;
  /** Continue from the run folder's checkpoint. */
  readonly resume: boolean;
  /** Replace a run folder that stopped before its first checkpoint. */
  readonly overwrite: boolean;
}

/**
 * A worker's answer to its one {@link WorkerRequest}: `done` with the run's summary (as JSON data),
 * or `error` with the message of what the run threw.
 */
export type WorkerReply = { readonly type: 'done'; readonly summary: Record<string, unknown> } | { readonly type: 'error'; readonly message: string };

/**
 * Serve one request in a forked worker: `run` does the work; its result or error goes back to the
 * pool, then the process disconnects so it can exit. Call it from the worker module's top level.
 */
export function serveWorker(run: (req: WorkerRequest) => Promise<Record<string, unknown>>): void {
  if (!process.send) throw new Error('serveWorker: this module must be started by the sweep pool (child_process.fork), it has no IPC channel');
  process.once('message', (msg: WorkerRequest) => {
    const reply = (r: WorkerReply) => process.send!(r, () => {
      process.disconnect();
      // A native library's idle threads must not keep a finished run's process (and its pool slot) alive.
      setTimeout(() => process.exit(0), 2000).unref();
    });
    if (!msg || msg.type !== 'run') return reply({ type: 'error', message: `worker: expected a run request, got ${JSON.stringify(msg)?.slice(0, 200)}` });
    run(msg).then(
      (summary) => reply({ type: 'done', summary: JSON.parse(JSON.stringify(summary)) as Record<string, unknown> }),
      (e: unknown) => reply({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  });
}
