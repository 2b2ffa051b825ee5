/**
 * Layers to JSON + binary and back. The JSON holds each layer's class and config and, per weight,
 * its name, shape and offset (in float32 elements) into the binary, which is the weights' float32
 * values one after another, little endian.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe as describeValue, typeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { Activation } from './activation-layer.js';
import { BatchNormalization } from './batch-norm.js';
import { Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, ConvTranspose } from './conv-transpose.js';
import type { Layer } from './layer.js';
import { Sequential } from './sequential.js';

const FORMAT = 'deconv-layers';
const VERSION = 1;

interface WeightEntry {
  name: string;
  shape: number[];
  offset: number;
}
interface LayerEntry {
  className: string;
  config: Record<string, unknown>;
  weights: WeightEntry[];
}
interface Document {
  format: typeof FORMAT;
  version: number;
  layers: LayerEntry[];
}

/** Makes a layer from its class name and config (as getConfig() gives it). */
export function layerFromConfig(className: string, config: Record<string, unknown>): Layer {
  switch (className) {
    case 'Conv1DTranspose':
      return new Conv1DTranspose(config as never);
    case 'Conv2DTranspose':
      return new Conv2DTranspose(config as never);
    case 'Conv3DTranspose':
      return new Conv3DTranspose(config as never);
    case 'BatchNormalization':
      return new BatchNormalization(config as never);
    case 'Activation':
      return new Activation(config as never);
    default:
      throw new RangeError(`className must be one of 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'BatchNormalization', 'Activation', but got ${describeValue(className)}`);
  }
}

/** Serializes layers (or a Sequential's) into a JSON document and the weights' bytes. */
export function serializeLayers(layers: readonly Layer[] | Sequential): { json: string; weights: Uint8Array } {
  const list = layers instanceof Sequential ? layers.layers : layers;
  const entries: LayerEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const layer of list) {
    const weights: WeightEntry[] = [];
    for (const [name, t] of Object.entries(layer.weights())) {
      weights.push({ name, shape: [...t.shape], offset });
      chunks.push(t.data);
      offset += t.data.length;
    }
    entries.push({ className: layer.className, config: layer.getConfig(), weights });
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const bytes = new Uint8Array(all.length * 4);
  const view = new DataView(bytes.buffer);
  all.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const doc: Document = { format: FORMAT, version: VERSION, layers: entries };
  return { json: JSON.stringify(doc, null, 1), weights: bytes };
}

/** The shape of an input that builds a layer with these weights (batch 1, spatial size 1). */
function buildShape(layer: Layer, weights: WeightEntry[]): number[] | undefined {
  if (layer instanceof ConvTranspose) {
    const kernel = weights.find((w) => w.name === 'kernel');
    if (!kernel) return undefined;
    const channels = kernel.shape[kernel.shape.length - 1]!;
    const ones = new Array<number>(layer.rank).fill(1);
    return layer.dataFormat === 'channelsLast' ? [1, ...ones, channels] : [1, channels, ...ones];
  }
  if (layer instanceof BatchNormalization) {
    const mean = weights.find((w) => w.name === 'movingMean');
    if (!mean) return undefined;
    const C = mean.shape[0]!;
    return layer.axis >= 0 ? [...new Array<number>(layer.axis).fill(1), C] : [C, ...new Array<number>(-layer.axis - 1).fill(1)];
  }
  return undefined;
}

/** Rebuilds layers from serializeLayers' output, weights included. */
export function deserializeLayers(json: string, weights: Uint8Array): Layer[] {
  if (typeof json !== 'string') throw typeError('json', 'a string', json);
  if (!(weights instanceof Uint8Array)) throw typeError('weights', 'a Uint8Array', weights);
  const doc = JSON.parse(json) as Document;
  if (doc.format !== FORMAT || doc.version !== VERSION) {
    throw new RangeError(`json must be a '${FORMAT}' document of version ${VERSION}, but got format ${describeValue(doc.format)} version ${describeValue(doc.version)}`);
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  return doc.layers.map((entry, i) => {
    const layer = layerFromConfig(entry.className, entry.config);
    const shape = buildShape(layer, entry.weights);
    if (shape) (layer as ConvTranspose | BatchNormalization).build(shape);
    const values: Record<string, Tensor> = {};
    for (const w of entry.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      if ((w.offset + size) * 4 > weights.byteLength) {
        throw new RangeError(`weights must hold layer ${i}'s '${w.name}' at elements ${w.offset}..${w.offset + size}, but has only ${weights.byteLength / 4}`);
      }
      const data = new Float32Array(size);
      for (let k = 0; k < size; k++) data[k] = view.getFloat32((w.offset + k) * 4, true);
      values[w.name] = new Tensor(w.shape, data);
    }
    layer.setWeights(values);
    return layer;
  });
}

/** Writes `${path}.json` and `${path}.bin`. */
export function saveLayers(path: string, layers: readonly Layer[] | Sequential): void {
  const { json, weights } = serializeLayers(layers);
  writeFileSync(`${path}.json`, json);
  writeFileSync(`${path}.bin`, weights);
}

/** Reads what saveLayers wrote. */
export function loadLayers(path: string): Layer[] {
  return deserializeLayers(readFileSync(`${path}.json`, 'utf8'), new Uint8Array(readFileSync(`${path}.bin`)));
}
