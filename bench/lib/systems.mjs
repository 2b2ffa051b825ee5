// The systems a run can measure, and which deconv system each peer is compared with (like with
// like: channels-first peers against deconv's NCHW plan, channels-last ones against its
// channels-last plan; PyTorch on CUDA against deconv-cuDNN).

export const SYSTEMS = {
  'onednn-plan': { label: 'deconv oneDNN, plan, NCHW (sync, weights packed once)', short: 'oneDNN', deconv: true },
  'onednn-nhwc-plan': { label: 'deconv oneDNN, plan, channels last (TF spelling)', short: 'oneDNN NHWC', deconv: true },
  'onednn-call': { label: 'deconv oneDNN, plain convTranspose per call, NCHW (weights reordered per call)', short: 'oneDNN call', deconv: true },
  'onednn-async': { label: 'deconv oneDNN, plan.runAsync, NCHW (awaited one at a time)', short: 'oneDNN async', deconv: true },
  cudnn: { label: 'deconv cuDNN, plan on device tensors, NCHW, float32 (TF32 off), sync', short: 'cuDNN', deconv: true },
  ts: { label: 'deconv reference (TypeScript), convTranspose, NCHW, one thread', short: 'ts', deconv: true },
  ort: { label: 'ONNX Runtime, session.run, NCHW', short: 'ORT' },
  tf: { label: 'TensorFlow, tf.function, channels last', short: 'TF' },
  'tfjs-cpu': { label: 'TensorFlow.js, tfjs-backend-cpu, conv{2,3}dTranspose + dataSync, channels last, one thread', short: 'tfjs-cpu' },
  'tfjs-wasm': { label: 'TensorFlow.js, tfjs-backend-wasm, conv{2,3}dTranspose + dataSync, channels last', short: 'tfjs-wasm' },
  torch: { label: 'PyTorch, F.conv_transpose{1,2,3}d, NCHW', short: 'PyTorch' },
};

export const PEERS = ['tf', 'ort', 'tfjs-cpu', 'tfjs-wasm', 'torch'];
export const BACKENDS = ['onednn', 'ts', 'cudnn'];

/** The deconv systems a peer's time is divided by, in order of preference. */
export function ratioBases(peer, { torchDevice } = {}) {
  if (peer === 'torch' && torchDevice === 'cuda') return ['cudnn'];
  if (peer === 'ort' || peer === 'torch') return ['onednn-plan', 'ts'];
  return ['onednn-nhwc-plan', 'onednn-plan', 'ts'];
}
