/**
 * Learning-rate schedules. The rate is a pure function of the step, so a resumed run needs only
 * the step to continue the schedule exactly, and the step graph takes lr as an input scalar, so
 * changing it never recompiles anything.
 */
export type LrSchedule =
  | { readonly kind: 'constant'; readonly lr: number }
  /** lr · gamma^⌊step / every⌋ (PyTorch StepLR). */
  | { readonly kind: 'step'; readonly lr: number; readonly every: number; readonly gamma: number }
  /** Linear warm-up over `warmup` steps, then lr_min + ½(lr − lr_min)(1 + cos(π t)), t ∈ [0, 1] over the rest. */
  | { readonly kind: 'cosine'; readonly lr: number; readonly minLr?: number; readonly warmup?: number };

/** The kinds of {@link LrSchedule}: constant, step (multiply by gamma every `every` steps) and cosine (with optional linear warm-up). */
export const SCHEDULE_KINDS = ['constant', 'step', 'cosine'] as const;

/** Check a schedule once, with a message that says what to change. */
export function validateSchedule(s: LrSchedule): LrSchedule {
  if (!SCHEDULE_KINDS.includes(s.kind)) throw new Error(`schedule: unknown kind "${(s as { kind: string }).kind}"; use ${SCHEDULE_KINDS.join(', ')}`);
  if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new Error(`schedule: lr must be a positive number, got ${s.lr}`);
  if (s.kind === 'step') {
    if (!(Number.isInteger(s.every) && s.every > 0)) throw new Error(`schedule: step "every" must be a positive integer, got ${s.every}`);
    if (!(s.gamma > 0 && s.gamma <= 1)) throw new Error(`schedule: step gamma must be in (0, 1], got ${s.gamma}`);
  }
  if (s.kind === 'cosine') {
    if (s.minLr !== undefined && !(s.minLr >= 0 && s.minLr <= s.lr)) throw new Error(`schedule: cosine minLr must be in [0, lr], got ${s.minLr}`);
    if (s.warmup !== undefined && !(Number.isInteger(s.warmup) && s.warmup >= 0)) throw new Error(`schedule: warmup must be a non-negative integer, got ${s.warmup}`);
  }
  return s;
}

/** The learning rate at `step` (0-based) of a run of `totalSteps` steps. */
export function learningRate(s: LrSchedule, step: number, totalSteps: number): number {
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      return s.lr * Math.pow(s.gamma, Math.floor(step / s.every));
    case 'cosine': {
      const w = s.warmup ?? 0, lo = s.minLr ?? 0;
      if (step < w) return (s.lr * (step + 1)) / w;
      const span = Math.max(1, totalSteps - w);
      const t = Math.min(1, (step - w) / span);
      return lo + 0.5 * (s.lr - lo) * (1 + Math.cos(Math.PI * t));
    }
  }
}

/** Parse "constant", "step:every=500,gamma=0.5" or "cosine:warmup=100,min=0" with base rate `lr`. */
export function parseSchedule(text: string, lr: number): LrSchedule {
  const [kind, rest = ''] = text.split(':');
  const kv: Record<string, number> = {};
  for (const part of rest.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    const num = Number(v);
    if (!k || !Number.isFinite(num)) throw new Error(`schedule: cannot read "${part}" in "${text}"; expected key=number`);
    kv[k.trim()] = num;
  }
  if (kind === 'constant') return validateSchedule({ kind, lr });
  if (kind === 'step') return validateSchedule({ kind, lr, every: kv.every ?? 1000, gamma: kv.gamma ?? 0.1 });
  if (kind === 'cosine') return validateSchedule({ kind, lr, minLr: kv.min ?? 0, warmup: kv.warmup ?? 0 });
  throw new Error(`schedule: unknown kind "${kind}"; use constant, step:every=N,gamma=G or cosine:warmup=N,min=LR`);
}
