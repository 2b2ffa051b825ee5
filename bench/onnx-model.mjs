/**
 * A minimal ONNX model writer for the benchmark: one ConvTranspose node with W (and B) as
 * initializers, X as the graph input and Y as its output. A hand-written protobuf encoder for just
 * the messages needed (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto), so that this peer needs no
 * Python. Field numbers follow onnx/onnx.proto3 (IR version 8, opset 17).
 */

// ---- protobuf wire format ----------------------------------------------------------------------

class Writer {
  constructor() {
    this.chunks = [];
    this.length = 0;
  }
  #push(bytes) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  varint(value) {
    // Non-negative integers and negative int64 (two's complement, 10 bytes) as protobuf does.
    let v = BigInt.asUintN(64, BigInt(value));
    const out = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.#push(Uint8Array.from(out));
    return this;
  }
  tag(field, wireType) {
    return this.varint((field << 3) | wireType);
  }
  /** int64 / int32 / enum field (wire type 0). */
  int(field, value) {
    return this.tag(field, 0).varint(value);
  }
  /** length-delimited field: bytes, string or an embedded message (a Writer). */
  bytes(field, value) {
    let bytes;
    if (typeof value === 'string') bytes = new TextEncoder().encode(value);
    else if (value instanceof Writer) bytes = value.finish();
    else bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    this.tag(field, 2).varint(bytes.length);
    this.#push(bytes);
    return this;
  }
  /** float field (wire type 5). */
  float(field, value) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.tag(field, 5);
    this.#push(b);
    return this;
  }
  /** packed repeated int64. */
  packedInts(field, values) {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner);
  }
  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// ---- ONNX messages -----------------------------------------------------------------------------

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

function tensorProto(name, dims, data) {
  // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian float32)
  const t = new Writer();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT);
  t.bytes(8, name);
  t.bytes(9, data instanceof Float32Array ? data : Float32Array.from(data));
  return t;
}

function valueInfo(name, shape) {
  // ValueInfoProto{name = 1, type = 2}; TypeProto{tensor_type = 1}; TypeProto.Tensor{elem_type = 1,
  // shape = 2}; TensorShapeProto{dim = 1}; Dimension{dim_value = 1, dim_param = 2}
  const dims = new Writer();
  for (const d of shape) {
    const dim = new Writer();
    if (typeof d === 'string') dim.bytes(2, d);
    else dim.int(1, d);
    dims.bytes(1, dim);
  }
  const tensorType = new Writer().int(1, FLOAT).bytes(2, dims);
  const type = new Writer().bytes(1, tensorType);
  return new Writer().bytes(1, name).bytes(2, type);
}

function attribute(name, value) {
  // AttributeProto: name = 1, i = 3, ints = 8, type = 20
  const a = new Writer().bytes(1, name);
  if (Array.isArray(value)) {
    for (const v of value) a.int(8, v); // unpacked repeated int64: accepted by every ONNX parser
    a.int(20, ATTR_INTS);
  } else {
    a.int(3, value);
    a.int(20, ATTR_INT);
  }
  return a;
}

/**
 * The bytes of an ONNX model with one ConvTranspose node.
 * @param {object} layer
 * @param {number[]} layer.xShape   X shape [N, C, ...spatial]; entries may be strings (symbolic dims)
 * @param {number[]} layer.wShape   W shape [C, M/group, ...kernel]
 * @param {Float32Array} layer.w    W data
 * @param {Float32Array} [layer.b]  optional bias [M]
 * @param {number[]} layer.yShape   Y shape (entries may be strings)
 * @param {object} layer.attrs      ConvTranspose attributes in ONNX spelling: strides, pads,
 *   dilations, group, output_padding, kernel_shape (ints or int lists)
 * @param {number} [layer.opset]    default 17
 */
export function convTransposeModel({ xShape, wShape, w, b, yShape, attrs, opset = 17 }) {
  const node = new Writer();
  node.bytes(1, 'X').bytes(1, 'W');
  if (b) node.bytes(1, 'B');
  node.bytes(2, 'Y').bytes(3, 'convtranspose0').bytes(4, 'ConvTranspose');
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    node.bytes(5, attribute(name, value));
  }

  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
  const graph = new Writer();
  graph.bytes(1, node);
  graph.bytes(2, 'deconv-bench');
  graph.bytes(5, tensorProto('W', wShape, w));
  if (b) graph.bytes(5, tensorProto('B', [b.length], b));
  graph.bytes(11, valueInfo('X', xShape));
  graph.bytes(12, valueInfo('Y', yShape));

  // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8
  const opsetId = new Writer().bytes(1, '').int(2, opset);
  const model = new Writer();
  model.int(1, 8);
  model.bytes(2, 'deconv-bench');
  model.bytes(3, '0.1');
  model.bytes(7, graph);
  model.bytes(8, opsetId);
  return model.finish();
}
