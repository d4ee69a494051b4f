import { STRUCTURE_ALGORITHMS } from '@clt/core';
import { parseBlocks } from '../model-from-run.js';
import { widths } from '../options.js';

/**
 * The documented constraints of every `clt` option (from the help texts and docs/, written out
 * here rather than read from the parsers, so the fuzz checks the parsers against the docs).
 *
 * - `number`: parsed at the command line; a decimal literal satisfying `ok` must arrive as that
 *   number, anything else must be refused with an error naming the option.
 * - `choice`: one of `values`, else refused.
 * - `flag`: a boolean switch (`--no-x`: false when given).
 * - `string`: passed through to the action, which validates it there. `valid` says which values
 *   are documented as fine (they must arrive unchanged); others may also be refused at parse time.
 *   `actionCheck` is the validator the action runs on the value: it must accept the documented
 *   values and refuse the others with an error naming the option.
 */
export type Rule =
  | { kind: 'number'; ok: (x: number) => boolean; integer: boolean; what: string }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'flag' }
  | { kind: 'string'; valid?: (s: string) => boolean; actionCheck?: (s: string) => unknown; repeatable?: true };

const real = (ok: (x: number) => boolean, what: string): Rule => ({ kind: 'number', ok, integer: false, what });
const integer = (min: number): Rule => ({ kind: 'number', ok: (x) => Number.isInteger(x) && x >= min, integer: true, what: `integer >= ${min}` });
const positive = real((x) => x > 0, '> 0');
const unit = real((x) => x > 0 && x < 1, 'in (0, 1)');
const halfOpen = real((x) => x >= 0 && x < 1, 'in [0, 1)');
const FLAG: Rule = { kind: 'flag' };
const STRING: Rule = { kind: 'string' };

/** A run name is one safe path segment (issue 17 defect 1): no separators, not . or .., no leading -. */
export const isSafeName = (s: string): boolean => s !== '' && s !== '.' && s !== '..' && !/[/\\\0]/.test(s) && !s.startsWith('-') && s.trim() === s;
/** "256,256": comma-separated positive integers (decimal, no sign or exponent). */
const isWidths = (s: string): boolean => /^\s*[1-9]\d{0,5}\s*(,\s*[1-9]\d{0,5}\s*)*$/.test(s);
const HIDDEN: Rule = { kind: 'string', valid: isWidths, actionCheck: widths };
const BACKEND = STRING;
/** --backend-module: a package or a path, checked (and imported) only by the action; repeatable. */
const BACKEND_MODULE: Rule = { kind: 'string', repeatable: true };

/** "3" or "2,2,2,2": block counts (decimal, not all zero). */
const isBlocks = (s: string): boolean => /^\s*\d{1,4}\s*(,\s*\d{1,4}\s*)*$/.test(s) && /[1-9]/.test(s);
const BLOCKS: Rule = { kind: 'string', valid: isBlocks, actionCheck: parseBlocks };
/** The model and data options `clt train` and `clt probe` share (docs/models.md). */
const MODEL_AND_DATA: Record<string, Rule> = {
  '--model': { kind: 'choice', values: ['mlp', 'lenet', 'resnet18', 'vit'] }, '--width': integer(1), '--blocks': BLOCKS,
  '--residual': { kind: 'choice', values: ['on', 'off'] }, '--patch': integer(1), '--heads': integer(1), '--vit-depth': integer(1), '--mlp-ratio': integer(1),
  '--data-path': STRING, '--mini': integer(1), '--normalize': { kind: 'choice', values: ['standard', 'none'] },
};

export const RULES: Record<string, Record<string, Rule>> = {
  train: {
    '--data': STRING, '--hidden': HIDDEN, '--activation': { kind: 'choice', values: ['relu', 'tanh', 'gelu'] },
    '--skip': FLAG, '--layer-norm': FLAG, '--sparsity': halfOpen, '--epochs': integer(1), '--steps': integer(1), '--batch': integer(1),
    '--lr': positive, '--schedule': STRING, '--momentum': halfOpen, '--weight-decay': real((x) => x >= 0, '>= 0'), '--seed': integer(0),
    '--test-fraction': unit, '--standardize': FLAG, '--limit': integer(1), '--dtype': { kind: 'choice', values: ['f32', 'f64'] },
    '--probe-every': integer(1), '--probe-size': integer(1), '--budget': real((x) => x > 0 && x <= 1, 'in (0, 1]'), '--checkpoint-every': integer(1),
    '--fuse-steps': { kind: 'number', ok: (x) => Number.isInteger(x) && x >= 1 && x <= 64, integer: true, what: 'a whole number from 1 to 64' },
    '--no-probes': FLAG, '--stall-probes': integer(0), '--stall-fraction': halfOpen, '--backend': BACKEND, '--backend-module': BACKEND_MODULE, '--name': { kind: 'string', valid: isSafeName }, '--out': STRING, '--resume': FLAG,
    '--overwrite': FLAG, '--no-report': FLAG, '--json': FLAG, ...MODEL_AND_DATA,
  },
  probe: {
    '--run': STRING, '--data': STRING, '--hidden': HIDDEN, '--activation': { kind: 'choice', values: ['relu', 'tanh', 'gelu'] },
    '--skip': FLAG, '--layer-norm': FLAG, '--sparsity': halfOpen, '--samples': integer(1), '--algorithm': { kind: 'choice', values: STRUCTURE_ALGORITHMS },
    '--ntk': FLAG, '--seed': integer(0), '--backend': BACKEND, '--backend-module': BACKEND_MODULE, '--json': FLAG, ...MODEL_AND_DATA,
  },
  bounds: {
    '--data': STRING, '--run': STRING, '--seed': integer(0), '--test-fraction': unit, '--delta': unit, '--backend': BACKEND, '--backend-module': BACKEND_MODULE, '--json': FLAG,
  },
  backends: { '--backend': BACKEND, '--backend-module': BACKEND_MODULE, '--json': FLAG, '--verbose': FLAG },
  report: { '--no-png': FLAG, '--backend': BACKEND, '--json': FLAG },
  // --grid may be given several times (one axis each): the action gets every value, in order.
  sweep: { '--grid': { kind: 'string', repeatable: true }, '--seeds': integer(1), '--jobs': integer(1), '--out': STRING, '--json': FLAG, '--no-report': FLAG,
    '--queue': STRING, '--attempts': integer(1) },
  reproduce: { '--list': FLAG, '--quick': FLAG, '--jobs': integer(1), '--out': STRING, '--json': FLAG },
  // --queue is required: the URL is checked by the action (docs/distributed-sweeps.md).
  worker: { '--queue': STRING, '--jobs': integer(1), '--dir': STRING, '--shared-dir': STRING, '--stall-seconds': real((x) => x >= 1, '>= 1') },
  convex: {
    '--data': STRING, '--classes': STRING, '--limit': integer(1), '--pca': integer(0), '--beta': positive, '--loss': STRING,
    '--time-limit': positive, '--gap-tol': unit, '--gates': integer(1), '--max-patterns': integer(1), '--sgd-runs': integer(0), '--steps': integer(1), '--seed': integer(0),
    '--spline': STRING, '--x': STRING, '--y': STRING, '--json': FLAG,
  },
};

/** A plain decimal literal: what the docs mean by "a number" (no hex, no padding, no `_`). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export type Verdict = 'valid' | 'invalid' | 'either';

/** Whether the docs allow `value` for an option with this rule, and what it must parse to. */
export function judge(rule: Rule, value: string): { verdict: Verdict; parsed?: unknown } {
  switch (rule.kind) {
    case 'number': {
      const x = Number(value);
      if (value.trim() === '' || !Number.isFinite(x) || !rule.ok(x)) return { verdict: 'invalid' };
      // "0x10", " 7 ": Number() reads them; refusing is fine, reading them right is fine too.
      return { verdict: DECIMAL.test(value) ? 'valid' : 'either', parsed: x };
    }
    case 'choice':
      return rule.values.includes(value) ? { verdict: 'valid', parsed: value } : { verdict: 'invalid' };
    case 'string':
      return { verdict: !rule.valid || rule.valid(value) ? 'valid' : 'either', parsed: value };
    case 'flag':
      return { verdict: 'invalid' };
  }
}
