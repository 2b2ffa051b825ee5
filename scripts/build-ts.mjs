// Compiles src/ twice: ESM into dist/esm (the package is "type": "module") and CommonJS into
// dist/cjs, so that both `import` and `require('deconv')` work on every Node 20 release.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit', cwd: root });
}
// The CommonJS tree needs its own package scope, since the root package.json says "module".
mkdirSync(join(root, 'dist/cjs'), { recursive: true });
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
// The `deconv` command (package.json "bin"): executable, since tsc writes plain files and a
// rebuild would otherwise leave node_modules/.bin/deconv pointing at a file it cannot run.
const bin = join(root, 'dist/esm/cli/bin.js');
if (existsSync(bin)) chmodSync(bin, 0o755);
