#!/usr/bin/env node
// The benchmark is `deconv bench` now (src/cli/bench.ts over bench/lib/, `npm run bench`); this
// entry point stays for the instructions and scripts that name it. Same options.
import { main } from '../dist/esm/cli/main.js';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
