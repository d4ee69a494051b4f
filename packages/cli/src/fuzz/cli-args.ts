import fc from 'fast-check';
import { CommanderError, type Command, type Option } from 'commander';
import { classifyThrow, firstNonFinite, type Outcome, type Tally } from '@clt/core/testing';
import { createProgram } from '../program.js';
import { judge, RULES, type Rule, type Verdict } from './cli-rules.js';

/** What a stubbed action saw: the parsed options and positional arguments. */
interface Parsed { command: string; opts: Record<string, unknown>; args: unknown[] }

/**
 * The real `clt` program with every action replaced by a recorder, errors thrown instead of
 * exiting (`exitOverride`) and all output silenced, so thousands of argument vectors parse in
 * process without touching files, data sets or backends.
 */
export async function stubbedProgram(): Promise<{ program: Command; take: () => Parsed | undefined }> {
  const program = await createProgram();
  let last: Parsed | undefined;
  const silent = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };
  program.exitOverride().configureOutput(silent);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput(silent);
    cmd.action((...a: unknown[]) => {
      // commander calls action(...positionals, opts, command)
      last = { command: cmd.name(), opts: { ...cmd.opts() }, args: a.slice(0, -2) };
    });
  }
  return { program, take: () => { const p = last; last = undefined; return p; } };
}

/** Every value-taking or boolean option of a command, with its documented rule (undefined = none). */
export function optionsOf(cmd: Command): { opt: Option; long: string; rule: Rule | undefined }[] {
  return cmd.options.filter((o) => o.long && o.long !== '--help').map((o) => ({ opt: o, long: o.long!, rule: RULES[cmd.name()]?.[o.long!] }));
}

/** Hostile strings every option meets: traversal, absolute paths, option look-alikes, unicode, control bytes. */
const HOSTILE = ['', ' ', '.', '..', '../..', '/', '/abs', '/etc/passwd', 'C:\\Windows', 'a/b', 'a\\b', '~', '-rf', '-', '--lr', '--name=x',
  'ü', '名前', '😀', 'e\u0301', '\u202e', 'a\0b', 'a\nb', "a'b", '$(rm -rf ~)', '*', 'x'.repeat(300), 'NaN', 'null', 'undefined', '{}'];
const NUMBERY = ['0', '-0', '1', '-1', '2', '0.5', '1.5', '1e3', '1e-3', '1e309', '-1e309', '1e-400', '9007199254740993', '1e21', 'NaN', 'Infinity',
  '-Infinity', '0x10', '0b11', '0o7', ' 7 ', '\t3', '1_000', '1,5', '１', '٣', '+5', '.5', '5.', '1e', 'e3', '--1', '0.99999999999999999', '1 2'];
/** Tokens that name no option of any command (commander must refuse them by name). */
const UNKNOWN = ['--bogus', '-rf', '-x', '--LR', '--lr-', '---lr', '--no-json', '--jsonx', '-.', '--é', '--😀', '--=1', '-1', '-0.5', '--bogus=1'];

const valueArb = (rule: Rule | undefined): fc.Arbitrary<string> => {
  const hostile = fc.constantFrom(...HOSTILE);
  const any = fc.oneof(hostile, fc.constantFrom(...NUMBERY), fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 6 }));
  if (rule?.kind === 'number') {
    const valid = rule.integer ? fc.integer({ min: 0, max: 1e6 }).map(String) : fc.double({ min: -10, max: 10, noNaN: true }).map(String);
    return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 3, arbitrary: fc.constantFrom(...NUMBERY) }, { weight: 1, arbitrary: fc.double().map(String) }, { weight: 2, arbitrary: any });
  }
  if (rule?.kind === 'choice') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...rule.values) }, { weight: 1, arbitrary: fc.constantFrom(...rule.values.map((v) => v.toUpperCase()), ...rule.values.map((v) => ` ${v}`)) }, { weight: 2, arbitrary: any });
  return fc.oneof({ weight: 1, arbitrary: fc.constantFrom('mnist', 'runs', 'a.csv', '256,256', '8', '3,8', 'cosine:warmup=10', 'squared', 'softmax', '0,1,2') }, { weight: 2, arbitrary: any });
};

/** One step of an argument vector. */
type Item =
  | { type: 'value'; long: string; value: string; form: 'space' | 'eq' }
  | { type: 'flag'; long: string; withValue?: string }
  | { type: 'unknown'; token: string }
  | { type: 'extra'; token: string }
  | { type: 'missing'; long: string };

/** Values the docs allow, so that half the vectors exercise the parse-and-check path. */
const validValueArb = (rule: Rule): fc.Arbitrary<string> => {
  if (rule.kind === 'number') {
    const x = rule.integer ? fc.integer({ min: 0, max: 1e6 }) : fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e3, noNaN: true }));
    return x.filter((v) => rule.ok(v)).map(String);
  }
  if (rule.kind === 'choice') return fc.constantFrom(...rule.values);
  return fc.oneof(fc.constantFrom('mnist', 'runs', 'a.csv', '256,256', '8', '3,8', 'run-1', 'x_y.z'), fc.stringMatching(/^[a-z][a-z0-9_.]{0,10}$/));
};

/** Random argument vectors for one command: options with valid and hostile values, unknown flags, stray arguments. */
function vectorArb(cmd: Command): fc.Arbitrary<{ items: Item[]; positional: string | undefined }> {
  return fc.oneof(validVectorArb(cmd), mixedVectorArb(cmd));
}

/** Only documented options and values: these must all parse. */
function validVectorArb(cmd: Command): fc.Arbitrary<{ items: Item[]; positional: string | undefined }> {
  const opts = optionsOf(cmd).filter((o) => o.rule);
  // One arbitrary per option, built up front (building them inside chain() per sample is slow).
  const item = fc.oneof(...opts.map(({ long, rule, opt }): fc.Arbitrary<Item> => opt.required || opt.optional
    ? fc.record({ value: validValueArb(rule!), form: fc.constantFrom<'space' | 'eq'>('space', 'eq') }).map(({ value, form }) => ({ type: 'value', long, value, form }))
    : fc.constant({ type: 'flag', long })));
  return fc.array(item, { maxLength: 8 }).map((items) => ({ items, positional: cmd.registeredArguments.length > 0 ? 'runs/mnist' : undefined }));
}

function mixedVectorArb(cmd: Command): fc.Arbitrary<{ items: Item[]; positional: string | undefined }> {
  const opts = optionsOf(cmd).filter((o) => o.rule);
  const item: fc.Arbitrary<Item> = fc.oneof(
    { weight: 12, arbitrary: fc.oneof(...opts.map(({ long, rule, opt }) => opt.required || opt.optional
      ? fc.record({ value: valueArb(rule), form: fc.constantFrom<'space' | 'eq'>('space', 'space', 'eq') }).map(({ value, form }): Item => ({ type: 'value', long, value, form }))
      : fc.option(fc.constantFrom('1', 'x', ''), { freq: 8 }).map((v): Item => (v === null ? { type: 'flag', long } : { type: 'flag', long, withValue: v })))) },
    { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN).map((token): Item => ({ type: 'unknown', token })) },
    { weight: 1, arbitrary: fc.constantFrom('extra', 'runs/x', '..', 'ü').map((token): Item => ({ type: 'extra', token })) },
  );
  const needsDir = cmd.registeredArguments.length > 0;
  return fc.record({
    items: fc.array(item, { maxLength: 6 }),
    missing: fc.option(fc.constantFrom(...opts.filter((o) => o.opt.required).map((o) => o.long)), { freq: 12 }),
    positional: needsDir ? fc.option(fc.constantFrom('runs/mnist', '..', '/abs', 'ü', 'a b', ''), { freq: 10 }) : fc.constant(null),
  }).map(({ items, missing, positional }) => ({
    items: missing === null ? items : [...items, { type: 'missing', long: missing } as Item],
    positional: positional ?? undefined,
  }));
}

function tokens(items: readonly Item[], positional: string | undefined): string[] {
  const out: string[] = positional === undefined ? [] : [positional];
  for (const it of items) {
    if (it.type === 'value') out.push(...(it.form === 'eq' ? [`${it.long}=${it.value}`] : [it.long, it.value]));
    else if (it.type === 'flag') out.push(it.withValue === undefined ? it.long : `${it.long}=${it.withValue}`);
    else if (it.type === 'unknown' || it.type === 'extra') out.push(it.token);
    else out.push(it.long);
  }
  return out;
}

/**
 * The oracle: what commander must do with a vector, derived from the documented rules. Returns
 * the options that must be set and the names an error must mention (empty when parsing must succeed).
 */
function expectation(cmd: Command, items: readonly Item[], positional: string | undefined) {
  const byLong = new Map(optionsOf(cmd).map((o) => [o.long, o]));
  const must = new Map<string, { verdict: Verdict; parsed?: unknown; rule: Rule }>();
  const invalid: string[] = [], either: string[] = [];
  // Commander fills declared arguments with the operands in order; more operands than declared is an error.
  const operands = [...(positional === undefined ? [] : [positional]), ...items.flatMap((it) => (it.type === 'extra' ? [it.token] : []))];
  const declared = cmd.registeredArguments.length;
  // Only required arguments (`<x>`) must be given; an optional one (`[x]`, e.g. reproduce's recipe) may be left out.
  if (operands.length < cmd.registeredArguments.filter((a) => a.required).length) invalid.push(cmd.registeredArguments[operands.length]!.name());
  if (operands.length > declared) invalid.push('argument');
  for (const it of items) {
    if (it.type === 'unknown') invalid.push(it.token.split('=')[0]!, 'argument');
    else if (it.type === 'extra') continue;
    else if (it.type === 'missing') invalid.push(it.long);
    else if (it.type === 'flag') {
      if (it.withValue !== undefined) invalid.push(it.long);
      else must.set(it.long, { verdict: 'valid', parsed: !byLong.get(it.long)!.opt.negate, rule: byLong.get(it.long)!.rule! });
    } else {
      const rule = byLong.get(it.long)!.rule!;
      const j = judge(rule, it.value);
      if (j.verdict === 'invalid') invalid.push(it.long);
      if (j.verdict === 'either') either.push(it.long);
      must.set(it.long, { ...j, rule });
    }
  }
  return { must, invalid, either, operands };
}

const attr = (cmd: Command, long: string) => optionsOf(cmd).find((o) => o.long === long)!.opt.attributeName();

/** Judge a successful parse: every option the vector set arrived as documented, every number meets its rule. */
function checkParsed(cmd: Command, p: Parsed | undefined, exp: ReturnType<typeof expectation>): string | undefined {
  if (!p || p.command !== cmd.name()) return `parsed without running the ${cmd.name()} action`;
  if (exp.invalid.length) return `accepted invalid input (${[...new Set(exp.invalid)].join(', ')}); options ${JSON.stringify(p.opts)}`;
  const nan = firstNonFinite(p.opts);
  if (nan) return `parsed options hold ${nan}`;
  for (const [long, m] of exp.must) {
    const raw = p.opts[attr(cmd, long)];
    // A repeatable option collects its values; the last one given is this item's.
    const got = m.rule.kind === 'string' && m.rule.repeatable && Array.isArray(raw) ? raw.at(-1) : raw;
    if (m.rule.kind === 'number' && !(typeof got === 'number' && Number.isFinite(got) && m.rule.ok(got))) return `${long} = ${String(got)} breaks its rule (${m.rule.what})`;
    if (!Object.is(got, m.parsed)) return `${long} arrived as ${JSON.stringify(got)}, expected ${JSON.stringify(m.parsed)}`;
    if (m.rule.kind === 'string' && m.rule.actionCheck && m.verdict === 'valid') {
      try { m.rule.actionCheck(got as string); } catch (e) { return `${long} ${JSON.stringify(got)} is documented as valid but its action validator refused it: ${(e as Error).message}`; }
    }
  }
  // Options left unset keep defaults that meet their own rules.
  for (const { long, rule, opt } of optionsOf(cmd)) {
    if (exp.must.has(long) || rule?.kind !== 'number') continue;
    const got = p.opts[opt.attributeName()];
    if (got !== undefined && !(typeof got === 'number' && rule.ok(got))) return `default ${long} = ${String(got)} breaks its rule (${rule.what})`;
  }
  if (exp.operands.length > 0 && p.args[0] !== exp.operands[0]) return `positional argument arrived as ${JSON.stringify(p.args[0])}, expected ${JSON.stringify(exp.operands[0])}`;
  return undefined;
}

/**
 * A passed-through string the docs reject must be refused by the action's own validator with an
 * error naming the option (e.g. `--hidden 0,-3` → widths() names --hidden).
 */
function checkActionValidators(cmd: Command, exp: ReturnType<typeof expectation>): { outcome: Outcome; detail: string } | undefined {
  for (const [long, m] of exp.must) {
    if (m.rule.kind !== 'string' || !m.rule.actionCheck || m.verdict !== 'either') continue;
    try {
      const v = m.rule.actionCheck(m.parsed as string);
      const bad = firstNonFinite(v);
      if (bad) return { outcome: 'silent NaN', detail: `${cmd.name()} ${long} ${JSON.stringify(m.parsed)}: the action's validator returned ${bad}` };
      // A value outside the documented form that still reads as documented (e.g. "08") is fine.
      if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 1)) continue;
      return { outcome: 'silent NaN', detail: `${cmd.name()} ${long} ${JSON.stringify(m.parsed)}: the action's validator accepted it as ${JSON.stringify(v)}` };
    } catch (e) {
      const r = classifyThrow(e, [long]);
      if (r.outcome !== 'clear error' || !(e as Error).message.includes(long)) return { outcome: 'unclear error', detail: `${long} validator: ${r.detail}` };
    }
  }
  return undefined;
}

/** Fuzz `runs` argument vectors spread over every command of `clt`. */
export async function fuzzCliArgs(tally: Tally, seed: number, runs: number): Promise<void> {
  const { program, take } = await stubbedProgram();
  const commands = program.commands.filter((c) => RULES[c.name()]);
  // Built once per command: fast-check arbitraries (stringMatching above all) are costly to construct.
  const arb = fc.oneof(...commands.map((cmd) => vectorArb(cmd).map((v) => ({ cmd, ...v }))));
  for (const { cmd, items, positional } of fc.sample(arb, { seed, numRuns: runs })) {
    const argv = [cmd.name(), ...tokens(items, positional)];
    const exp = expectation(cmd, items, positional);
    const area = `cli ${cmd.name()}`;
    let r: { outcome: Outcome; detail: string };
    take();
    try {
      await program.parseAsync(argv, { from: 'user' });
      const problem = checkParsed(cmd, take(), exp);
      r = problem ? { outcome: 'silent NaN', detail: problem } : checkActionValidators(cmd, exp) ?? { outcome: 'correct', detail: '' };
    } catch (e) {
      const names = [...exp.invalid, ...exp.either];
      r = classifyThrow(e, names);
      if (!(e instanceof CommanderError)) r = { outcome: 'unclear error', detail: `not a CommanderError: ${r.detail}` };
      else if (names.length === 0) r = { outcome: 'unclear error', detail: `refused a vector whose every value is documented as valid: ${r.detail}` };
      else if (!names.some((n) => e.message.toLowerCase().includes(n.toLowerCase()))) r = { outcome: 'unclear error', detail: `error names none of ${names.join(', ')}: ${r.detail}` };
      else r = { outcome: 'clear error', detail: r.detail };
    }
    tally.add(area, `clt ${cmd.name()}`, argv.map((a) => JSON.stringify(a)).join(' '), r);
  }
}
