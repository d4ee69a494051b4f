import { createProgram } from './program.js';

/** Run the CLI in-process; returns what it printed and the exit code. */
export async function clt(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = await createProgram();
  let stdout = '', stderr = '', code = 0;
  const w1 = process.stdout.write, w2 = process.stderr.write;
  process.stdout.write = ((s: string) => { stdout += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  program.configureOutput({ writeOut: (s) => { stdout += s; }, writeErr: (s) => { stderr += s; } });
  for (const c of program.commands) c.configureOutput({ writeOut: (s) => { stdout += s; }, writeErr: (s) => { stderr += s; } });
  try {
    await program.parseAsync(['node', 'clt', ...args]);
  } catch (e) {
    const err = e as { exitCode?: number; code?: string; message: string };
    code = err.exitCode ?? 1;
    if (!err.code?.startsWith('commander.')) stderr += err.message;
  } finally {
    process.stdout.write = w1; process.stderr.write = w2;
  }
  return { stdout, stderr, code };
}
