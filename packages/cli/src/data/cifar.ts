import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '@clt/core';
import { validateDataset, type Dataset } from './dataset.js';

/**
 * CIFAR-10 and CIFAR-100 from the standard BINARY version of the data sets, in a folder the user
 * gives (`--data-path`). No npm package ships the images (the `cifar10` and `cifar-10` packages
 * carry loaders only and expect the files to be fetched separately; there is no CIFAR-100
 * package), and clt downloads nothing at run time.
 *
 * Record layout: CIFAR-10 `<label byte><3072 pixel bytes>` in data_batch_1..5.bin (50,000
 * training images) and test_batch.bin (10,000); CIFAR-100 `<coarse byte><fine byte><3072 bytes>` in
 * train.bin (50,000) and test.bin (10,000), labelled here by the 100 fine classes. The 3072 bytes
 * are the red, green and blue 32×32 planes, row-major: exactly the [3, 32, 32] layout of a row.
 */
export type CifarKind = 'cifar10' | 'cifar100';

const IMAGE = 3 * 32 * 32;
const LAYOUT = {
  cifar10: { folder: 'cifar-10-batches-bin', train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'], test: ['test_batch.bin'], labelBytes: 1, classes: 10, names: 'batches.meta.txt', archive: 'cifar-10-binary.tar.gz' },
  cifar100: { folder: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'], labelBytes: 2, classes: 100, names: 'fine_label_names.txt', archive: 'cifar-100-binary.tar.gz' },
} as const;

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** What to tell a user whose CIFAR files are missing. */
export function cifarHelp(kind: CifarKind): string {
  const l = LAYOUT[kind];
  return `${kind} is not shipped by any npm package: download the binary version (${l.archive}, from the CIFAR page of the University of Toronto), ` +
    `unpack it, and pass the folder with --data-path DIR (DIR holds ${[...l.train, ...l.test].join(', ')}, or the ${l.folder}/ folder that holds them)`;
}

/** The folder holding the binary files: `dir` itself or its `cifar-10-batches-bin/` / `cifar-100-binary/` child. */
export function cifarFolder(kind: CifarKind, dir: string | undefined): string {
  if (dir === undefined || dir.trim() === '') throw new Error(`--data ${kind} needs --data-path: ${cifarHelp(kind)}`);
  const l = LAYOUT[kind], root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`--data-path ${dir} is not a folder; ${cifarHelp(kind)}`);
  for (const candidate of [root, join(root, l.folder)]) if ([...l.train, ...l.test].every((f) => existsSync(join(candidate, f)))) return candidate;
  const missing = [...l.train, ...l.test].filter((f) => !existsSync(join(root, f)));
  throw new Error(`--data-path ${dir} does not hold the ${kind} binary files (missing ${missing.join(', ')}); ${cifarHelp(kind)}`);
}

interface Part { readonly bytes: Buffer; readonly labels: Int32Array }

function readPart(kind: CifarKind, folder: string, files: readonly string[]): Part {
  const l = LAYOUT[kind], record = l.labelBytes + IMAGE;
  const bufs = files.map((f) => {
    const b = readFileSync(join(folder, f));
    if (b.length === 0 || b.length % record !== 0) throw new Error(`${join(folder, f)}: ${b.length} bytes is not a whole number of ${record}-byte ${kind} records; is it the binary version (not the python or matlab one)? ${cifarHelp(kind)}`);
    return b;
  });
  const bytes = Buffer.concat(bufs), n = bytes.length / record, labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = bytes[i * record + l.labelBytes - 1]!; // CIFAR-100: the fine label (second byte)
    if (y >= l.classes) throw new Error(`${kind}: record ${i} has label ${y}, outside 0..${l.classes - 1}; the files are not ${kind}`);
    labels[i] = y;
  }
  return { bytes, labels };
}

/** Rows `idx` of a part as a float32 data set, pixels scaled from 0..255 to [0, 1]. */
function materialize(kind: CifarKind, part: Part, idx: ArrayLike<number>, name: string, classNames: readonly string[]): Dataset {
  const l = LAYOUT[kind], record = l.labelBytes + IMAGE, x = new Float32Array(idx.length * IMAGE), labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!, o = i * record + l.labelBytes;
    for (let p = 0; p < IMAGE; p++) x[k * IMAGE + p] = part.bytes[o + p]! / 255;
    labels[k] = part.labels[i]!;
  }
  return validateDataset({ name, n: idx.length, dim: IMAGE, classes: l.classes, x, labels, classNames, image: [3, 32, 32] });
}

/** Seeded stratified choice of `count` indices among `labels` (all of them, in a seeded order, when count ≥ n). */
function stratifiedIndices(labels: Int32Array, classes: number, count: number, rng: Rng): number[] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => byClass[y]!.push(i));
  const n = labels.length, take = Math.min(count, n);
  const quota = byClass.map((r) => Math.floor((r.length * take) / n));
  for (let c = 0, left = take - quota.reduce((a, b) => a + b, 0); left > 0; c = (c + 1) % classes) if (quota[c]! < byClass[c]!.length) { quota[c]!++; left--; }
  const out: number[] = [];
  byClass.forEach((rows, c) => { rng.shuffle(rows); out.push(...rows.slice(0, quota[c])); });
  rng.shuffle(out);
  return out;
}

/**
 * The official split of CIFAR-10/100 (50,000 training, 10,000 test images). With `limit`, a seeded
 * stratified `limit` of the 60,000 in the same 5 : 1 proportion (so a small run reads only what it
 * uses into floats).
 */
export function loadCifar(kind: CifarKind, dir: string | undefined, options: { limit?: number; seed?: number } = {}): { train: Dataset; test: Dataset; folder: string } {
  const folder = cifarFolder(kind, dir), l = LAYOUT[kind];
  const train = readPart(kind, folder, l.train), test = readPart(kind, folder, l.test);
  const rng = new Rng((options.seed ?? 0) ^ 0x2c1b3c6d);
  const total = train.labels.length + test.labels.length, limit = options.limit ?? total;
  const nTest = Math.max(1, Math.round((limit * test.labels.length) / total)), nTrain = Math.max(1, limit - nTest);
  const names = classNames(kind, folder);
  return {
    train: materialize(kind, train, stratifiedIndices(train.labels, l.classes, nTrain, rng), `${kind}/train`, names),
    test: materialize(kind, test, stratifiedIndices(test.labels, l.classes, nTest, rng), `${kind}/test`, names),
    folder,
  };
}

function classNames(kind: CifarKind, folder: string): readonly string[] {
  if (kind === 'cifar10') return CIFAR10_CLASSES;
  const path = join(folder, LAYOUT[kind].names);
  const names = existsSync(path) ? readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '') : [];
  return names.length === 100 ? names : Array.from({ length: 100 }, (_, i) => String(i));
}
