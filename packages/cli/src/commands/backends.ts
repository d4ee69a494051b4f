import { Command } from 'commander';
import { backendModuleOption, backendTable } from '../backends.js';
import { printJson, table } from '../options.js';

export function backendsCommand(): Command {
  return new Command('backends')
    .description('List every registered backend and whether it can run here (with the reason when not)')
    .option('--backend <name>', 'show only this backend')
    .addOption(backendModuleOption())
    .option('--json', 'print the table as JSON')
    .option('--verbose', 'also show what native libraries print while a backend looks for its device (Dawn/Vulkan, TensorFlow); hidden otherwise')
    .action(async (opts) => {
      const { rows, packageFailures } = await backendTable({ nativeLogs: !!opts.verbose });
      const shown = opts.backend ? rows.filter((r) => r.name === opts.backend) : rows;
      if (opts.backend && shown.length === 0) throw new Error(`no backend named "${opts.backend}" is registered (registered: ${rows.map((r) => r.name).join(', ')})`);
      if (opts.json) return printJson({ backends: shown, packageFailures });
      const lines = [['backend', 'status', 'priority', 'dtypes', 'detail / reason'], ...shown.map((r) => [r.name, r.available ? 'available' : 'unavailable', String(r.priority), r.dtypes.join(','), clip(r.detail || r.description)])];
      process.stdout.write(table(lines) + '\n');
      for (const f of packageFailures) process.stdout.write(`\n${f.pkg} did not load: ${f.error}`);
      if (packageFailures.length) process.stdout.write('\n');
      process.stdout.write('\nNegative priority = opt-in: used only when named with --backend. Reasons are shortened here; --json prints them in full.\n');
    });
}

function clip(s: string, n = 150): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
