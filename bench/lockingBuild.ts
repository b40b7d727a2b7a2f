// The locking build (the benchmarks' baseline) is built here, when a benchmark needs it, and
// never at install: `scripts/build-native.mjs --locking` (an incremental build, ~1 s once made).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../src/packageRoot.js';

export function buildLockingAddon(): void {
  const result = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'build-native.mjs'), '--locking'], {
    cwd: packageRoot,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`the locking build failed (scripts/build-native.mjs --locking):\n${output}`);
  }
}
