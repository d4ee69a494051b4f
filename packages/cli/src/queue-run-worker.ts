/**
 * The process a queue worker forks for each run: the local pool's worker (sweep-worker.ts, the
 * same run function, so a run gives the same result from either), plus one rule: when the queue
 * worker that forked it dies (its IPC channel closes), it exits too. Otherwise a killed worker would
 * leave its runs training on, while the queue hands them to another worker.
 */
import './sweep-worker.js';

// After a normal reply, serveWorker disconnects itself; exiting then is what it would do anyway.
process.once('disconnect', () => process.exit(0));
