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
// oneDNN (the CPU backend) comes from scripts/fetch-onednn.mjs: DNNL_ROOT, else
// a system oneDNN 3.x, else the pinned PyPI wheels unpacked into .deps/ (see
// that file). Without one, the addon is built without the oneDNN backend and
// buildInfo().backends.onednn.reason says why. DECONV_ONEDNN=off skips
// oneDNN; DECONV_ONEDNN=required makes its absence a build failure. When the
// library comes from .deps/, it is copied next to deconv.node, whose RUNPATH
// is $ORIGIN: build/Release/ runs without LD_LIBRARY_PATH and without .deps/.
// The cuDNN backend compiles against headers only (scripts/fetch-cuda.mjs:
// CUDNN_ROOT/CUDA_ROOT or the PyPI wheels' headers in .deps/); DECONV_CUDNN
// = auto (default: fetch only where an NVIDIA driver is), on, off or required.
// After building, the addon is loaded once in a child process (without
// LD_LIBRARY_PATH) to check that it and its libraries load.
//
// Node's headers are looked up at <prefix>/include/node for the running
// <prefix>/bin/node; set DECONV_NODE_HEADERS to use another directory of that
// shape. Both tools are told about it as their "nodedir" (npm_config_nodedir),
// which is what makes them skip downloading headers from the internet:
//   - node-gyp uses --nodedir as-is and never downloads then;
//   - cmake-js downloads only when <nodedir>/include/node/node.h is missing,
//     which this script checks before starting it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cudnnMode, resolveCuda } from './fetch-cuda.mjs';
import { oneDnnMode, resolveOneDnn } from './fetch-onednn.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build');
const addonPath = path.join(buildDir, 'Release', 'deconv.node');
const logPath = path.join(buildDir, 'build-native.log');
// What the last successful cmake-js build was configured with; cmake-js only
// configures an existing build tree once, so a change means a fresh rebuild.
const configStampPath = path.join(buildDir, 'deconv-build-config.json');
const require = createRequire(import.meta.url);

const TOOLS = ['cmake-js', 'node-gyp'];

class BuildError extends Error {}

function parseArgs(argv) {
  const options = { tool: 'cmake-js', clean: false, optional: false, toolChosen: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--optional') options.optional = true;
    else if (arg === '--clean') options.clean = true;
    else if (arg === '--with') (options.tool = argv[++i]), (options.toolChosen = true);
    else if (arg.startsWith('--with=')) (options.tool = arg.slice('--with='.length)), (options.toolChosen = true);
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

function hasLocal(request) {
  try {
    return existsSync(require.resolve(request));
  } catch {
    return false;
  }
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

// The reason for a build without oneDNN travels as a C string literal through
// CMake or gyp, make/ninja and a shell: keep it to characters none of them
// treats specially.
function definitionSafe(text) {
  return text
    .replace(/;/g, ',')
    .replace(/[^A-Za-z0-9 .,:_/()+=@%'-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}

// The system's own library directories need no RUNPATH entry.
function isLoaderDefaultDir(dir) {
  return /^\/(usr\/)?lib(64|32)?(\/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?\/?$/.test(dir);
}

// Build settings for the resolved oneDNN (or its absence), per tool.
function oneDnnSettings(tool, oneDnn) {
  if (tool === 'node-gyp') {
    if (!oneDnn.found) return ['-Ddeconv_with_onednn=0', `-Ddeconv_onednn_reason=${definitionSafe(oneDnn.reason)}`];
    return [
      '-Ddeconv_with_onednn=1',
      `-Ddeconv_onednn_include=${oneDnn.includeDir}`,
      `-Ddeconv_onednn_library=${oneDnn.library}`,
      `-Ddeconv_onednn_bundle=${oneDnn.bundle ? 1 : 0}`,
      `-Ddeconv_onednn_rpath=${oneDnn.bundle || isLoaderDefaultDir(oneDnn.libDir) ? '' : oneDnn.libDir}`,
    ];
  }
  if (!oneDnn.found) {
    return ['--CDDECONV_WITH_ONEDNN=OFF', `--CDDECONV_ONEDNN_MISSING_REASON=${definitionSafe(oneDnn.reason)}`];
  }
  const settings = ['--CDDECONV_WITH_ONEDNN=ON', `--CDDECONV_ONEDNN_BUNDLE=${oneDnn.bundle ? 'ON' : 'OFF'}`];
  // A prefix (DNNL_ROOT or .deps/) is searched on its own; a system oneDNN is
  // pinned to the CMake config the probe found.
  if (oneDnn.root) settings.push(`--CDDNNL_ROOT=${oneDnn.root}`);
  else settings.push(`--CDdnnl_DIR=${oneDnn.cmakeDir}`);
  return settings;
}

// Build settings for the cuDNN backend (headers found or not), per tool.
function cudaSettings(tool, cuda) {
  if (tool === 'node-gyp') {
    if (!cuda.found) return ['-Ddeconv_with_cudnn=0', `-Ddeconv_cudnn_reason=${definitionSafe(cuda.reason)}`];
    return ['-Ddeconv_with_cudnn=1', `-Ddeconv_cuda_include=${cuda.includeDirs.join(' ')}`];
  }
  if (!cuda.found) return ['--CDDECONV_WITH_CUDNN=OFF', `--CDDECONV_CUDNN_MISSING_REASON=${definitionSafe(cuda.reason)}`];
  return ['--CDDECONV_WITH_CUDNN=ON', `--CDDECONV_CUDA_INCLUDE_DIRS=${cuda.includeDirs.join(';')}`];
}

function readConfigStamp() {
  try {
    return readFileSync(configStampPath, 'utf8');
  } catch {
    return undefined;
  }
}

function toolArguments(tool, nodeDir, clean, oneDnn, cuda) {
  const jobs = String(os.availableParallelism?.() ?? os.cpus().length);
  const settings = [...oneDnnSettings(tool, oneDnn), ...cudaSettings(tool, cuda)];
  if (tool === 'node-gyp') {
    // rebuild = clean + configure + build; gyp builds are quick to configure.
    // Arguments after `--` go to gyp.
    return { args: ['rebuild', `--nodedir=${nodeDir}`, '--jobs', jobs, '--', ...settings] };
  }
  const configure = [
    // The node running this script is the runtime we build for; CMake uses it
    // to locate node-addon-api.
    `--CDNODE_EXECUTABLE=${process.execPath}`,
    ...settings,
  ];
  const stamp = JSON.stringify({ tool, configure });
  // An existing CMake build dir configured the same way is reused; anything
  // else in build/ (a node-gyp tree, another configuration, a half-finished
  // configure) is wiped by `rebuild`.
  const incremental = !clean && existsSync(path.join(buildDir, 'CMakeCache.txt')) && readConfigStamp() === stamp;
  return { args: [incremental ? 'build' : 'rebuild', '--parallel', jobs, ...configure], stamp };
}

function describeOneDnn(oneDnn) {
  return oneDnn.found
    ? `oneDNN ${oneDnn.version} from ${oneDnn.description}`
    : `without oneDNN: ${oneDnn.reason}`;
}

// Loads the built addon in a fresh node, without LD_LIBRARY_PATH, the way a
// user's process will: proves that the RUNPATH finds libdnnl.
function checkAddon(oneDnn, cuda) {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  const probe = spawnSync(
    process.execPath,
    ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(addonPath)}).buildInfo().backends))`],
    { env, encoding: 'utf8' },
  );
  if (probe.status !== 0) {
    const why = (probe.stderr ?? '').split('\n').find((line) => /Error|error:/.test(line)) ?? `exit code ${probe.status}`;
    throw new BuildError(`${path.relative(root, addonPath)} was built but does not load: ${why.trim()}`);
  }
  const backends = JSON.parse(probe.stdout);
  const status = backends.onednn;
  if (oneDnn.found && !status.compiled) {
    throw new BuildError(`${path.relative(root, addonPath)} was built without oneDNN although oneDNN was found: ${status.reason}`);
  }
  if (cuda.found && !backends.cudnn.compiled) {
    throw new BuildError(`${path.relative(root, addonPath)} was built without cuDNN although its headers were found: ${backends.cudnn.reason}`);
  }
  return { ...status, cudnn: backends.cudnn };
}

function checkCMake() {
  const cmake = spawnSync(process.env.CMAKE ?? 'cmake', ['--version'], { encoding: 'utf8' });
  if (cmake.error || cmake.status !== 0) {
    throw new BuildError('cmake is not installed (cmake-js runs it); install CMake 3.19 or newer, or build with --with node-gyp');
  }
}

function build(options) {
  rmSync(logPath, { force: true });  // never point at a previous run's log
  const { headersDir, nodeDir } = findNodeHeaders();
  // Installed from the registry, deconv has no devDependencies and so no cmake-js; npm brings a
  // node-gyp of its own, which builds the same sources from binding.gyp. Said, never silent.
  if (!options.toolChosen && options.tool === 'cmake-js' && !hasLocal('cmake-js/bin/cmake-js') && process.env.npm_config_node_gyp) {
    console.log("deconv: cmake-js is not installed (it is a devDependency); building with npm's node-gyp and binding.gyp instead");
    options.tool = 'node-gyp';
  }
  const script = resolveToolScript(options.tool);
  if (options.tool === 'cmake-js') checkCMake();

  let mode;
  try {
    mode = oneDnnMode();
  } catch (error) {
    throw new BuildError(error.message);
  }
  const oneDnn = resolveOneDnn();
  if (!oneDnn.found && mode === 'required') throw new BuildError(`oneDNN is required (DECONV_ONEDNN=required): ${oneDnn.reason}`);
  console.log(`deconv: building ${describeOneDnn(oneDnn)}`);
  let cudaMode;
  try {
    cudaMode = cudnnMode();
  } catch (error) {
    throw new BuildError(error.message);
  }
  const cuda = resolveCuda();
  if (!cuda.found && cudaMode === 'required') throw new BuildError(`cuDNN is required (DECONV_CUDNN=required): ${cuda.reason}`);
  console.log(
    cuda.found
      ? `deconv: building the cuDNN backend against cuDNN ${cuda.cudnnVersion} / CUDA ${cuda.cudaVersion} headers from ${cuda.description}`
      : `deconv: building without cuDNN: ${cuda.reason}`,
  );

  const { args, stamp } = toolArguments(options.tool, nodeDir, options.clean, oneDnn, cuda);
  if (options.clean) rmSync(buildDir, { recursive: true, force: true });
  rmSync(configStampPath, { force: true });  // rewritten once this build succeeds

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
    // Never switch tools behind the user's back; say that the other one exists.
    let other = '';
    if (options.tool === 'cmake-js') {
      try {
        resolveToolScript('node-gyp');
        other = ' (node-gyp is installed too: `npm run build:native:gyp` builds with it)';
      } catch {
        // no alternative to mention
      }
    }
    throw new BuildError(`${options.tool} ${why}${other}`);
  }
  if (!existsSync(addonPath)) throw new BuildError(`${options.tool} finished but ${addonPath} is missing`);
  const status = checkAddon(oneDnn, cuda);
  if (stamp) writeFileSync(configStampPath, stamp);
  const backend = `${status.compiled ? `with oneDNN ${status.version}` : status.reason}; ${status.cudnn.compiled ? `with the cuDNN backend (cuDNN ${status.cudnn.version} headers)` : status.cudnn.reason}`;
  console.log(`deconv: built ${path.relative(root, addonPath)} with ${options.tool}, ${backend}`);
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
