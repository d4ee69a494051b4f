/**
 * The process the sweep pool forks for each run: it receives a resolved config and the runs folder
 * (data, never code), runs `clt train` on it with the run id as the run name, and sends back the
 * summary or the error. `clt train`'s own checks apply; its Ctrl-C handling (exit 130, checkpoint
 * kept) is what lets an interrupted sweep resume.
 */
import { serveWorker } from '@clt/experiments';
import { runTrain } from './commands/train.js';

serveWorker((req) => runTrain({ ...req.config, name: req.id, out: req.runsDir, json: true, report: false, resume: req.resume, overwrite: req.overwrite }));
