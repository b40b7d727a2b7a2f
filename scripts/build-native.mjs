#!/usr/bin/env node
// Builds the native addon with cmake-js (it needs cmake >= 3.20, a C++20 compiler and ninja
// or make). Where each build is written must match where src/native.ts looks for it:
//   node scripts/build-native.mjs             build/Release/grove.node, a source build (preferred by the loader)
//   node scripts/build-native.mjs --locking   build-locking/Release/grove_locked.node, the benchmarks' baseline
//   node scripts/build-native.mjs --testing   build-testing/Release/grove_test.node, with the faults tests inject
//                                             (include/grove/test_hooks.h); test/ builds it on demand
//   node scripts/build-native.mjs --prebuild  the source build, copied to prebuilds/<platform>-<arch>/grove.napi.node,
//                                             the binary the package ships (npm pack runs this)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const BUILDS = {
  lockless: { target: 'grove_addon', out: 'build', file: 'grove.node' },
  locking: { target: 'grove_locked_addon', out: 'build-locking', file: 'grove_locked.node' },
  testing: { target: 'grove_test_addon', out: 'build-testing', file: 'grove_test.node' },
};

/** Where the package's prebuilt binary for this platform goes (N-API: one binary serves every Node). */
export const prebuiltFile = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'grove.napi.node');

/** Compiles one build with cmake-js, its output going to this process's stderr; throws if it fails. */
export function buildAddon(variant = 'lockless') {
  const { target, out, file } = BUILDS[variant];
  // cmake-js is a dependency: found from the package, wherever npm put it
  const cmakeJs = createRequire(join(packageRoot, 'package.json')).resolve('cmake-js/bin/cmake-js');
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', out, '--target', target], {
    cwd: packageRoot,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    throw new Error(
      `building the ${variant} addon from source failed (${result.error?.message ?? `cmake-js exited with ${result.status}`}). ` +
        'It needs cmake 3.20 or newer, a C++20 compiler (g++ 11+ or clang 14+) and ninja or make on the PATH.',
    );
  }
  return join(packageRoot, out, 'Release', file);
}

/** Builds the addon and copies it to prebuilds/<platform>-<arch>/, replacing the file in one step. */
export function prebuild() {
  const built = buildAddon('lockless');
  mkdirSync(dirname(prebuiltFile), { recursive: true });
  copyFileSync(built, `${prebuiltFile}.tmp`);
  renameSync(`${prebuiltFile}.tmp`, prebuiltFile);
  return prebuiltFile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [flag, ...rest] = process.argv.slice(2);
  const usage = 'usage: node scripts/build-native.mjs [--locking | --testing | --prebuild]';
  const variants = { '--locking': 'locking', '--testing': 'testing' };
  if (rest.length > 0 || (flag !== undefined && !Object.hasOwn(variants, flag) && flag !== '--prebuild')) {
    console.error(usage);
    process.exit(2);
  }
  try {
    const written = flag === '--prebuild' ? prebuild() : buildAddon(variants[flag] ?? 'lockless');
    console.error(`grove: built ${written}`);
  } catch (error) {
    console.error(`grove: ${error.message}`);
    process.exit(1);
  }
}
