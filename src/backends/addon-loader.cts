// Loads the compiled addon. Written as CommonJS on purpose: `require` and `__dirname` exist here in
// both the ESM and the CommonJS build of the package, so one file finds build/Release for both.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof import('node:fs') = require('node:fs');
const path: typeof import('node:path') = require('node:path');

/** Finds the package root (the nearest folder up from here whose package.json is named deconv). */
function packageRoot(): string | undefined {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'deconv') return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The outcome of trying to load the addon: the module, or why it could not be loaded. */
export type AddonLoad = { ok: true; addon: unknown; path: string } | { ok: false; reason: string };

/**
 * Loads the addon: DECONV_ADDON_PATH if set, else build/Release then build/Debug under the
 * package root. Never throws: when nothing loads, the reason lists what was tried and what went
 * wrong with each, and what to do about it.
 */
export function loadAddon(): AddonLoad {
  const root = packageRoot();
  const override = process.env.DECONV_ADDON_PATH;
  const candidates = override
    ? [override]
    : root
      ? [path.join(root, 'build', 'Release', 'deconv.node'), path.join(root, 'build', 'Debug', 'deconv.node')]
      : [];
  if (candidates.length === 0) return { ok: false, reason: 'the deconv package root could not be found' };
  const failures: string[] = [];
  for (const file of candidates) {
    if (!fs.existsSync(file)) {
      failures.push(`${file}: not built`);
      continue;
    }
    try {
      return { ok: true, addon: require(file) as unknown, path: file };
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return {
    ok: false,
    reason:
      `the native addon could not be loaded (${failures.join('; ')}). ` +
      'To build it run `npm run build:native` in the package folder (it needs a C++17 compiler and ' +
      'cmake; oneDNN is fetched on the way); `npm run build:native -- --verbose` shows the build log.',
  };
}
