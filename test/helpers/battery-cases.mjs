// The bad-input battery: calls generated systematically over every public function and argument,
// each of which must be refused with a TypeError or RangeError whose message names the argument,
// without touching the caller's data. Plain JavaScript so that a child process can run it against
// the built package (test/helpers/battery-child.mjs): a crash then fails a test, not the runner.
//
// A case is { id, kind: 'TypeError' | 'RangeError' | 'Error' | 'ok', mentions: string[], async,
// run(): unknown }. `mentions` must each appear in the message as a word (the argument's name);
// `async` cases must reject, never throw synchronously. 'ok' cases are controls that must work.

const size = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Tensors a case hands to the library, with a copy of their contents: after the call the child
 * checks that none of them changed (bad input never loses or corrupts the caller's data).
 */
export const tracked = [];

function pattern(n) {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 7) % 13) - 6;
  return data;
}

function track(data) {
  tracked.push({ data, copy: data.slice() });
  return data;
}

/** A valid tensor of `shape` whose data the child checks afterwards. */
export function T(shape) {
  return { shape: [...shape], data: track(pattern(size(shape))) };
}

/** A Float32Array of n elements whose buffer was then transferred away (its length reads 0). */
function detached(n) {
  const array = new Float32Array(n);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

// ---- bad values for a tensor argument -------------------------------------------------------------
// Each: [name, make(goodShape) → value, kind, mention(A) → the name the message must carry].
const A = (a) => a;
const dotData = (a) => `${a}.data`;
const dotShape = (a) => `${a}.shape`;
const dim1 = (a, s) => `${a}.shape[${Math.min(1, s.length - 1)}]`;

function withDim(shape, value) {
  const s = [...shape];
  s[Math.min(1, s.length - 1)] = value;
  return s;
}

const BAD_TENSORS = [
  ['null', () => null, 'TypeError', A, 'required'],
  ['undefined', () => undefined, 'TypeError', A, 'required'],
  ['a number', () => 42, 'TypeError', A],
  ['a string', () => 'tensor', 'TypeError', A],
  ['a boolean', () => true, 'TypeError', A],
  ['a function', () => () => 0, 'TypeError', A],
  ['a plain array of numbers', (s) => Array(size(s)).fill(1), 'TypeError', A],
  ['a bare Float32Array', (s) => new Float32Array(size(s)), 'TypeError', A],
  ['an object without data', (s) => ({ shape: s }), 'TypeError', dotData],
  ['an object without shape', (s) => ({ data: pattern(size(s)) }), 'TypeError', dotShape],
  ['Float64Array data', (s) => ({ shape: s, data: new Float64Array(size(s)) }), 'TypeError', dotData],
  ['Int32Array data', (s) => ({ shape: s, data: new Int32Array(size(s)) }), 'TypeError', dotData],
  ['Uint8Array data', (s) => ({ shape: s, data: new Uint8Array(size(s) * 4) }), 'TypeError', dotData],
  ['Float16-sized Uint16Array data', (s) => ({ shape: s, data: new Uint16Array(size(s)) }), 'TypeError', dotData],
  ['BigInt64Array data', (s) => ({ shape: s, data: new BigInt64Array(size(s)) }), 'TypeError', dotData],
  ['a Buffer as data', (s) => ({ shape: s, data: Buffer.alloc(size(s) * 4) }), 'TypeError', dotData],
  ['a Buffer at an odd byte offset as data', (s) => ({ shape: s, data: Buffer.from(new ArrayBuffer(size(s) * 4 + 1), 1, size(s) * 4) }), 'TypeError', dotData],
  ['an ArrayBuffer as data', (s) => ({ shape: s, data: new ArrayBuffer(size(s) * 4) }), 'TypeError', dotData],
  ['a DataView as data', (s) => ({ shape: s, data: new DataView(new ArrayBuffer(size(s) * 4)) }), 'TypeError', dotData],
  ['a plain array as data', (s) => ({ shape: s, data: Array(size(s)).fill(0) }), 'TypeError', dotData],
  ['data one element short', (s) => ({ shape: s, data: track(pattern(size(s) - 1)) }), 'RangeError', dotData],
  ['data one element long', (s) => ({ shape: s, data: track(pattern(size(s) + 1)) }), 'RangeError', dotData],
  ['empty data', (s) => ({ shape: s, data: new Float32Array(0) }), 'RangeError', dotData],
  ['data over a detached ArrayBuffer', (s) => ({ shape: s, data: detached(size(s)) }), 'RangeError', dotData],
  ['a string shape', (s) => ({ shape: s.join(','), data: pattern(size(s)) }), 'TypeError', dotShape],
  ['a null shape', (s) => ({ shape: null, data: pattern(size(s)) }), 'TypeError', dotShape],
  ['an object shape', (s) => ({ shape: { length: s.length }, data: pattern(size(s)) }), 'TypeError', dotShape],
  ['a NaN dimension', (s) => ({ shape: withDim(s, NaN), data: pattern(size(s)) }), 'RangeError', dim1],
  ['an Infinity dimension', (s) => ({ shape: withDim(s, Infinity), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a -Infinity dimension', (s) => ({ shape: withDim(s, -Infinity), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a negative dimension', (s) => ({ shape: withDim(s, -3), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a fractional dimension', (s) => ({ shape: withDim(s, 2.5), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a string dimension', (s) => ({ shape: withDim(s, '3'), data: pattern(size(s)) }), 'TypeError', dim1],
  ['a bigint dimension', (s) => ({ shape: withDim(s, 3n), data: pattern(size(s)) }), 'TypeError', dim1],
  ['a null dimension', (s) => ({ shape: withDim(s, null), data: pattern(size(s)) }), 'TypeError', dim1],
  ['a hole in the shape', (s) => ({ shape: withDim(s, undefined), data: pattern(size(s)) }), 'TypeError', dim1],
  ['a dimension of 2^53', (s) => ({ shape: withDim(s, 2 ** 53), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a dimension of 2^31', (s) => ({ shape: withDim(s, 2 ** 31), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a dimension of 1e300', (s) => ({ shape: withDim(s, 1e300), data: pattern(size(s)) }), 'RangeError', dim1],
  ['a NaN dimension in a Float64Array shape', (s) => ({ shape: Float64Array.from(withDim(s, NaN)), data: pattern(size(s)) }), 'RangeError', dim1],
  // Products past 2^31 − 1 (int32) and past 2^53 (exact doubles), from dimensions that are each fine.
  ['an element count over 2^31', (s) => ({ shape: s.length >= 2 ? [65536, 65536, ...s.slice(2)] : [2 ** 31 - 1, 2], data: new Float32Array(0) }), 'RangeError', A],
  ['an element count over 2^53', (s) => ({ shape: s.length >= 3 ? [2 ** 30, 2 ** 30, 2 ** 30, ...s.slice(3)] : [2 ** 31 - 1, 2 ** 31 - 1], data: new Float32Array(0) }), 'RangeError', A],
  ['one dimension too many', (s) => ({ shape: [...s, 1, 1], data: pattern(size(s)) }), 'RangeError', A],
  ['one dimension', (s) => ({ shape: [size(s)], data: pattern(size(s)) }), 'RangeError', A, 'not-rank-1'],
];

/** Bad values of a shape-only argument (a plan's input shape). Mentions: the argument's prefix. */
const BAD_SHAPES = [
  ['null', () => null, 'TypeError'],
  ['a string', (s) => s.join('x'), 'TypeError'],
  ['an object', () => ({}), 'TypeError'],
  ['a NaN dimension', (s) => withDim(s, NaN), 'RangeError'],
  ['a negative dimension', (s) => withDim(s, -1), 'RangeError'],
  ['a fractional dimension', (s) => withDim(s, 0.5), 'RangeError'],
  ['an Infinity dimension', (s) => withDim(s, Infinity), 'RangeError'],
  ['a string dimension', (s) => withDim(s, '3'), 'TypeError'],
  ['a dimension of 2^53 + 2', (s) => withDim(s, 2 ** 53 + 2), 'RangeError'],
  ['an element count over 2^31', (s) => [65536, 65536, ...s.slice(2)], 'RangeError'],
  ['an element count over 2^53', (s) => [2 ** 30, 2 ** 30, 2 ** 30, ...s.slice(3)], 'RangeError'],
  ['too few dimensions', (s) => [s[0]], 'RangeError'],
  ['too many dimensions', (s) => [...s, 1, 1], 'RangeError'],
];

// ---- the TF-style front ends ----------------------------------------------------------------------
const TF = {
  1: { input: [1, 3, 2], filters: [3, 4, 2], out: [1, 6, 4], formats: ['NWC', 'NCW'] },
  2: { input: [1, 3, 3, 2], filters: [3, 3, 4, 2], out: [1, 6, 6, 4], formats: ['NHWC', 'NCHW'] },
  3: { input: [1, 2, 2, 2, 2], filters: [2, 2, 2, 4, 2], out: [1, 4, 4, 4, 4], formats: ['NDHWC', 'NCDHW'] },
};

function tfArgs(rank, backend) {
  const t = TF[rank];
  return { input: T(t.input), filters: T(t.filters), outputShape: [...t.out], strides: 2, padding: 'SAME', options: { backend }, run: {} };
}

/** The ways a TF-style call can be made; `input` is replaced by its shape for plans. */
function tfEntries(api, rank) {
  const name = `conv${rank}dTranspose`;
  const plan = (a) => api[`${name}Plan`]('inputShape' in a ? a.inputShape : a.input.shape, a.filters, a.outputShape, a.strides, a.padding, a.options);
  return {
    sync: { op: name, async: false, call: (a) => api[name](a.input, a.filters, a.outputShape, a.strides, a.padding, a.options) },
    async: { op: name, async: true, call: (a) => api[`${name}Async`](a.input, a.filters, a.outputShape, a.strides, a.padding, a.options) },
    plan: { op: name, async: false, plan: true, call: (a) => plan(a).dispose() },
  };
}

/** Bad values of the TF front end's other arguments: [slot, name, set(args), kind, mentions]. */
function tfArgumentCases(rank) {
  const t = TF[rank];
  const out = t.out;
  const c = (slot, name, set, kind, ...mentions) => ({ slot, name, set, kind, mentions: mentions.length ? mentions : [slot] });
  const spatial = (v) => Array(rank).fill(v);
  const cases = [
    c('outputShape', 'null', (a) => (a.outputShape = null), 'TypeError'),
    c('outputShape', 'a string', (a) => (a.outputShape = '1x6x6x4'), 'TypeError'),
    c('outputShape', 'a NaN dimension', (a) => (a.outputShape = withDim(out, NaN)), 'RangeError', 'outputShape[1]'),
    c('outputShape', 'a negative dimension', (a) => (a.outputShape = withDim(out, -6)), 'RangeError', 'outputShape[1]'),
    c('outputShape', 'a fractional dimension', (a) => (a.outputShape = withDim(out, 5.5)), 'RangeError', 'outputShape[1]'),
    c('outputShape', 'an Infinity dimension', (a) => (a.outputShape = withDim(out, Infinity)), 'RangeError', 'outputShape[1]'),
    c('outputShape', 'a string dimension', (a) => (a.outputShape = withDim(out, '6')), 'TypeError', 'outputShape[1]'),
    c('outputShape', 'a dimension of 2^53', (a) => (a.outputShape = withDim(out, 2 ** 53)), 'RangeError', 'outputShape[1]'),
    c('outputShape', 'the wrong length', (a) => (a.outputShape = [1]), 'RangeError'),
    c('outputShape', 'another batch', (a) => (a.outputShape = [2, ...out.slice(1)]), 'RangeError', 'outputShape[0]'),
    c('outputShape', 'channels not a multiple of the filter depth', (a) => (a.outputShape = [...out.slice(0, -1), 5]), 'RangeError', 'outputShape'),
    c('outputShape', 'a group count that does not divide the input channels', (a) => (a.outputShape = [...out.slice(0, -1), 12]), 'RangeError', 'outputShape'),
    c('outputShape', 'a size the input cannot produce', (a) => (a.outputShape = withDim(out, 9)), 'RangeError', 'outputShape'),
    c('outputShape', 'a zero spatial size', (a) => (a.outputShape = withDim(out, 0)), 'RangeError', 'outputShape'),
    // Valid geometry whose output would hold more than 2^31 − 1 elements (about 10^28 here).
    c('outputShape', 'an output of more than 2^31 − 1 elements (huge strides)', (a) => {
      a.strides = spatial(2 ** 29);
      a.outputShape = [1, ...spatial(Math.ceil((t.input[1] - 0.5) * 2 ** 29)), 4];
    }, 'RangeError', 'outputShape'),
    c('strides', 'null', (a) => (a.strides = null), 'TypeError'),
    c('strides', 'a string', (a) => (a.strides = '2'), 'TypeError'),
    c('strides', 'an object', (a) => (a.strides = {}), 'TypeError'),
    c('strides', '0', (a) => (a.strides = 0), 'RangeError'),
    c('strides', '-1', (a) => (a.strides = -1), 'RangeError'),
    c('strides', '1.5', (a) => (a.strides = 1.5), 'RangeError'),
    c('strides', 'NaN', (a) => (a.strides = NaN), 'RangeError'),
    c('strides', 'Infinity', (a) => (a.strides = Infinity), 'RangeError'),
    c('strides', '2^31', (a) => (a.strides = 2 ** 31), 'RangeError'),
    c('strides', 'a 0 in the list', (a) => (a.strides = [...spatial(2).slice(1), 0]), 'RangeError', `strides[${rank - 1}]`),
    c('strides', 'a string in the list', (a) => (a.strides = ['2', ...spatial(2).slice(1)]), 'TypeError', 'strides[0]'),
    c('strides', 'the wrong length', (a) => (a.strides = spatial(2).concat(2)), 'RangeError'),
    c('strides', 'a stride in the batch dimension', (a) => (a.strides = [2, ...spatial(2), 1]), 'RangeError'),
    c('padding', 'an unknown mode', (a) => (a.padding = 'FULL'), 'RangeError'),
    c('padding', 'an empty string', (a) => (a.padding = ''), 'RangeError'),
    c('padding', 'an object', (a) => (a.padding = {}), 'TypeError'),
    c('padding', 'null', (a) => (a.padding = null), 'TypeError'),
    c('options', 'a number', (a) => (a.options = 42), 'TypeError'),
    c('options', 'a string', (a) => (a.options = 'NHWC'), 'TypeError'),
    c('options', 'an array', (a) => (a.options = []), 'TypeError'),
    c('options', 'an unknown key (a typo)', (a) => (a.options.dilation = 2), 'TypeError'),
    c('options', 'an unknown key (padding)', (a) => (a.options.padding = 'SAME'), 'TypeError'),
    c('options.dataFormat', 'an unknown format', (a) => (a.options.dataFormat = 'NXYZC'), 'RangeError'),
    c('options.dataFormat', "another rank's format", (a) => (a.options.dataFormat = rank === 2 ? 'NWC' : 'NHWC'), 'RangeError'),
    c('options.dataFormat', 'a number', (a) => (a.options.dataFormat = 1), 'TypeError'),
    c('options.dilations', '0', (a) => (a.options.dilations = 0), 'RangeError'),
    c('options.dilations', '-2', (a) => (a.options.dilations = -2), 'RangeError'),
    c('options.dilations', 'NaN', (a) => (a.options.dilations = NaN), 'RangeError'),
    c('options.dilations', '2^31', (a) => (a.options.dilations = 2 ** 31), 'RangeError'),
    c('options.dilations', 'a string', (a) => (a.options.dilations = '1'), 'TypeError'),
    c('options.dilations', 'a 0 in the list', (a) => (a.options.dilations = [...spatial(1).slice(1), 0]), 'RangeError', `options.dilations[${rank - 1}]`),
    c('options.activation', 'an unknown activation', (a) => (a.options.activation = 'gelu'), 'RangeError'),
    c('options.activation', 'a number', (a) => (a.options.activation = 1), 'TypeError'),
    c('options.alpha', 'NaN', (a) => ((a.options.activation = 'leakyRelu'), (a.options.alpha = NaN)), 'RangeError'),
    c('options.alpha', 'Infinity', (a) => ((a.options.activation = 'elu'), (a.options.alpha = Infinity)), 'RangeError'),
    c('options.alpha', 'a string', (a) => ((a.options.activation = 'leakyRelu'), (a.options.alpha = '0.2')), 'TypeError'),
    c('options.math', 'an unknown mode', (a) => (a.options.math = 'fp16'), 'RangeError'),
    c('options.math', 'a number', (a) => (a.options.math = 16), 'TypeError'),
    c('options.backend', 'an unknown backend', (a) => (a.options.backend = 'gpu'), 'RangeError'),
    c('options.backend', 'a number', (a) => (a.options.backend = 1), 'TypeError'),
    c('filters', 'filter channels that differ from the input channels', (a) => (a.filters = T([...t.filters.slice(0, -1), 5])), 'RangeError', `filters.shape[${rank + 1}]`),
    c('filters', 'a kernel of size 0', (a) => (a.filters = T([0, ...t.filters.slice(1)])), 'RangeError', 'filters.shape[0]'),
    c('filters', 'zero output channels', (a) => (a.filters = T([...t.filters.slice(0, rank), 0, 2])), 'RangeError', `filters.shape[${rank}]`),
    c('input', 'input channels that differ from the filters', (a) => (a.input = T([...t.input.slice(0, -1), 3])), 'RangeError', `filters.shape[${rank + 1}]`),
  ];
  if (rank === 2) {
    cases.push(
      c('padding', 'a fractional pad', (a) => (a.padding = 1.5), 'RangeError'),
      c('padding', 'a negative pad', (a) => (a.padding = -1), 'RangeError'),
      c('padding', 'NaN', (a) => (a.padding = NaN), 'RangeError'),
      c('padding', 'three pairs', (a) => (a.padding = [[0, 0], [1, 1], [1, 1]]), 'RangeError'),
      c('padding', 'a pad in the batch dimension', (a) => (a.padding = [[1, 0], [1, 1], [1, 1], [0, 0]]), 'RangeError'),
      c('padding', 'a negative pair entry', (a) => (a.padding = [[0, 0], [-1, 1], [1, 1], [0, 0]]), 'RangeError', 'padding[1][0]'),
      c('padding', 'a pair that is not a pair', (a) => (a.padding = [[0, 0], [1], [1, 1], [0, 0]]), 'TypeError', 'padding[1]'),
      c('padding', 'a string pair entry', (a) => (a.padding = [[0, 0], ['1', 1], [1, 1], [0, 0]]), 'TypeError', 'padding[1][0]'),
    );
  } else {
    cases.push(c('padding', 'explicit padding (2-D only)', (a) => (a.padding = 1), 'TypeError'));
  }
  return cases;
}

// ---- the ONNX front end ---------------------------------------------------------------------------
const ONNX = { X: [1, 2, 3, 3], W: [2, 4, 3, 3], B: [4], out: [1, 4, 6, 6] };

function onnxArgs(backend) {
  return { X: T(ONNX.X), W: T(ONNX.W), B: T(ONNX.B), attrs: { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1], backend }, run: {} };
}

function onnxEntries(api) {
  const plan = (a) => api.convTransposePlan('inputShape' in a ? a.inputShape : a.X.shape, a.W, a.B, a.attrs);
  return {
    sync: { op: 'convTranspose', async: false, call: (a) => api.convTranspose(a.X, a.W, a.B, a.attrs) },
    async: { op: 'convTranspose', async: true, call: (a) => api.convTransposeAsync(a.X, a.W, a.B, a.attrs) },
    plan: { op: 'convTranspose', async: false, plan: true, call: (a) => plan(a).dispose() },
  };
}

function onnxArgumentCases() {
  const c = (slot, name, set, kind, ...mentions) => ({ slot, name, set, kind, mentions: mentions.length ? mentions : [slot] });
  const attr = (key, value) => (a) => (a.attrs[key] = value);
  return [
    c('attrs', 'a number', (a) => (a.attrs = 42), 'TypeError'),
    c('attrs', 'an array', (a) => (a.attrs = [2, 2]), 'TypeError'),
    c('attrs', 'an unknown attribute', attr('padding', [1, 1]), 'TypeError'),
    c('attrs', 'an attribute misspelt', attr('stride', [2, 2]), 'TypeError'),
    c('attrs.auto_pad', 'both spellings of one attribute', (a) => ((a.attrs.autoPad = 'VALID'), (a.attrs.auto_pad = 'VALID')), 'TypeError'),
    c('attrs.group', '0', attr('group', 0), 'RangeError'),
    c('attrs.group', '-1', attr('group', -1), 'RangeError'),
    c('attrs.group', '1.5', attr('group', 1.5), 'RangeError'),
    c('attrs.group', 'NaN', attr('group', NaN), 'RangeError'),
    c('attrs.group', 'Infinity', attr('group', Infinity), 'RangeError'),
    c('attrs.group', '2^31', attr('group', 2 ** 31), 'RangeError'),
    c('attrs.group', 'a string', attr('group', '2'), 'TypeError'),
    c('attrs.group', 'a group count that does not divide the channels', attr('group', 3), 'RangeError'),
    c('attrs.strides', 'a 0', attr('strides', [0, 2]), 'RangeError', 'attrs.strides[0]'),
    c('attrs.strides', 'a negative stride', attr('strides', [2, -2]), 'RangeError', 'attrs.strides[1]'),
    c('attrs.strides', 'NaN', attr('strides', [NaN, 2]), 'RangeError', 'attrs.strides[0]'),
    c('attrs.strides', '2^31', attr('strides', [2 ** 31, 2]), 'RangeError', 'attrs.strides[0]'),
    c('attrs.strides', 'the wrong length', attr('strides', [2]), 'RangeError'),
    c('attrs.strides', 'a number', attr('strides', 2), 'TypeError'),
    c('attrs.dilations', 'a 0', attr('dilations', [1, 0]), 'RangeError', 'attrs.dilations[1]'),
    c('attrs.dilations', 'a fractional dilation', attr('dilations', [1.5, 1]), 'RangeError', 'attrs.dilations[0]'),
    c('attrs.dilations', 'the wrong length', attr('dilations', [1, 1, 1]), 'RangeError'),
    c('attrs.pads', 'a negative pad', attr('pads', [1, -1, 1, 1]), 'RangeError', 'attrs.pads[1]'),
    c('attrs.pads', 'the wrong length', attr('pads', [1, 1, 1]), 'RangeError'),
    c('attrs.pads', 'NaN', attr('pads', [NaN, 1, 1, 1]), 'RangeError', 'attrs.pads[0]'),
    c('attrs.pads', '2^31', attr('pads', [2 ** 31, 1, 1, 1]), 'RangeError', 'attrs.pads[0]'),
    c('attrs.pads', 'a string', attr('pads', '1,1,1,1'), 'TypeError'),
    c('attrs.pads', 'pads that leave no output', attr('pads', [4, 4, 4, 4]), 'RangeError'),
    c('attrs.outputPadding', 'not smaller than the stride', attr('outputPadding', [2, 0]), 'RangeError', 'attrs.outputPadding[0]'),
    c('attrs.outputPadding', 'negative', attr('outputPadding', [-1, 0]), 'RangeError', 'attrs.outputPadding[0]'),
    c('attrs.outputPadding', 'the wrong length', attr('outputPadding', [1]), 'RangeError'),
    c('attrs.output_padding', 'too large, snake_case', (a) => (delete a.attrs.outputPadding, (a.attrs.output_padding = [5, 5])), 'RangeError', 'attrs.outputPadding[0]'),
    c('attrs.kernelShape', "not W's kernel", attr('kernelShape', [2, 2]), 'RangeError'),
    c('attrs.kernelShape', 'a 0', attr('kernelShape', [0, 3]), 'RangeError', 'attrs.kernelShape[0]'),
    c('attrs.kernelShape', 'a string', attr('kernelShape', '3x3'), 'TypeError'),
    c('attrs.autoPad', 'an unknown mode', attr('autoPad', 'SAME'), 'RangeError'),
    c('attrs.autoPad', 'lower case', attr('autoPad', 'same_upper'), 'RangeError'),
    c('attrs.autoPad', 'a number', attr('autoPad', 1), 'TypeError'),
    c('attrs.outputShape', 'the wrong length', attr('outputShape', [6]), 'RangeError'),
    c('attrs.outputShape', 'a full shape with another M', attr('outputShape', [1, 3, 6, 6]), 'RangeError'),
    c('attrs.outputShape', 'a NaN dimension', attr('outputShape', [NaN, 6]), 'RangeError', 'attrs.outputShape[0]'),
    c('attrs.outputShape', 'a negative dimension', attr('outputShape', [6, -6]), 'RangeError', 'attrs.outputShape[1]'),
    c('attrs.outputShape', 'larger than the input can reach', attr('outputShape', [100, 6]), 'RangeError'),
    c('attrs.outputShape', 'a zero size', attr('outputShape', [0, 6]), 'RangeError'),
    c('attrs.outputShape', 'a dimension of 2^31', attr('outputShape', [2 ** 31, 6]), 'RangeError', 'attrs.outputShape[0]'),
    c('attrs.outputShape', 'an output of more than 2^31 − 1 elements (huge strides)', (a) => {
      a.attrs.strides = [2 ** 29, 2 ** 29];
      a.attrs.outputShape = [3 * 2 ** 29 - 1, 3 * 2 ** 29 - 1];
    }, 'RangeError'),
    c('attrs', 'an output of more than 2^31 − 1 elements (huge strides, no outputShape)', (a) => {
      a.attrs.strides = [2 ** 30, 2 ** 30];
    }, 'RangeError', 'output'),
    c('attrs.activation', 'an unknown activation', attr('activation', 'swish'), 'RangeError'),
    c('attrs.alpha', 'NaN', (a) => ((a.attrs.activation = 'elu'), (a.attrs.alpha = NaN)), 'RangeError'),
    c('attrs.math', 'an unknown mode', attr('math', 'int8'), 'RangeError'),
    c('attrs.backend', 'an unknown backend', attr('backend', 'cuda'), 'RangeError'),
    c('attrs.backend', 'an object', attr('backend', {}), 'TypeError'),
    c('W', "channels that differ from X's", (a) => (a.W = T([3, 4, 3, 3])), 'RangeError', 'W.shape[0]'),
    c('W', 'zero output channels per group', (a) => (a.W = T([2, 0, 3, 3])), 'RangeError', 'W.shape[1]'),
    c('W', 'a kernel of size 0', (a) => (a.W = T([2, 4, 0, 3])), 'RangeError', 'W.shape[2]'),
    c('W', "a rank that differs from X's", (a) => (a.W = T([2, 4, 3])), 'RangeError'),
    c('X', 'rank 6', (a) => (a.X = T([1, 2, 3, 3, 1, 1])), 'RangeError'),
    c('B', 'one value per input channel instead of output channel', (a) => (a.B = T([2])), 'RangeError'),
  ];
}

// ---- out tensors ------------------------------------------------------------------------------------
/** `out` cases beyond the generic bad tensors: the wrong shape, and memory shared with an input. */
function outCases(outShape, inputKey, filterKey, biasKey) {
  const n = size(outShape);
  return [
    ['the same size in another order', (a) => T([...outShape].reverse()), 'RangeError'],
    ['a different size', () => T(outShape.map((d, i) => (i === 1 ? d + 1 : d))), 'RangeError'],
    ['memory overlapping the input', (a) => {
      const inN = a[inputKey].data.length;
      const shared = track(pattern(inN + n));
      a[inputKey] = { shape: a[inputKey].shape, data: shared.subarray(0, inN) };
      return { shape: outShape, data: shared.subarray(inN - 1, inN - 1 + n) };
    }, 'RangeError'],
    ['memory overlapping the filters', (a) => {
      const wN = a[filterKey].data.length;
      const shared = track(pattern(wN + n));
      a[filterKey] = { shape: a[filterKey].shape, data: shared.subarray(n - 1, n - 1 + wN) };
      return { shape: outShape, data: shared.subarray(0, n) };
    }, 'RangeError'],
    ['memory overlapping the bias', (a) => {
      const shared = track(pattern(n + 4));
      a.setBias({ shape: [4], data: shared.subarray(n, n + 4) });
      return { shape: outShape, data: shared.subarray(1, n + 1) };
    }, 'RangeError'],
  ];
}

// ---- the battery --------------------------------------------------------------------------------------
/**
 * Every case for one backend. `api` is the package (the child imports the built dist/).
 */
export function battery(api, backend) {
  const cases = [];
  const add = (id, kind, mentions, async, run) => cases.push({ id, kind, mentions, async, run });

  // TF-style ops: every rank; sync, async and plan construction.
  for (const rank of [1, 2, 3]) {
    const t = TF[rank];
    for (const [variant, entry] of Object.entries(tfEntries(api, rank))) {
      const prefix = `${entry.op}${variant === 'sync' ? '' : ` (${variant})`}`;
      // The tensor arguments.
      const slots = [
        { name: 'input', shape: t.input, optional: false, set: (a, v) => (a.input = v) },
        { name: 'filters', shape: t.filters, optional: false, set: (a, v) => (a.filters = v) },
        { name: 'options.bias', shape: [4], optional: true, set: (a, v) => (a.options.bias = v) },
      ];
      if (!entry.plan) slots.push({ name: 'options.out', shape: t.out, optional: true, set: (a, v) => (a.options.out = v) });
      for (const slot of slots) {
        if (entry.plan && slot.name === 'input') continue; // a plan takes the input's shape (below)
        for (const [name, make, kind, mention, flag] of BAD_TENSORS) {
          if (flag === 'required' && slot.optional) continue;
          if (flag === 'not-rank-1' && slot.shape.length === 1) continue;
          add(`${prefix}: ${slot.name} is ${name}`, kind, [entry.op, mention(slot.name, slot.shape)], entry.async, () => {
            const a = tfArgs(rank, backend);
            slot.set(a, make(slot.shape));
            return entry.call(a);
          });
        }
      }
      if (!entry.plan) {
        for (const [name, make, kind] of outCases(t.out, 'input', 'filters')) {
          add(`${prefix}: options.out has ${name}`, kind, [entry.op, 'options.out'], entry.async, () => {
            const a = tfArgs(rank, backend);
            a.setBias = (b) => (a.options.bias = b);
            a.options.bias = T([4]);
            a.options.out = make(a);
            return entry.call(a);
          });
        }
      } else {
        for (const [name, make, kind] of BAD_SHAPES) {
          add(`${prefix}: inputShape is ${name}`, kind, [entry.op, 'input'], false, () => {
            const a = tfArgs(rank, backend);
            a.inputShape = make(t.input);
            return entry.call(a);
          });
        }
        add(`${prefix}: options.out given to the plan`, 'TypeError', [entry.op, 'options.out'], false, () => {
          const a = tfArgs(rank, backend);
          a.options.out = T(t.out);
          return entry.call(a);
        });
      }
      for (const k of tfArgumentCases(rank)) {
        if (entry.plan && k.slot === 'input') continue;
        add(`${prefix}: ${k.slot} is ${k.name}`, k.kind, [entry.op, ...k.mentions], entry.async, () => {
          const a = tfArgs(rank, backend);
          k.set(a);
          return entry.call(a);
        });
      }
    }
  }

  // ONNX ConvTranspose: sync, async and plan construction.
  for (const [variant, entry] of Object.entries(onnxEntries(api))) {
    const prefix = `${entry.op}${variant === 'sync' ? '' : ` (${variant})`}`;
    const slots = [
      { name: 'X', shape: ONNX.X, optional: false, set: (a, v) => (a.X = v) },
      { name: 'W', shape: ONNX.W, optional: false, set: (a, v) => (a.W = v) },
      { name: 'B', shape: ONNX.B, optional: true, set: (a, v) => (a.B = v) },
    ];
    if (!entry.plan) slots.push({ name: 'attrs.out', shape: ONNX.out, optional: true, set: (a, v) => (a.attrs.out = v) });
    for (const slot of slots) {
      if (entry.plan && slot.name === 'X') continue;
      for (const [name, make, kind, mention, flag] of BAD_TENSORS) {
        if (flag === 'required' && slot.optional) continue;
        if (flag === 'not-rank-1' && slot.shape.length === 1) continue;
        // X of rank 3 or 5 is a valid 1-D or 3-D call (whose W then has the wrong rank).
        add(`${prefix}: ${slot.name} is ${name}`, kind, [entry.op, mention(slot.name, slot.shape)], entry.async, () => {
          const a = onnxArgs(backend);
          slot.set(a, make(slot.shape));
          return entry.call(a);
        });
      }
    }
    if (!entry.plan) {
      for (const [name, make, kind] of outCases(ONNX.out, 'X', 'W')) {
        add(`${prefix}: attrs.out has ${name}`, kind, [entry.op, 'attrs.out'], entry.async, () => {
          const a = onnxArgs(backend);
          a.setBias = (b) => (a.B = b);
          a.attrs.out = make(a);
          return entry.call(a);
        });
      }
    } else {
      for (const [name, make, kind] of BAD_SHAPES) {
        add(`${prefix}: xShape is ${name}`, kind, [entry.op, 'X'], false, () => {
          const a = onnxArgs(backend);
          a.inputShape = make(ONNX.X);
          return entry.call(a);
        });
      }
      add(`${prefix}: attrs.out given to the plan`, 'TypeError', [entry.op, 'attrs.out'], false, () => {
        const a = onnxArgs(backend);
        a.attrs.out = T(ONNX.out);
        return entry.call(a);
      });
    }
    for (const k of onnxArgumentCases()) {
      add(`${prefix}: ${k.slot} is ${k.name}`, k.kind, [entry.op, ...k.mentions], entry.async, () => {
        const a = onnxArgs(backend);
        k.set(a);
        return entry.call(a);
      });
    }
  }

  // A plan's run() and runAsync().
  for (const [method, async] of [['run', false], ['runAsync', true]]) {
    const prefix = `ConvTransposePlan.${method}`;
    const withPlan = (body) => () => {
      const plan = api.convTransposePlan(ONNX.X, T(ONNX.W), T(ONNX.B), { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1], backend });
      let result;
      try {
        result = body(plan, (...args) => plan[method](...args));
      } catch (error) {
        plan.dispose();
        throw error;
      }
      return Promise.resolve(result).finally(() => plan.dispose());
    };
    for (const [name, make, kind, mention, flag] of BAD_TENSORS) {
      add(`${prefix}: input is ${name}`, kind, ['convTranspose', mention('input', ONNX.X)], async, withPlan((_, call) => call(make(ONNX.X))));
      if (flag === 'required') continue; // out is optional
      add(`${prefix}: options.out is ${name}`, kind, ['convTranspose', mention('options.out', ONNX.out)], async, withPlan((_, call) => call(T(ONNX.X), { out: make(ONNX.out) })));
    }
    add(`${prefix}: input of another shape`, 'RangeError', ['convTranspose', 'input'], async, withPlan((_, call) => call(T([2, 2, 3, 3]))));
    add(`${prefix}: options is a number`, 'TypeError', ['convTranspose', 'options'], async, withPlan((_, call) => call(T(ONNX.X), 42)));
    add(`${prefix}: options has an unknown key`, 'TypeError', ['convTranspose', 'options'], async, withPlan((_, call) => call(T(ONNX.X), { output: T(ONNX.out) })));
    add(`${prefix}: options.out of another shape`, 'RangeError', ['convTranspose', 'options.out'], async, withPlan((_, call) => call(T(ONNX.X), { out: T([1, 4, 6, 5]) })));
    add(`${prefix}: options.out overlapping the input`, 'RangeError', ['convTranspose', 'options.out'], async, withPlan((_, call) => {
      const shared = track(pattern(18 + 144));
      return call({ shape: ONNX.X, data: shared.subarray(0, 18) }, { out: { shape: ONNX.out, data: shared.subarray(17, 161) } });
    }));
    // Not bad input but a use-after-dispose: a plain Error that says so.
    add(`${prefix}: after dispose()`, 'Error', ['disposed'], async, () => {
      const plan = api.convTransposePlan(ONNX.X, T(ONNX.W), T(ONNX.B), { strides: [2, 2], backend });
      plan.dispose();
      return plan[method](T(ONNX.X));
    });
  }

  // Tensors.
  const tensorCases = [
    ['tensor: data is a string', 'TypeError', ['data'], () => api.tensor('abc', [3])],
    ['tensor: data holds a string', 'TypeError', ['data[1]'], () => api.tensor([1, '2', 3], [3])],
    ['tensor: data is a Float64Array', 'TypeError', ['data'], () => api.tensor(new Float64Array(3), [3])],
    ['tensor: data is a Buffer', 'TypeError', ['data'], () => api.tensor(Buffer.alloc(12), [3])],
    ['tensor: data is null', 'TypeError', ['data'], () => api.tensor(null, [3])],
    ['tensor: data shorter than the shape', 'RangeError', ['data'], () => api.tensor([1, 2], [3])],
    ['tensor: a NaN dimension', 'RangeError', ['shape[0]'], () => api.tensor([1, 2, 3], [NaN])],
    ['tensor: shape is a number', 'TypeError', ['shape'], () => api.tensor([1, 2, 3], 3)],
    ['tensor: an element count over 2^31', 'RangeError', ['shape'], () => api.tensor([], [65536, 65536])],
    ['Tensor: shape is null', 'TypeError', ['shape'], () => new api.Tensor(null)],
    ['Tensor: a negative dimension', 'RangeError', ['shape[1]'], () => new api.Tensor([2, -2])],
    ['Tensor: a dimension of 2^53', 'RangeError', ['shape[0]'], () => new api.Tensor([2 ** 53])],
    ['Tensor: data is an Int32Array', 'TypeError', ['data'], () => new api.Tensor([2], new Int32Array(2))],
    ['Tensor: data is a plain array', 'TypeError', ['data'], () => new api.Tensor([2], [1, 2])],
    ['Tensor: data longer than the shape', 'RangeError', ['data'], () => new api.Tensor([2], new Float32Array(3))],
    ['Tensor: data over a detached buffer', 'RangeError', ['data'], () => new api.Tensor([2], detached(2))],
  ];
  for (const [id, kind, mentions, run] of tensorCases) add(id, kind, mentions, false, run);

  // Process-wide controls (the thread count is restored by the child after the battery).
  for (const [value, kind] of [[0, 'RangeError'], [-1, 'RangeError'], [1.5, 'RangeError'], [NaN, 'RangeError'], [Infinity, 'RangeError'], [2 ** 31, 'RangeError'], [2 ** 32 + 2, 'RangeError'], [1e9, 'RangeError'], ['4', 'TypeError'], [null, 'TypeError'], [undefined, 'TypeError']]) {
    add(`setNumThreads(${typeof value === 'string' ? `'${value}'` : String(value)})`, kind, ['threads'], false, () => api.setNumThreads(value));
  }
  for (const [value, kind] of [[-1, 'RangeError'], [0.5, 'RangeError'], [NaN, 'RangeError'], [Infinity, 'RangeError'], [1e300, 'RangeError'], [2 ** 53, 'RangeError'], ['8', 'TypeError'], [null, 'TypeError']]) {
    add(`setPlanCacheCapacity(${typeof value === 'string' ? `'${value}'` : String(value)})`, kind, ['capacity'], false, () => api.setPlanCacheCapacity(value));
  }

  cases.push(...deviceTensorCases(api, backend));
  return cases;
}

/**
 * Disposed device tensors as every tensor argument of the ops and of a plan's run: each must be a
 * TypeError naming the argument. A disposed device tensor is what the library's checks see of one
 * (its brand and `disposed: true`), so this runs without a GPU; the device script
 * (test/gpu/check.mjs) disposes a real one on the GPU machine.
 */
export function deviceTensorCases(api, backend) {
  const disposed = (shape) => ({ [Symbol.for('deconv.DeviceTensor')]: true, shape, dtype: 'float32', device: 0, disposed: true });
  const cases = [];
  const add = (id, mentions, async, run) => cases.push({ id: `disposed device tensor: ${id}`, kind: 'TypeError', mentions, async, run });
  const x = [1, 3, 3, 2], w = [3, 3, 4, 2], out = [1, 6, 6, 4];
  const tf = (input, filters, options) => () => api.conv2dTranspose(input, filters, out, 2, 'SAME', { backend, ...options });
  const tfAsync = (input, filters, options) => () => api.conv2dTransposeAsync(input, filters, out, 2, 'SAME', { backend, ...options });
  add('conv2dTranspose input', ['input'], false, tf(disposed(x), T(w)));
  add('conv2dTranspose filters', ['filters'], false, tf(T(x), disposed(w)));
  add('conv2dTranspose options.bias', ['options.bias'], false, tf(T(x), T(w), { bias: disposed([4]) }));
  add('conv2dTranspose options.out', ['options.out'], false, tf(T(x), T(w), { out: disposed(out) }));
  add('conv2dTransposeAsync input', ['input'], true, tfAsync(disposed(x), T(w)));
  add('conv2dTransposeAsync options.out', ['options.out'], true, tfAsync(T(x), T(w), { out: disposed(out) }));
  const onnx = (X, W, B, attrs) => () => api.convTranspose(X, W, B, { backend, strides: [2, 2], ...attrs });
  add('convTranspose X', ['X'], false, onnx(disposed([1, 2, 3, 3]), T([2, 4, 3, 3]), null));
  add('convTranspose W', ['W'], false, onnx(T([1, 2, 3, 3]), disposed([2, 4, 3, 3]), null));
  add('convTranspose B', ['B'], false, onnx(T([1, 2, 3, 3]), T([2, 4, 3, 3]), disposed([4])));
  add('convTranspose attrs.out', ['attrs.out'], false, onnx(T([1, 2, 3, 3]), T([2, 4, 3, 3]), null, { out: disposed([1, 4, 7, 7]) }));
  add('convTransposeAsync X', ['X'], true, () => api.convTransposeAsync(disposed([1, 2, 3, 3]), T([2, 4, 3, 3]), null, { backend, strides: [2, 2] }));
  add('convTransposePlan W', ['W'], false, () => api.convTransposePlan([1, 2, 3, 3], disposed([2, 4, 3, 3]), null, { backend, strides: [2, 2] }));
  add('plan.run input', ['input'], false, () => {
    const plan = api.convTransposePlan([1, 2, 3, 3], T([2, 4, 3, 3]), null, { backend, strides: [2, 2] });
    try {
      return plan.run(disposed([1, 2, 3, 3]));
    } finally {
      plan.dispose();
    }
  });
  return cases;
}
export const DEVICE_TENSORS_PENDING = 'disposed device tensors: checked through their brand (no GPU here); a real one is disposed in test/gpu/check.mjs on the GPU machine';

/** Calls that must work (the battery's controls): unusual but valid input is not refused. */
export function controls(api, backend) {
  const shared = new SharedArrayBuffer(4 * (18 + 144));
  const offset = new Float32Array(new ArrayBuffer(4 * 40), 4 * 3, 18);
  offset.set(pattern(18));
  return [
    ['NaN and Infinity in the data propagate', () => {
      const x = T([1, 3, 3, 2]);
      x.data[0] = NaN;
      x.data[3] = Infinity;
      const y = api.conv2dTranspose(x, T([3, 3, 4, 2]), [1, 6, 6, 4], 2, 'SAME', { backend });
      if (!y.data.some(Number.isNaN)) throw new Error('NaN did not propagate');
    }],
    ['data at a byte offset inside a larger buffer', () => api.conv2dTranspose({ shape: [1, 3, 3, 2], data: offset }, T([3, 3, 4, 2]), [1, 6, 6, 4], 2, 'SAME', { backend })],
    ['data and out in one SharedArrayBuffer, not overlapping', () =>
      api.conv2dTranspose({ shape: [1, 3, 3, 2], data: new Float32Array(shared, 0, 18) }, T([3, 3, 4, 2]), [1, 6, 6, 4], 2, 'SAME', { backend, out: { shape: [1, 6, 6, 4], data: new Float32Array(shared, 72, 144) } })],
    ['a zero-size batch with a detached input buffer (nothing is read)', () => api.convTranspose({ shape: [0, 2, 3, 3], data: detached(0) }, T(ONNX.W), null, { backend })],
    ['a typed-array shape', () => api.convTranspose({ shape: Int32Array.from(ONNX.X), data: pattern(18) }, T(ONNX.W), null, { backend })],
    ['async, then the input mutated and detached while in flight', async () => {
      const x = T([1, 3, 3, 2]);
      const expected = api.conv2dTranspose(x, T([3, 3, 4, 2]), [1, 6, 6, 4], 2, 'SAME', { backend });
      const pending = api.conv2dTransposeAsync(x, T([3, 3, 4, 2]), [1, 6, 6, 4], 2, 'SAME', { backend });
      x.data.fill(1e30);
      structuredClone(x.data.buffer, { transfer: [x.data.buffer] });
      const y = await pending;
      if (y.data.some((v, i) => !Object.is(v, expected.data[i]))) throw new Error('the async call did not work on a snapshot');
    }],
  ];
}
