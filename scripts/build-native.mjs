#!/usr/bin/env node
// Builds the native addon, build/Release/deconv.node, against the Node
// headers installed next to this node binary — never downloaded ones.
//
//   node scripts/build-native.mjs [--with cmake-js|node-gyp] [--clean] [--optional]
//
//   --with      build tool: cmake-js (default; CMakeLists.txt) or node-gyp
//               (binding.gyp). Both compile the same sources.
//   --clean     start from an empty build/ instead of building incrementally.
//   --optional  on failure print one warning line and exit 0 (for npm install:
//               deconv still works without the addon, on the TS backend).
//
// Node's headers are looked up at <prefix>/include/node for the running
// <prefix>/bin/node; set DECONV_NODE_HEADERS to use another directory of that
// shape. Both tools are told about it as their "nodedir" (npm_config_nodedir),
// which is what makes them skip downloading headers from the internet:
//   - node-gyp uses --nodedir as-is and never downloads then;
//   - cmake-js downloads only when <nodedir>/include/node/node.h is missing,
//     which this script checks before starting it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build');
const addonPath = path.join(buildDir, 'Release', 'deconv.node');
const logPath = path.join(buildDir, 'build-native.log');
const require = createRequire(import.meta.url);

const TOOLS = ['cmake-js', 'node-gyp'];

class BuildError extends Error {}

function parseArgs(argv) {
  const options = { tool: 'cmake-js', clean: false, optional: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--optional') options.optional = true;
    else if (arg === '--clean') options.clean = true;
    else if (arg === '--with') options.tool = argv[++i];
    else if (arg.startsWith('--with=')) options.tool = arg.slice('--with='.length);
    else throw new BuildError(`unknown argument '${arg}' (usage: build-native.mjs [--with cmake-js|node-gyp] [--clean] [--optional])`);
  }
  if (!TOOLS.includes(options.tool)) {
    throw new BuildError(`--with must be one of ${TOOLS.join(', ')} (got '${options.tool}')`);
  }
  return options;
}

// Returns { headersDir, nodeDir }: the directory holding node_api.h, and the
// prefix above it that node-gyp and cmake-js call "nodedir".
function findNodeHeaders() {
  const fromEnv = process.env.DECONV_NODE_HEADERS;
  const headersDir = fromEnv
    ? path.resolve(fromEnv)
    : path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
  const origin = fromEnv ? 'DECONV_NODE_HEADERS' : `the headers next to ${process.execPath}`;

  for (const header of ['node_api.h', 'node.h']) {
    if (!existsSync(path.join(headersDir, header))) {
      throw new BuildError(
        `${header} not found in ${headersDir} (${origin}); install Node's development headers ` +
          'or set DECONV_NODE_HEADERS to a <prefix>/include/node directory',
      );
    }
  }
  // Both tools want the prefix and append include/node themselves.
  const nodeDir = path.resolve(headersDir, '..', '..');
  if (path.join(nodeDir, 'include', 'node') !== headersDir) {
    throw new BuildError(
      `${headersDir} (${origin}) must be a directory named include/node, as in a Node install or headers tarball`,
    );
  }
  return { headersDir, nodeDir };
}

function resolveToolScript(tool) {
  const candidates = [];
  try {
    candidates.push(require.resolve(tool === 'cmake-js' ? 'cmake-js/bin/cmake-js' : 'node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed in this project; try the fallback below
  }
  // npm ships a node-gyp of its own and names it here in scripts it runs.
  if (tool === 'node-gyp' && process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new BuildError(`${tool} is not installed; run \`npm install\` (it is a devDependency)`);
  return found;
}

function toolArguments(tool, nodeDir, clean) {
  const jobs = String(os.availableParallelism?.() ?? os.cpus().length);
  if (tool === 'node-gyp') {
    // rebuild = clean + configure + build; gyp builds are quick to configure.
    return ['rebuild', `--nodedir=${nodeDir}`, '--jobs', jobs];
  }
  // An existing CMake build dir is reused; anything else in build/ (a
  // node-gyp tree, a half-finished configure) is wiped by `rebuild`.
  const incremental = !clean && existsSync(path.join(buildDir, 'CMakeCache.txt'));
  return [
    incremental ? 'build' : 'rebuild',
    '--parallel', jobs,
    // The node running this script is the runtime we build for; CMake uses it
    // to locate node-addon-api.
    `--CDNODE_EXECUTABLE=${process.execPath}`,
  ];
}

function build(options) {
  rmSync(logPath, { force: true });  // never point at a previous run's log
  const { headersDir, nodeDir } = findNodeHeaders();
  const script = resolveToolScript(options.tool);
  const args = toolArguments(options.tool, nodeDir, options.clean);
  if (options.clean) rmSync(buildDir, { recursive: true, force: true });

  const env = { ...process.env, npm_config_nodedir: nodeDir, DECONV_NODE_HEADERS: headersDir };
  if (!options.optional) {
    console.log(`deconv: building with ${options.tool} against ${headersDir}`);
  }
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: root,
    env,
    // Quiet under --optional (npm install): keep the log for the warning.
    stdio: options.optional ? 'pipe' : 'inherit',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (options.optional) {
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(logPath, `${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  if (result.error) throw new BuildError(`could not run ${options.tool}: ${result.error.message}`);
  if (result.status !== 0) {
    const why = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.status}`;
    throw new BuildError(`${options.tool} ${why}`);
  }
  if (!existsSync(addonPath)) throw new BuildError(`${options.tool} finished but ${addonPath} is missing`);
  if (!options.optional) console.log(`deconv: built ${path.relative(root, addonPath)}`);
}

let options = { optional: process.argv.includes('--optional') };
try {
  options = parseArgs(process.argv.slice(2));
  build(options);
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  if (options.optional) {
    const log = existsSync(logPath) ? ` (log: ${path.relative(root, logPath)})` : '';
    console.warn(
      `deconv: warning: native addon not built: ${error.message}${log}; ` +
        'the TypeScript backend still works; run `npm run build:native` to retry',
    );
    process.exit(0);
  }
  console.error(`deconv: native build failed: ${error.message}`);
  process.exit(1);
}
