// Real nats-server processes for tests: one JetStream server that can be stopped and started
// again on the same port and store (NATS going away and coming back), and a small JetStream
// cluster. Every process is killed by close(), and by a process 'exit' hook as a last resort, so
// a failing test leaves no server behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Debian's nats-server (v2.9.10); override with NATS_SERVER to try another build. */
const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';
const HOST = '127.0.0.1';
// a deadline, not a measurement: generous, so a loaded machine does not fail a test
const READY_TIMEOUT_MS = 30_000;
const LEADER_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
// Enough of the server's log to explain a failure without holding a chatty server's whole log.
const STDERR_LIMIT = 64 * 1024;

export interface NatsServer {
  /** "nats://127.0.0.1:PORT". */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory; it outlives stop() and start(). */
  readonly storeDir: string;
  /** Signals the server (SIGTERM: a clean JetStream shutdown) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory, so JetStream state survives. */
  start(): Promise<void>;
  /** SIGKILL: the server dies without flushing anything, like a crashed host. */
  kill(): Promise<void>;
  /** Stops the server and removes the temporary directories it was given. */
  close(): Promise<void>;
}

export interface NatsCluster {
  /** The servers, n1 first. */
  readonly servers: NatsServer[];
  /** Their client URLs, in the same order; pass them all as `servers` to connect(). */
  readonly urls: string[];
  close(): Promise<void>;
}

// Every live child and temporary directory, so the exit hooks can clean up what a failed test
// did not close.
const running = new Set<ChildProcess>();
const temporaryDirs = new Set<string>();
let exitHooksInstalled = false;

function killLeftovers(): void {
  // synchronous, as 'exit' handlers must be: kill() only sends the signal, which is all we need
  for (const leftover of running) leftover.kill('SIGKILL');
  for (const dir of temporaryDirs) {
    try {
      removeDir(dir);
    } catch {
      // best effort: the process is going away anyway
    }
  }
}

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.add(dir);
  return dir;
}

function removeDir(dir: string): void {
  temporaryDirs.delete(dir);
  // retries: a server killed a moment ago may still be letting go of its files
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killLeftovers);
  // vitest ends a forks-pool worker with SIGTERM, and a signal kills Node without 'exit'; so
  // kill the servers, then (unless someone else handles the signal) die of it as before
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      killLeftovers();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** A child process killed by the exit hooks if it outlives its owner, the tail of its stderr kept. */
export interface Child {
  readonly process: ChildProcess;
  /** Resolves once it has exited, or failed to start (spawnError then says why). */
  readonly exited: Promise<void>;
  /** How it ended (a signal's name, an exit code, the spawn error's message); undefined while it runs. */
  exit(): string | undefined;
  readonly spawnError: NodeJS.ErrnoException | undefined;
  /** The last STDERR_LIMIT characters it wrote to stderr. */
  stderr(): string;
  /** Signals it (SIGTERM by default), SIGKILL if it is still there after STOP_TIMEOUT_MS, and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `command` with stdin ignored and stderr kept; stdout is piped when `stdout` is set. */
export function spawnChild(command: string, args: string[], options: { stdout?: boolean } = {}): Child {
  installExitHooks();
  const child = spawn(command, args, { stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  });
  let exit: string | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? String(code);
      resolve();
    });
    // spawn failures (no binary) come as 'error' and may never bring an 'exit'
    child.once('error', (error) => {
      spawnError = error;
      exit = error.message;
      resolve();
    });
  }).then(() => void running.delete(child));
  return {
    process: child,
    exited,
    exit: () => exit,
    get spawnError() {
      return spawnError;
    },
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (exit !== undefined) return;
      child.kill(signal);
      // a child that ignores the signal is killed rather than left to hang the run
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nothing listens on right now: bind port 0, read what the kernel gave, let it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One nats-server process, started with fixed arguments each time, so a restart comes back
 * on the same ports and store.
 */
class NatsProcess implements NatsServer {
  readonly url: string;
  #child: Child | undefined;

  constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly args: string[],
    // temporary directories this server owns, removed by close()
    private readonly ownedDirs: string[],
  ) {
    this.url = `nats://${HOST}:${port}`;
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error(`nats-server on ${this.port} is already running`);
    const child = spawnChild(NATS_SERVER, this.args);
    this.#child = child;
    void child.exited.then(() => {
      if (this.#child === child) this.#child = undefined;
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.spawnError?.code === 'ENOENT') {
        throw new Error(`there is no nats-server at ${NATS_SERVER}: install one with JetStream (apt-get install nats-server) or point NATS_SERVER at one`);
      }
      if (child.exit() !== undefined) throw this.#failure(child, `exited (${child.exit()}) before accepting connections`);
      if (await acceptsConnections(this.port)) return;
      if (Date.now() > deadline) {
        await child.stop('SIGKILL');
        throw this.#failure(child, `did not accept connections within ${READY_TIMEOUT_MS} ms`);
      }
      await sleep(25);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.#child?.stop(signal);
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  async close(): Promise<void> {
    await this.stop();
    for (const dir of this.ownedDirs) removeDir(dir);
  }

  #failure(child: Child, what: string): Error {
    return new Error(`nats-server on ${this.port} ${what}; its log:\n${child.stderr()}`);
  }
}

/**
 * Starts one JetStream server on 127.0.0.1 and a free port, with its store in a fresh
 * temporary directory (or in `dir`, which is then the caller's to remove).
 */
export async function startNats(options: { dir?: string } = {}): Promise<NatsServer> {
  const storeDir = options.dir ?? temporaryDir('grove-nats-');
  const port = await freePort();
  const server = new NatsProcess(port, storeDir, ['-a', HOST, '-p', String(port), '-js', '-sd', storeDir], options.dir ? [] : [storeDir]);
  try {
    await server.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

/**
 * Starts `size` JetStream servers (n1, n2, …) routed into one cluster "grove", and resolves once
 * JetStream has a meta leader, so streams can be created straight away.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = temporaryDir('grove-nats-cluster-');
  const clientPorts: number[] = [];
  const clusterPorts: number[] = [];
  // ask for all ports before starting anything, so no server is given a port another just took
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    clusterPorts.push(await freePort());
  }
  const routeUrl = (i: number) => `nats://${HOST}:${clusterPorts[i]}`;
  const servers = clientPorts.map((port, i) => {
    const storeDir = join(root, `n${i + 1}`);
    const routes = clusterPorts.flatMap((_, j) => (j === i ? [] : [routeUrl(j)])).join(',');
    const args = ['-a', HOST, '-p', String(port), '-js', '-sd', storeDir, '--server_name', `n${i + 1}`];
    args.push('--cluster_name', 'grove', '--cluster', routeUrl(i), '--routes', routes);
    return new NatsProcess(port, storeDir, args, []);
  });
  const cluster: NatsCluster = {
    servers,
    urls: servers.map((server) => server.url),
    async close() {
      await Promise.all(servers.map((server) => server.close()));
      removeDir(root);
    },
  };
  try {
    // together: each server waits for its routes, and a meta leader needs a quorum
    await Promise.all(servers.map((server) => server.start()));
    await waitForJetStream(cluster.urls);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Retries a JetStream API call until one succeeds: the cluster has elected a meta leader. */
async function waitForJetStream(urls: string[]): Promise<void> {
  const nc = await connect({ servers: urls, timeout: 2_000 });
  const deadline = Date.now() + LEADER_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        // jetstreamManager() itself asks for account info (checkAPI), and fails without a leader
        const jsm = await jetstreamManager(nc, { timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`JetStream had no leader within ${LEADER_TIMEOUT_MS} ms: ${(error as Error).message}`);
        }
        await sleep(100);
      }
    }
  } finally {
    await nc.close();
  }
}
