import type { OptionInfo } from './sweep-spec.js';

/** A few `clt train`-like options for tests (the CLI supplies the real list). */
const number = (flag: string, check: (x: number) => boolean = Number.isFinite) => (t: string): number => {
  const x = t.trim() === '' ? NaN : Number(t);
  if (!Number.isFinite(x) || !check(x)) throw new Error(`${flag} must be a valid number, got "${t}"`);
  return x;
};
export const TEST_OPTIONS: OptionInfo[] = [
  { key: 'data', flag: '--data', boolean: false, defaultValue: 'mnist' },
  { key: 'hidden', flag: '--hidden', boolean: false, defaultValue: '256,256' },
  { key: 'skip', flag: '--skip', boolean: true },
  { key: 'epochs', flag: '--epochs', boolean: false, parse: number('--epochs', Number.isInteger), defaultValue: 20 },
  { key: 'steps', flag: '--steps', boolean: false, parse: number('--steps', Number.isInteger) },
  { key: 'batch', flag: '--batch', boolean: false, parse: number('--batch', (x) => Number.isInteger(x) && x >= 1), defaultValue: 64 },
  { key: 'lr', flag: '--lr', boolean: false, parse: number('--lr', (x) => x > 0), defaultValue: 0.05 },
  { key: 'weightDecay', flag: '--weight-decay', boolean: false, parse: number('--weight-decay'), defaultValue: 5e-4 },
  { key: 'seed', flag: '--seed', boolean: false, parse: number('--seed', Number.isInteger), defaultValue: 0 },
  { key: 'probes', flag: '--no-probes', boolean: true, defaultValue: true },
  { key: 'name', flag: '--name', boolean: false },
  { key: 'out', flag: '--out', boolean: false, defaultValue: 'runs' },
  { key: 'json', flag: '--json', boolean: true },
];
