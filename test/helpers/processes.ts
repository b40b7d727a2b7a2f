// `grove serve` in child processes, for tests that stop stations the hard way (SIGTERM,
// SIGKILL) and start them again on their data directories.
import { type ChildProcess, spawn } from 'node:child_process';

const MAIN = 'dist/src/cli/main.js';

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends `signal` and resolves once the process is gone. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const running = new Set<ServeProcess>();

/** Starts `grove serve --port 0 ...args`; resolves once it listens. */
export function serve(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--rate-limit', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /grove station listening on (http:\/\/\S+)\n/.exec(output);
      if (!match) return;
      const station: ServeProcess = {
        url: match[1]!,
        child,
        stop: (signal) => {
          running.delete(station);
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      running.add(station);
      resolve(station);
    });
    child.once('exit', (code, signal) => reject(new Error(`grove serve exited (${signal ?? code}) before it listened: ${output}`)));
  });
}

/** Kills every station still running (for afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((station) => station.stop('SIGKILL')));
}
