// Running the compiled `grove` command (run `npm run build:ts` first) from tests.
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export const MAIN = 'dist/src/cli/main.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with only the environment given (no GROVE_URL or GROVE_TOKEN leaking in);
 * `node` options go to Node itself (test/fixtures/max-rss.mjs reports the peak memory).
 */
export function grove(args: string[], env: Record<string, string> = {}, node: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...node, MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Fails early, and says why, when dist/ is older than the sources the CLI runs. */
export async function checkBuilt(): Promise<void> {
  const built = await stat(MAIN).catch(() => undefined);
  if (built === undefined) throw new Error(`${MAIN} is missing: run "npm run build:ts" first`);
  for (const folder of ['src/cli', 'src/codec', 'bench/workers']) {
    for (const entry of await readdir(folder, { recursive: true })) {
      if (!entry.endsWith('.ts')) continue;
      const source = join(folder, entry);
      const output = join('dist', source.replace(/\.ts$/, '.js'));
      const [sourceTime, outputTime] = await Promise.all([stat(source), stat(output).catch(() => undefined)]);
      if (outputTime === undefined || outputTime.mtimeMs < sourceTime.mtimeMs) {
        throw new Error(`${relative('.', output)} is older than ${source}: run "npm run build:ts" first`);
      }
    }
  }
}

/**
 * A subtree's typed JSON as copies of it compare: its own name left out, and the names the
 * tree generated for unnamed children ("#<id>") written as "#".
 */
export function copyContent(tree: { exportJSON(path: string, format: 'typed'): string }, path: string): unknown {
  const strip = (node: { name: string; children?: unknown[] }): unknown => ({
    ...node,
    name: /^#\d+$/.test(node.name) ? '#' : node.name,
    ...(node.children ? { children: node.children.map((child) => strip(child as never)) } : {}),
  });
  return { ...(strip(JSON.parse(tree.exportJSON(path, 'typed'))) as object), name: '' };
}
