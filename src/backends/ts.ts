import { referenceConvTranspose } from './reference.js';
import type { Backend } from './types.js';

/** The pure-TypeScript reference backend: always available. */
export const tsBackend: Backend = {
  name: 'ts',
  info: () => ({ name: 'ts', available: true, version: 'reference' }),
  convTranspose: referenceConvTranspose,
};
