import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { backendModuleOption, requestBackendModules, useBackendModules } from './backends.js';
import { backendsCommand } from './commands/backends.js';
import { boundsCommand } from './commands/bounds.js';
import { probeCommand } from './commands/probe.js';
import { reportCommand } from './commands/report.js';
import { reproduceCommand } from './commands/reproduce.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { workerCommand } from './commands/worker.js';

/** The `clt` command line. `convex` comes from commands/convex.ts when that module is present. */
export async function createProgram(): Promise<Command> {
  const program = new Command('clt')
    .description('Conjugate learning theory in practice: train networks while measuring the structure matrix, gradient energy, sandwich bounds and the data floor')
    .version(cliVersion(), '-V, --version', 'print the version of @clt/cli')
    .showHelpAfterError('(add --help for usage)')
    .addOption(backendModuleOption())
    // `clt --backend-module M train` is the program's option; `clt train --backend-module M` the
    // command's (without this, the program would take both and the command would see neither).
    .enablePositionalOptions();
  // The option may come before the command (`clt --backend-module x train`) or on it. The modules
  // load when the action first resolves a backend (so a stubbed action imports nothing), except
  // for sweep: its runs train in worker processes, which inherit CLT_BACKEND_MODULES from here.
  program.hook('preAction', async (root, action) => {
    const specs = [...((root.opts().backendModule as string[] | undefined) ?? []), ...(action === root ? [] : (action.opts().backendModule as string[] | undefined) ?? [])];
    requestBackendModules(specs);
    if (action.name() === 'sweep' && specs.length > 0) await useBackendModules(specs);
  });
  program.addCommand(trainCommand());
  program.addCommand(probeCommand());
  program.addCommand(boundsCommand());
  program.addCommand(backendsCommand());
  program.addCommand(reportCommand());
  program.addCommand(sweepCommand());
  program.addCommand(reproduceCommand());
  program.addCommand(workerCommand());
  const convex = new URL('./commands/convex.js', import.meta.url);
  if (existsSync(fileURLToPath(convex)) || existsSync(fileURLToPath(convex).replace(/\.js$/, '.ts'))) {
    try {
      const mod = (await import(convex.href.endsWith('.js') && !existsSync(fileURLToPath(convex)) ? convex.href.replace(/\.js$/, '.ts') : convex.href)) as { convexCommand?: () => Command };
      if (mod.convexCommand) program.addCommand(mod.convexCommand());
    } catch (e) {
      process.stderr.write(`clt: the convex command failed to load: ${(e as Error).message}\n`);
    }
  }
  prefixErrors(program);
  return program;
}

/** The version in @clt/cli's package.json (read at run time, so a release never prints a stale literal). */
export function cliVersion(): string {
  // dist/program.js and src/program.ts both sit one folder below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/**
 * Commander's own messages (unknown option, missing argument, invalid choice) start with
 * `error:`; every other clt error starts with `clt:`. Rewrite the prefix on the command and every
 * subcommand (addCommand does not inherit output settings), so all errors read the same.
 */
function prefixErrors(cmd: Command): void {
  cmd.configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'clt: ')) });
  for (const sub of cmd.commands) prefixErrors(sub);
}

/** Run the CLI; errors print one clear message (no stack) and exit 1. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = await createProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.stderr.write(`clt: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
