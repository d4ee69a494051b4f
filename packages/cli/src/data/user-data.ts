import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { validateDataset, type Dataset } from './dataset.js';

export interface UserDataOptions {
  /** Label column: a header name or a 0-based index. Default: "label", "y", "class" or "target" if present, else the last column. */
  readonly labelColumn?: string | number;
  /** Whether the first CSV line is a header. Default: detected (a non-numeric feature field in line 1). */
  readonly header?: boolean;
}

/** Malformed user data: the message names the file, row and column and says what to fix. */
export class DataFormatError extends Error {
  constructor(readonly file: string, readonly row: number | undefined, readonly column: string | undefined, detail: string) {
    super(`${file}${row !== undefined ? `: row ${row}` : ''}${column !== undefined ? `, column ${column}` : ''}: ${detail}`);
    this.name = 'DataFormatError';
  }
}

/** Load a CSV (.csv) or JSON (.json) file of features and class labels. */
export function loadUserData(path: string, options: UserDataOptions = {}): Dataset {
  const ext = extname(path).toLowerCase();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read data file ${path}: ${(e as Error).message}`);
  }
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return parseCsv(text, basename(path), options);
  if (ext === '.json') return parseJson(text, basename(path));
  throw new Error(`${path}: unknown data format "${ext}"; use .csv (features and a label column) or .json ({"x": [[...]], "labels": [...]})`);
}

const LABEL_NAMES = ['label', 'y', 'class', 'target'];

/**
 * CSV with comma (or tab) separators and optional double-quoted fields. Every row needs the same
 * number of fields; features must be finite numbers; labels are class indices 0..K−1 (every class
 * present; -1 or 1.5 is an error, not a class) or text names (mapped to classes in sorted order). Row numbers in errors are 1-based data rows,
 * with the file line beside them.
 */
export function parseCsv(text: string, file = 'data.csv', options: UserDataOptions = {}): Dataset {
  const lines = text.split(/\r?\n/);
  const sep = lines[0]?.includes('\t') && !lines[0].includes(',') ? '\t' : ',';
  const rows: { line: number; fields: string[] }[] = [];
  lines.forEach((l, i) => { if (l.trim() !== '') rows.push({ line: i + 1, fields: splitLine(l, sep, file, i + 1) }); });
  if (rows.length === 0) throw new DataFormatError(file, undefined, undefined, 'no rows; expected feature columns and a label column');
  const first = rows[0]!.fields;
  const header = options.header ?? first.some((f) => f.trim() !== '' && !Number.isFinite(Number(f)));
  const names = header ? first.map((f) => f.trim()) : first.map((_, j) => `c${j}`);
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw new DataFormatError(file, undefined, undefined, 'a header but no data rows');
  const width = names.length;
  if (width < 2) throw new DataFormatError(file, undefined, undefined, `${width} column; need at least one feature and a label column`);
  const lc = labelIndex(names, header, options.labelColumn, file);
  const dim = width - 1, n = data.length, x = new Float32Array(n * dim), raw: string[] = [];
  data.forEach(({ line, fields }, r) => {
    if (fields.length !== width)
      throw new DataFormatError(file, r + 1, undefined, `(line ${line}) has ${fields.length} fields, expected ${width}${header ? ' (as in the header)' : ' (as in the first row)'}`);
    let j = 0;
    fields.forEach((f, c) => {
      if (c === lc) { raw.push(f.trim()); return; }
      const v = f.trim() === '' ? NaN : Number(f);
      if (!Number.isFinite(v)) throw new DataFormatError(file, r + 1, `"${names[c]}" (${c + 1})`, `(line ${line}) ${JSON.stringify(f)} is not a finite number`);
      x[r * dim + j++] = v;
    });
    if (raw[r] === '') throw new DataFormatError(file, r + 1, `"${names[lc]}" (${lc + 1})`, `(line ${line}) the label is empty`);
  });
  const { labels, classes, classNames } = encodeLabels(raw, file);
  return validateDataset({ name: file, n, dim, classes, x, labels, ...(classNames ? { classNames } : {}) });
}

/** JSON: `{"x": [[...], ...], "labels": [...]}` or `[{"x": [...], "label": ...}, ...]`. */
export function parseJson(text: string, file = 'data.json'): Dataset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(file, undefined, undefined, `not valid JSON (${(e as Error).message})`);
  }
  let xs: unknown[], ys: unknown[];
  if (Array.isArray(doc)) {
    xs = doc.map((r, i) => { if (!r || typeof r !== 'object') throw new DataFormatError(file, i + 1, undefined, 'expected an object {"x": [...], "label": ...}'); return (r as { x?: unknown }).x; });
    ys = doc.map((r) => (r as { label?: unknown; y?: unknown }).label ?? (r as { y?: unknown }).y);
  } else if (doc && typeof doc === 'object' && Array.isArray((doc as { x?: unknown }).x)) {
    xs = (doc as { x: unknown[] }).x;
    const l = (doc as { labels?: unknown; y?: unknown }).labels ?? (doc as { y?: unknown }).y;
    if (!Array.isArray(l)) throw new DataFormatError(file, undefined, undefined, 'missing "labels" array beside "x"');
    ys = l;
    if (ys.length !== xs.length) throw new DataFormatError(file, undefined, undefined, `${xs.length} rows in "x" but ${ys.length} labels`);
  } else {
    throw new DataFormatError(file, undefined, undefined, 'expected {"x": [[...], ...], "labels": [...]} or an array of {"x": [...], "label": ...}');
  }
  if (xs.length === 0) throw new DataFormatError(file, undefined, undefined, 'no rows');
  const dim = Array.isArray(xs[0]) ? xs[0].length : 0;
  if (dim === 0) throw new DataFormatError(file, 1, 'x', 'expected a non-empty array of numbers');
  const n = xs.length, x = new Float32Array(n * dim), raw: string[] = [];
  xs.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== dim) throw new DataFormatError(file, r + 1, 'x', `expected an array of ${dim} numbers, got ${Array.isArray(row) ? `${row.length} values` : JSON.stringify(row)}`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataFormatError(file, r + 1, `x[${j}]`, `${JSON.stringify(v)} is not a finite number`);
      x[r * dim + j] = v;
    });
    const y = ys[r];
    if (y === undefined || y === null || y === '') throw new DataFormatError(file, r + 1, 'label', 'missing label');
    raw.push(String(y));
  });
  const { labels, classes, classNames } = encodeLabels(raw, file);
  return validateDataset({ name: file, n, dim, classes, x, labels, ...(classNames ? { classNames } : {}) });
}

function labelIndex(names: string[], header: boolean, want: string | number | undefined, file: string): number {
  if (typeof want === 'number' || (typeof want === 'string' && /^\d+$/.test(want) && !names.includes(want))) {
    const i = Number(want);
    if (!(i >= 0 && i < names.length)) throw new DataFormatError(file, undefined, undefined, `label column index ${i} is outside 0..${names.length - 1}`);
    return i;
  }
  if (want !== undefined) {
    const i = names.indexOf(want);
    if (i < 0) throw new DataFormatError(file, undefined, undefined, `no column named "${want}" (columns: ${names.join(', ')})`);
    return i;
  }
  if (header) for (const l of LABEL_NAMES) { const i = names.findIndex((n) => n.toLowerCase() === l); if (i >= 0) return i; }
  return names.length - 1;
}

const MAP_HINT = 'map the labels to 0..K−1 yourself, or use text class names (e.g. "neg", "pos"), which are mapped to classes in sorted order';

/**
 * Labels. Numeric labels (every value a number) are class indices: integers in [0, K) with
 * K = max + 1, and every class 0..K−1 must occur (a gap, e.g. 1-based labels 1..K, would add an
 * empty class silently). A negative or fractional number is an error naming the row, never a new
 * class. Text labels map their sorted distinct values to 0..k−1 (the declared mapping: class names).
 */
function encodeLabels(raw: string[], file: string): { labels: Int32Array; classes: number; classNames?: string[] } {
  const numeric = raw.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  if (numeric) {
    const values = raw.map(Number);
    values.forEach((v, r) => {
      if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1)
        throw new DataFormatError(file, r + 1, 'label', `label ${JSON.stringify(raw[r])} is not a class index: numeric labels must be integers 0, 1, …, K−1; ${MAP_HINT}`);
    });
    const labels = Int32Array.from(values);
    const classes = labels.reduce((m, v) => Math.max(m, v), 0) + 1;
    if (classes < 2) throw new DataFormatError(file, undefined, 'label', 'only one class present; a classifier needs at least two');
    const seen = new Uint8Array(classes);
    labels.forEach((c) => { seen[c] = 1; });
    const missing = [...seen.keys()].filter((c) => !seen[c]);
    if (missing.length > 0)
      throw new DataFormatError(file, undefined, 'label', `numeric labels run 0..${classes - 1} but class${missing.length > 1 ? 'es' : ''} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} never occur${missing.length > 1 ? '' : 's'}; labels must be 0..K−1 with every class present (1-based labels: subtract 1); ${MAP_HINT}`);
    return { labels, classes };
  }
  const names = [...new Set(raw)].sort();
  if (names.length < 2) throw new DataFormatError(file, undefined, 'label', `only one class ("${names[0]}") present; a classifier needs at least two`);
  const index = new Map(names.map((s, i) => [s, i]));
  return { labels: Int32Array.from(raw, (s) => index.get(s)!), classes: names.length, classNames: names };
}

function splitLine(line: string, sep: string, file: string, lineNo: number): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) { out.push(cur); cur = ''; } else cur += ch;
  }
  if (q) throw new DataFormatError(file, undefined, undefined, `line ${lineNo}: unterminated quoted field`);
  out.push(cur);
  return out;
}
