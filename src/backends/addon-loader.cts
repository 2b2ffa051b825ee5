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
 * Loads `build/Release/deconv.node` from the package root, or the file named by DECONV_ADDON_PATH.
 * Never throws: a missing or broken build is a reason, not a crash.
 */
export function loadAddon(): AddonLoad {
  const override = process.env.DECONV_ADDON_PATH;
  const root = packageRoot();
  const file = override || (root ? path.join(root, 'build', 'Release', 'deconv.node') : undefined);
  if (!file) return { ok: false, reason: 'the deconv package root could not be found' };
  if (!fs.existsSync(file)) {
    return { ok: false, reason: `the native addon is not built (${file} does not exist; run \`npm run build:native\`)` };
  }
  try {
    return { ok: true, addon: require(file) as unknown, path: file };
  } catch (error) {
    return { ok: false, reason: `the native addon at ${file} failed to load: ${(error as Error).message}` };
  }
}
