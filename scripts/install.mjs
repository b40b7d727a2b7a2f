#!/usr/bin/env node
// What `npm install` runs for grove (package.json "install"):
// - in a checkout (tsconfig.json is there, prebuilds are not): builds the addon from source and
//   the TypeScript, as `npm run build` does;
// - in the installed package: nothing when the prebuilt binary for this platform loads here;
//   a source build when none matches or it does not load (an older glibc, musl), or when asked
//   with `npm install --build-from-source` (or `npm rebuild grove --build-from-source`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { buildAddon, packageRoot } from './build-native.mjs';

/** Loads the addon in a fresh process, through the one loader (dist/src/native.js): the file it loaded, or why it could not. */
function tryLoad() {
  const loader = pathToFileURL(join(packageRoot, 'dist', 'src', 'native.js')).href;
  const env = { ...process.env };
  delete env.GROVE_VARIANT;
  const script = `const { addonFile } = await import(${JSON.stringify(loader)}); process.stdout.write(addonFile);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (result.status === 0) return { file: result.stdout };
  const message = /^\w*Error: (.*)$/m.exec(result.stderr)?.[1];
  return { problem: message ?? (result.stderr.trim().split('\n').at(-1) || `node exited with ${result.status}`) };
}

/** `--build-from-source`, or `--build-from-source=grove,...` naming this package (npm passes either on as npm_config_build_from_source). */
function buildFromSourceAsked() {
  const asked = process.env.npm_config_build_from_source ?? '';
  return asked === 'true' || asked.split(',').includes('grove');
}

function fail(message) {
  console.error(`grove: ${message}`);
  process.exit(1);
}

try {
  if (existsSync(join(packageRoot, 'tsconfig.json'))) {
    buildAddon();
    const tsc = createRequire(join(packageRoot, 'package.json')).resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: packageRoot, stdio: ['ignore', process.stderr, process.stderr] });
    if (result.status !== 0) fail('building the TypeScript (tsc -p tsconfig.json) failed');
  } else {
    const asked = buildFromSourceAsked();
    const before = asked ? undefined : tryLoad();
    if (before?.file) {
      console.error(`grove: the addon loads (${before.file}); nothing to build`);
      process.exit(0);
    }
    console.error(asked ? 'grove: building the addon from source, as asked' : `grove: ${before.problem}; building it from source`);
    const built = buildAddon();
    const after = tryLoad();
    if (after.problem) fail(`the addon built from source (${built}) does not load: ${after.problem}`);
    console.error(`grove: the addon loads (${after.file})`);
  }
} catch (error) {
  fail(error.message);
}
