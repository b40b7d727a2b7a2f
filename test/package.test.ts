// The package as a user gets it (issue 17): `npm pack` (which builds dist/ and the prebuilt
// binary), then `npm install` of the tarball into a fresh folder where cmake, the compilers,
// ninja, make and tsc are commands that fail, so only what the tarball ships can make it work.
// The install script is allowed to run, as npm 10 (Node 20's) runs it unasked. Then the
// installed package is used as a user would: `npx grove --help`, and a script importing
// grove, grove/client and grove/station that starts a station and talks to it.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/wire/errors.js';

const repo = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'grove-package-'));
const app = join(work, 'app');
const shims = join(work, 'shims');
const shimCalls = join(work, 'shim-calls.log');
const TOOLCHAIN = ['cmake', 'g++', 'gcc', 'c++', 'cc', 'clang', 'clang++', 'ninja', 'make', 'tsc'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** This environment without npm's own variables (the suite may run under `npm test`) and without any node_modules/.bin. */
function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_|^INIT_CWD$/i.test(name)));
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules'));
  return { ...env, PATH: [shims, ...path].join(delimiter), ...extra };
}

function run(command: string, args: string[], cwd: string, env = cleanEnvironment()): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

let tarball = '';
let packed: string[] = [];
let install: Run;

beforeAll(async () => {
  mkdirSync(shims);
  for (const tool of TOOLCHAIN) {
    const file = join(shims, tool);
    writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> '${shimCalls}'\necho "${tool} is not available in this test" >&2\nexit 127\n`);
    chmodSync(file, 0o755);
  }
  // packed with the real toolchain: the prebuilt binary is made here, as a release would make it
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], repo, { ...cleanEnvironment(), PATH: process.env.PATH! });
  expect(pack.code, `npm pack failed:\n${pack.stderr}`).toBe(0);
  const [report] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, report!.filename);
  packed = report!.files.map((file) => file.path);

  mkdirSync(app);
  const manifest = { name: 'grove-user', private: true, type: 'module', allowScripts: { [`file:${tarball}`]: true } };
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], app);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships what runs and nothing else: no tests, benchmarks, sources or CI', () => {
    expect(packed).toContain(`prebuilds/${process.platform}-${process.arch}/grove.napi.node`);
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/client/node.js', 'dist/src/station/index.d.ts', 'web/index.html', 'scripts/install.mjs']) {
      expect(packed).toContain(file);
    }
    // the sources of a build from source, but not the core's C++ tests
    expect(packed).toContain('CMakeLists.txt');
    expect(packed.some((file) => file.startsWith('native/') && file.endsWith('.cpp'))).toBe(true);
    const unwanted = packed.filter((file) =>
      /^(test|bench|src|\.ci|native\/test|dist\/bench|build|build-locking)\//.test(file) || /\.(map|ts)$/.test(file.replace(/\.d\.ts$/, '')) || file === 'tsconfig.json',
    );
    expect(unwanted).toEqual([]);
  });

  it('installs into a fresh project without a compiler or TypeScript, and without warnings about Node', () => {
    expect(install.code, `npm install failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
    // the install script ran, found the prebuilt binary loading, and built nothing
    expect(install.stdout + install.stderr).toMatch(/grove: the addon loads \(.*prebuilds\/linux-x64\/grove\.napi\.node\); nothing to build/);
    expect(existsSync(shimCalls) ? readFileSync(shimCalls, 'utf8') : '').toBe('');
    expect(install.stderr).not.toContain('EBADENGINE');
  });

  it('links an executable `grove` that answers --help', async () => {
    // --no: fail rather than fetch some other "grove" when none is linked
    const help = await run('npx', ['--no', '--', 'grove', '--help'], app);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: grove COMMAND');
    const serveHelp = await run('npx', ['--no', '--', 'grove', 'serve', '--help'], app);
    expect(serveHelp.stdout).toContain('[$GROVE_PORT]');
  });

  it('imports grove, grove/client and grove/station, and a station it starts answers the client, /healthz and /metrics', async () => {
    writeFileSync(join(app, 'use.mjs'), USER_SCRIPT);
    const used = await run(process.execPath, ['use.mjs'], app);
    expect(used.stderr).toBe('');
    expect(used.code).toBe(0);
    const report = JSON.parse(used.stdout);
    expect(report.local).toEqual({ config: { name: 'station-1' }, stats: { hits: 1 } });
    expect(report.greeting).toBe('hello');
    expect(report.changed).toEqual({ path: 'greeting', op: 'add', value: 'hello' });
    expect(report.gold).toBe(5);
    expect(report.unsigned).toBe(ErrorCode.Forbidden);
    expect(report.health).toEqual({ status: 200, body: { status: 'ok' } });
    expect(report.ready).toBe(200);
    expect(report.metrics.status).toBe(200);
    expect(report.metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(report.metrics.sets).toBe(2);
    expect(report.metrics.batches).toBeGreaterThanOrEqual(1);
    expect(report.metrics.nodes).toBe(3);
  });
});

// What a user's program does with the installed package: the tree in-process, then a station
// with a data directory and an owned subtree, the Node client over WebSocket (no WebSocket
// passed in: Node 20 has none of its own), a signed write, and the operations endpoints.
const USER_SCRIPT = `
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyOf, Tree } from 'grove';
import { createClient } from 'grove/client';
import { signWrite, startStation } from 'grove/station';

const tree = Tree.create();
tree.set('config/name', 'station-1');
tree.set('stats/hits', 0n, 'u64');
tree.node('stats/hits').increment();
const local = tree.get('');
tree.close();

const dir = mkdtempSync(join(tmpdir(), 'grove-user-'));
const secret = new Uint8Array(32).fill(7);
const rulesFile = join(dir, 'rules.json');
writeFileSync(rulesFile, JSON.stringify({ owners: { vault: Buffer.from(publicKeyOf(secret)).toString('hex') } }));
const station = await startStation({ port: 0, data: join(dir, 'data'), rulesFile });
const client = createClient({ url: station.url, transport: 'ws' });
try {
  const changes = [];
  await client.subscribe('greeting', (change) => changes.push(change));
  await client.set('greeting', 'hello');
  const greeting = await client.get('greeting');
  while (changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const { path, op, value } = changes[0];
  await client.call('tree.set', signWrite(secret, 'tree.set', { path: 'vault/gold', value: 5 }, 1));
  const gold = await client.get('vault/gold');
  const unsigned = await client.set('vault/gold', 6).then(() => 0, (error) => error.code);
  const health = await fetch(station.url + '/healthz');
  const ready = await fetch(station.url + '/readyz');
  const metrics = await fetch(station.url + '/metrics');
  const text = await metrics.text();
  const sample = (pattern) => Number(new RegExp('^' + pattern + ' (\\\\S+)$', 'm').exec(text)?.[1]);
  console.log(JSON.stringify({
    local,
    greeting,
    changed: { path, op, value },
    gold,
    unsigned,
    health: { status: health.status, body: await health.json() },
    ready: ready.status,
    metrics: {
      status: metrics.status,
      type: metrics.headers.get('content-type'),
      sets: sample('grove_rpc_calls_total\\\\{method="tree.set",transport="ws",code="0"\\\\}'),
      batches: sample('grove_wal_batch_records_count'),
      nodes: sample('grove_tree_nodes'),
    },
  }));
} finally {
  client.close();
  await station.close();
}
`;
