// Where grove's package.json is: one folder up from src/ (a checkout, as the tests run it),
// two from dist/src/ (the build, and the installed package).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function manifestIn(dir: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

export const packageRoot: string = [join(here, '..'), join(here, '..', '..')].find((dir) => manifestIn(dir)?.name === 'grove')!;

export const packageVersion: string = manifestIn(packageRoot)!.version!;
