/**
 * A minimal writer of ONNX `ModelProto` bytes: just the protobuf wire format (varints and
 * length-delimited fields) for the messages and fields a lowered clt graph uses. Field numbers
 * are those of `onnx/onnx.proto3`; nothing is parsed, only written, so no protobuf dependency.
 */

/** ONNX `TensorProto.DataType` codes of the element types the lowering emits. */
export const OnnxType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type OnnxTypeCode = (typeof OnnxType)[keyof typeof OnnxType];

export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string };

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly type: OnnxTypeCode;
  readonly dims: readonly number[];
  /** Little-endian element bytes (`raw_data`). */
  readonly raw: Uint8Array;
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxTypeCode;
  readonly dims: readonly number[];
}

/** An ONNX model as plain data, before {@link encodeModel} serializes it: IR version, opset, producer, graph name, nodes, initializers, inputs, outputs and an optional doc string. */
export interface OnnxModel {
  readonly irVersion: number;
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly docString?: string;
}

const utf8 = new TextEncoder();

/** Append-only protobuf writer. Numbers are non-negative integers below 2^53 unless noted. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A varint; negative values are written as 64-bit two's complement (10 bytes), as int64 requires. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`onnx-proto: ${v} is not a safe integer`);
    if (v < 0) {
      let b = BigInt.asUintN(64, BigInt(v));
      this.reserve(10);
      while (b >= 0x80n) { this.buf[this.len++] = Number(b & 0x7fn) | 0x80; b >>= 7n; }
      this.buf[this.len++] = Number(b);
      return this;
    }
    this.reserve(8);
    // Division, not bit operators: JS bit operators truncate to 32 bits.
    while (v >= 0x80) { this.buf[this.len++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
    this.buf[this.len++] = v;
    return this;
  }

  private tag(field: number, wire: 0 | 2 | 5): this { return this.varint(field * 8 + wire); }

  int(field: number, v: number): this { return this.tag(field, 0).varint(v); }

  float(field: number, v: number): this {
    this.tag(field, 5).reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length).reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this { return this.bytes(field, utf8.encode(s)); }

  /** A nested message, written by `fill` into its own writer. */
  message(field: number, fill: (w: Writer) => void): this {
    const w = new Writer();
    fill(w);
    return this.bytes(field, w.finish());
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packed(field: number, vs: readonly number[]): this {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  w.string(1, name).int(20, ATTR_TYPE[a.kind]);
  switch (a.kind) {
    case 'float': w.float(2, a.value); break;
    case 'int': w.int(3, a.value); break;
    case 'string': w.string(4, a.value); break;
    case 'ints': w.packed(8, a.value); break;
  }
}

function writeNode(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs ?? {})) w.message(5, (m) => writeAttr(m, k, a));
  if (n.domain) w.string(7, n.domain);
}

function writeTensor(w: Writer, t: OnnxInitializer): void {
  if (t.dims.length) w.packed(1, t.dims);
  w.int(2, t.type).string(8, t.name).bytes(9, t.raw);
}

function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  // TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 } } } }
  w.message(2, (tp) => tp.message(1, (tt) => {
    tt.int(1, v.type);
    tt.message(2, (sh) => { for (const d of v.dims) sh.message(1, (dim) => dim.int(1, d)); });
  }));
}

/** Serialize a model to `ModelProto` bytes, loadable by any ONNX runtime. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.nodes) g.message(1, (x) => writeNode(x, n));
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const v of m.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of m.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  // OperatorSetIdProto { domain = 1 (empty: ai.onnx), version = 2 }
  w.message(8, (o) => o.int(2, m.opset));
  return w.finish();
}

/** Little-endian bytes of a typed array (the machines are little-endian; checked once). */
export function rawBytes(a: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('onnx-proto: big-endian hosts are not supported (raw_data is little-endian)');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
