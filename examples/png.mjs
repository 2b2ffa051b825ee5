// The PNG writer the examples use: the library's CLI has one (src/cli/png.ts, 8-bit RGB, no
// dependency), built into dist/ by `npm run build`.
export { writePng, encodePng, decodePng } from '../dist/esm/cli/png.js';
