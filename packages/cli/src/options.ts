import { InvalidArgumentError, Option } from 'commander';

/** Commander parsers that reject bad values with a message naming the option. */
export const num = (name: string, check: (v: number) => boolean = Number.isFinite, what = 'a number') => (v: string): number => {
  // Number('') and Number(' ') are 0: a blank value (`--seed ''`, `--pca=`) must not read as zero.
  const x = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new InvalidArgumentError(`${name} must be ${what}, got "${v}"`);
  return x;
};
export const int = (name: string, min = 1) => num(name, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`);
export const fraction = (name: string) => num(name, (x) => x > 0 && x < 1, 'in (0, 1)');

/** "256,256" → [256, 256]. */
export function widths(v: string): number[] {
  const out = v.split(',').filter((s) => s.trim() !== '').map(Number);
  if (out.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`--hidden must be comma-separated positive integers like 256,256, got "${v}"`);
  return out;
}

/** Print JSON (numbers that JSON cannot hold become strings, never null). */
export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2) + '\n');
}

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits - 1) : Number(v.toPrecision(digits)).toString();
}

export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(w[j]!)).join('  ').trimEnd()).join('\n');
}

/**
 * Data options shared by `clt train` and `clt probe` beyond --data. None has a commander default
 * (the data layer applies them), so sweep run ids of existing configs stay what they were.
 */
export function dataOptions(): Option[] {
  return [
    new Option('--data-path <dir>', 'folder holding data files no package ships: cifar10/cifar100 in the binary version (see docs/models.md)'),
    new Option('--mini <k>', 'train on a random k-item subset (seeded by --seed) of the training rows, e.g. 16 for the paper\'s mini sets; the test rows stay').argParser(int('--mini')),
    new Option('--normalize <how>', 'standard: the data set\'s published per-channel mean/std (mnist, fashion-mnist, cifar10, cifar100); none: pixels in [0, 1]. Default: standard for cifar, none otherwise').choices(['standard', 'none']),
  ];
}
