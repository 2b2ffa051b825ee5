/**
 * The problem as the addon reads it fastest: 32 float64 slots (layout in
 * native/napi/problem_from_js.h), one N-API call instead of one per field.
 */
import type { Activation, ConvTransposeProblem } from '../problem/index.js';

const ACTIVATION_CODES: Record<Activation, number> = { none: 0, relu: 1, leakyRelu: 2, sigmoid: 3, tanh: 4, elu: 5 };

export function packProblem(p: ConvTransposeProblem): Float64Array {
  const v = new Float64Array(32);
  v[0] = 1;
  v[1] = p.rank;
  v[2] = p.batch;
  v[3] = p.inChannels;
  v[4] = p.outChannels;
  v[5] = p.groups;
  const lists = [p.inSpatial, p.outSpatial, p.kernel, p.strides, p.dilations, p.padsBegin, p.padsEnd];
  for (let a = 0; a < lists.length; a++) {
    const list = lists[a]!;
    const neutral = a >= 5 ? 0 : 1;
    for (let i = 0; i < 3; i++) v[6 + a * 3 + i] = i < p.rank ? list[i]! : neutral;
  }
  v[27] = p.layout === 'channelsLast' ? 0 : 1;
  v[28] = p.filterLayout === 'spatialOutIn' ? 0 : 1;
  v[29] = p.hasBias ? 1 : 0;
  v[30] = ACTIVATION_CODES[p.activation];
  v[31] = p.activationAlpha;
  return v;
}
