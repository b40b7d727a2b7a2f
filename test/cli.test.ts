// The compiled `grove` command (run `npm run build:ts` first) against real stations started
// in this process: usage and exit codes, every remote command, chunked import with progress,
// bad documents, tokens, and `grove serve` itself.
import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Station, startStation } from '../src/station/server.js';
import { checkBuilt, grove, MAIN } from './helpers/cli.js';
import { ErrorCode } from '../src/wire/errors.js';

const MiB = 1024 * 1024;

/** Counts the station's POST /rpc requests and the largest body among them. */
function countRequests(station: Station): { requests: number; largestBody: number } {
  const counter = { requests: 0, largestBody: 0 };
  station.app.server.on('request', (request: IncomingMessage) => {
    if (request.method !== 'POST' || request.url !== '/rpc') return;
    counter.requests++;
    counter.largestBody = Math.max(counter.largestBody, Number(request.headers['content-length'] ?? 0));
  });
  return counter;
}

/** A subtree's typed export with its own name left out, for comparing copies. */
function typedContent(station: Station, path: string): unknown {
  return { ...(JSON.parse(station.tree.exportJSON(path, 'typed')) as object), name: '' };
}

let station: Station;
let url: string;
let dir: string;
let rpc: { requests: number; largestBody: number };

beforeAll(async () => {
  await checkBuilt();
  station = await startStation({ port: 0, stationId: 'cli-test' });
  url = station.url;
  rpc = countRequests(station);
  dir = await mkdtemp(join(tmpdir(), 'grove-cli-'));
});

afterAll(async () => {
  await station?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('usage', () => {
  const commands = ['serve', 'get', 'set', 'list', 'info', 'export', 'import'];

  it('shows --help for every command, with options, defaults and an example', async () => {
    const runs = await Promise.all(commands.map((command) => grove([command, '--help'])));
    runs.forEach(({ code, stdout }, i) => {
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: grove ${commands[i]} `));
      expect(stdout).toContain('-h, --help');
      expect(stdout).toMatch(/\(default: /);
      expect(stdout).toMatch(/\nExamples?:\n  grove /);
    });
    const [overview, short, topic] = await Promise.all([
      grove(['--help']),
      grove(['set', '-h']),
      grove(['help', 'list']),
    ]);
    expect(overview.code).toBe(0);
    for (const command of commands) expect(overview.stdout).toContain(`  ${command} `);
    expect(short.stdout).toMatch(/^Usage: grove set \[URL\] PATH VALUE/);
    expect(topic.stdout).toMatch(/^Usage: grove list/);
  });

  it('exits 2 with a pointer to --help for an unknown command, option or missing argument', async () => {
    const [command, option, missing, badNumber, none] = await Promise.all([
      grove(['fetch', 'a']),
      grove(['get', url, 'a', '--colour']),
      grove(['set', url, 'a']),
      grove(['list', url, '--limit', 'ten']),
      grove([]),
    ]);
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(command.stderr).toContain('unknown command "fetch"; the commands are serve, get, set');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('grove get: unknown option --colour');
    expect(option.stderr).toContain('Run "grove get --help" for usage.');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing VALUE');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('--limit must be a whole number, 1 or more; got "ten"');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: grove COMMAND');
    expect(rpc.requests).toBe(0);
  });

  it('explains cluster options that cannot work before it starts anything', async () => {
    const [leaseAlone, badId, noNats] = await Promise.all([
      grove(['serve', '--memory', '--lease', '100']),
      grove(['serve', '--memory', '--port', '0', '--cluster', 'nats://127.0.0.1:1', '--station-id', 'a.b']),
      grove(['serve', '--memory', '--port', '0', '--cluster', 'nats://127.0.0.1:1', '--station-id', 'a']),
    ]);
    expect(leaseAlone.code).toBe(2);
    expect(leaseAlone.stderr).toContain('--lease needs --cluster');
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain('station id "a.b" must be 1 to 64 letters, digits, "_" or "-"');
    expect(noNats.code).toBe(1);
    expect(noNats.stderr).toContain('cannot reach NATS at nats://127.0.0.1:1');
  });
});

describe('remote commands', () => {
  it('sets, gets, lists and reports over HTTP', async () => {
    // the members whose order the listing checks first, then the rest at once
    const first = await grove(['set', url, 'app', '{"name": "station one", "port": 7070, "debug": false, "offset": -12}']);
    expect(first.stderr).toMatch(/^set app \(version \d+\)\n$/);
    const rest = await Promise.all([
      grove(['set', url, 'app/tags', '["a", "b"]']),
      grove(['set', url, 'app/quoted', '42', '--string']),
      grove(['set', url, 'app/hits', '18446744073709551615', '--type', 'u64']),
      grove(['set', url, 'app/ratio', '0.5', '--type', 'f32']),
      grove(['set', url, 'negative', '-5']),
    ]);
    for (const run of [first, ...rest]) expect(run).toMatchObject({ code: 0, stdout: '' });
    const get = await grove(['get', url, '/app']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({
      name: 'station one',
      port: 7070,
      debug: false,
      offset: -12,
      tags: ['a', 'b'],
      quoted: '42',
      hits: '18446744073709551615',
      ratio: 0.5,
    });
    const [typed, negative] = await Promise.all([
      grove(['get', url, 'app/hits', '--format', 'typed']),
      grove(['get', url, 'negative']),
    ]);
    expect(JSON.parse(typed.stdout)).toEqual({ name: 'hits', type: 'u64', value: '18446744073709551615' });
    expect(negative.stdout).toBe('-5\n');

    const [list, listJson, info, infoJson] = await Promise.all([
      grove(['list', url, 'app', '--offset', '1', '--limit', '2']),
      grove(['list', url, 'app', '--json']),
      grove(['info', url]),
      grove(['info', url, '--json']),
    ]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +TYPE +ID +CHILDREN$/);
    expect(lines[1]).toMatch(/^port +i64 +\d+ +0$/);
    expect(lines[2]).toMatch(/^debug +bool +\d+ +0$/);
    expect(lines[3]).toBe('(2–3 of 8; --offset 3 for more)');
    const { total, children } = JSON.parse(listJson.stdout);
    expect(total).toBe(8);
    expect(children).toContainEqual(expect.objectContaining({ name: 'tags', type: 'list', childCount: 2 }));
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^id +cli-test$/m);
    expect(JSON.parse(infoJson.stdout)).toMatchObject({ id: 'cli-test' });
  });

  it('takes the station from GROVE_URL, and explains failures without a stack', async () => {
    await grove(['set', url, 'env/x', '1']);
    expect(JSON.parse((await grove(['get', 'env/x'], { GROVE_URL: url })).stdout)).toBe(1);

    const missing = await grove(['get', url, 'no/such/node']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^grove get: tree\\.get failed: .*NotFound ${ErrorCode.NotFound}`));
    expect(missing.stderr).not.toContain('    at ');

    const closed = await startStation({ port: 0 });
    const closedUrl = closed.url;
    await closed.close();
    const refused = await grove(['info', closedUrl]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is a station running at ${closedUrl}?`);
  });

  it('refuses a big integer it would round, before sending it', async () => {
    const before = rpc.requests;
    const run = await grove(['set', url, 'big', '[12345678901234567890]']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('beyond ±2^53');
    expect(rpc.requests).toBe(before);
  });
});

describe('export and import', () => {
  /** A few thousand nodes of every kind, over 1 MiB as typed JSON: more than one request holds. */
  function fillSource(): number {
    const tree = station.tree;
    const padding = 'x'.repeat(700);
    tree.set('source', {});
    let nodes = 0;
    for (let i = 0; i < 1500; i++) {
      tree.set(`source/items/item ${i}`, { label: `${padding} ${i}`, index: i });
      nodes += 3;
    }
    tree.set('source/types/u64', 18446744073709551615n, 'u64');
    tree.set('source/types/i8', -128, 'i8');
    tree.set('source/types/f32', Math.fround(0.1), 'f32');
    tree.set('source/types/nan', NaN, 'f64');
    tree.set('source/types/negative zero', -0, 'f64');
    tree.set('source/types/bytes', new Uint8Array([0, 255, 16]));
    tree.set('source/types/nothing', null, 'null');
    tree.set('source/list', [1, 'two', { three: 3 }, [4]]);
    return nodes + 1 + 8 + 7; // items; types and its 7; list, its 4 items and their 2
  }

  it('round-trips a typed export through an import of several requests, type for type', async () => {
    const nodes = fillSource();
    const file = join(dir, 'source.json');
    const exported = await grove(['export', url, 'source', '--out', file]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(new RegExp(`^exported ${(nodes + 1).toLocaleString('en-US')} nodes, [\\d,]+ bytes, to .*source\\.json in `));
    expect((await stat(file)).size).toBeGreaterThan(MiB);

    const before = rpc.requests;
    rpc.largestBody = 0;
    const imported = await grove(['import', url, 'copy/of/source', file]);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(
      new RegExp(`^imported ${nodes.toLocaleString('en-US')} nodes into copy/of/source in \\d+ requests \\(`),
    );
    expect(rpc.requests - before).toBeGreaterThan(1);
    expect(rpc.largestBody).toBeLessThanOrEqual(MiB);
    expect(typedContent(station, 'copy/of/source')).toEqual(typedContent(station, 'source'));

    const plainOut = await grove(['export', url, 'copy/of/source/types', '--format', 'plain']);
    expect(JSON.parse(plainOut.stdout)).toMatchObject({ u64: '18446744073709551615', nan: 'NaN', i8: -128 });
  });

  it('shows progress with --progress and replaces what was at the path', async () => {
    const file = join(dir, 'progress.json');
    await writeFile(file, (await grove(['export', url, 'source'])).stdout);
    station.tree.set('progress/stale', 1);
    const run = await grove(['import', url, 'progress', file, '--progress', '--max-request', '65536']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    const checking = lines.filter((line) => line.startsWith('checking '));
    const importing = lines.filter((line) => line.startsWith('importing '));
    expect(lines).toEqual([...checking, ...importing, lines.at(-1)]);
    // from the first byte: bytes and nodes, of their totals where known, rates, and what is left
    expect(checking[0]).toMatch(/^checking 0 B of [\d.]+ MB \(0%\), 0 nodes, 0\.0 MB\/s, 0 nodes\/s$/);
    expect(importing[0]).toMatch(/^importing 0 B of [\d.]+ MB \(0%\), 0 of [\d,]+ nodes, 0\.0 MB\/s, 0 nodes\/s$/);
    expect(importing.length).toBeGreaterThan(2);
    for (const line of importing.slice(1, -1)) {
      expect(line).toMatch(/^importing [\d.]+ [kM]?B of [\d.]+ MB \(\d+%\), [\d,]+ of [\d,]+ nodes, [\d.]+ MB\/s, [\d,]+ nodes\/s(, ETA [\d a-z]+)?$/);
    }
    expect(importing.at(-1)).toMatch(/\(100%\), ([\d,]+) of \1 nodes/);
    expect(lines.at(-1)).toMatch(/^imported [\d,]+ nodes into progress in \d+ requests \([\d.]+ s, [\d,]+ nodes\/s, [\d.]+ [kM]?B\)$/);
    expect(station.tree.tryNode('progress/stale')).toBeUndefined();
    expect(typedContent(station, 'progress')).toEqual(typedContent(station, 'source'));
  });

  it('imports plain JSON from standard input', async () => {
    const child = spawn(process.execPath, [MAIN, 'import', url, 'stdin', '-', '--format', 'plain'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    child.stdin.end('{"a": [1, 2.5, "x"], "b": {"c": 18446744073709551615}}');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(station.tree.get('stdin')).toEqual({ a: [1, 2.5, 'x'], b: { c: '18446744073709551615' } });
  });

  it('splits lists of unnamed items (plain JSON) across requests in order', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ i, name: `row ${i}`, tags: ['a', i] }));
    const file = join(dir, 'rows.json');
    await writeFile(file, JSON.stringify({ rows }));
    const run = await grove(['import', url, 'rows', file, '--format', 'plain', '--max-request', '4096']);
    expect(run.stderr).toMatch(/^imported 2,401 nodes into rows in \d+ requests/);
    expect(run.code).toBe(0);
    expect(station.tree.get('rows')).toEqual({ rows });
  });

  it('rejects a bad document with its position, and sends nothing', async () => {
    const file = join(dir, 'bad.json');
    const good = JSON.parse(await readFile(join(dir, 'source.json'), 'utf8'));
    good.children[1].children[1].value = 256; // source/types/i8
    const text = JSON.stringify(good, null, 1);
    await writeFile(file, text);
    const before = rpc.requests;
    const run = await grove(['import', url, 'bad', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^grove import: .*bad\.json is not a valid typed document: /);
    expect(run.stderr).toMatch(/ \(at \/children\/1\/children\/1, line \d+, column \d+\)\n$/);
    expect(rpc.requests).toBe(before);
    expect(station.tree.tryNode('bad')).toBeUndefined();
  });
});

describe('tokens', () => {
  let guarded: Station;

  beforeAll(async () => {
    guarded = await startStation({ port: 0, tokens: ['s3cret'] });
  });

  afterAll(() => guarded?.close());

  it('sends --token or GROVE_TOKEN as the bearer token, and says what to do without one', async () => {
    const none = await grove(['set', guarded.url, 'a', '1']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Unauthenticated -32006');
    expect(none.stderr).toContain('pass a token with --token or GROVE_TOKEN');
    expect((await grove(['set', guarded.url, 'a', '1', '--token', 's3cret'])).code).toBe(0);
    const env = await grove(['get', guarded.url, 'a'], { GROVE_TOKEN: 's3cret' });
    expect(env).toMatchObject({ code: 0, stdout: '1\n' });
    expect((await grove(['get', guarded.url, 'a', '--token', 'wrong'])).code).toBe(1);
  });
});

describe('grove serve', () => {
  /** `grove serve` as a child: its URL once it listens, what it wrote to stderr, and its exit. */
  async function serve(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [MAIN, 'serve', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /^grove station listening on (http:\/\/\S+)\n/.exec(output);
        if (match) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`serve exited before listening: ${output}${stderr}`)));
    });
    return { child, url, exited, stderr: () => stderr };
  }

  it('prints its URL once listening and closes on SIGTERM', async () => {
    const { child, url: served, exited } = await serve(['--memory', '--port', '0', '--station-id', 'served', '--token', 't1']);
    const info = await grove(['info', served, '--json', '--token', 't1']);
    expect(JSON.parse(info.stdout)).toMatchObject({ id: 'served' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('takes every option from its GROVE_ variable, the command line first, and logs JSON lines without tokens', async () => {
    const { child, url: served, exited, stderr: logged } = await serve(['--station-id', 'from-flag'], {
      GROVE_PORT: '0',
      GROVE_MEMORY: 'yes',
      GROVE_STATION_ID: 'from-env',
      GROVE_TOKEN: 'env-token-1,env-token-2',
      GROVE_RATE_LIMIT: '0',
      GROVE_LOG_LEVEL: 'debug',
    });
    // the flag won over GROVE_STATION_ID; both tokens of GROVE_TOKEN are accepted
    const info = await grove(['info', served, '--json', '--token', 'env-token-2']);
    expect(JSON.parse(info.stdout)).toMatchObject({ id: 'from-flag' });
    expect((await grove(['get', served, 'x'], { GROVE_TOKEN: 'env-token-1' })).stderr).toContain('NotFound');
    expect((await fetch(`${served}/events?path=x&since=soon&token=env-token-1`)).status).toBe(400);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const stderr = logged();
    const lines = stderr.trimEnd().split('\n').map((line) => JSON.parse(line));
    for (const line of lines) {
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).toContain(line.level);
    }
    expect(lines.find((line) => line.msg.startsWith('Server listening at'))?.level).toBe('info');
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.every((line) => line.level === 'debug')).toBe(true);
    expect(requests.map((line) => line.req.url)).toContain('/events?path=x&since=soon&token=[masked]');
    expect(lines.find((line) => line.msg.startsWith('closing the station'))).toMatchObject({ level: 'info', signal: 'SIGTERM' });
    expect(stderr).not.toContain('env-token');
  });

  it('refuses an environment variable it cannot use, naming it', async () => {
    const demo = await grove(['serve', '--memory'], { GROVE_DEMO: 'maybe' });
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('$GROVE_DEMO must be true or false (1 or 0, yes or no) for --demo; got "maybe"');
    const port = await grove(['serve', '--memory'], { GROVE_PORT: 'eighty' });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('$GROVE_PORT (--port) must be a whole number, 0 to 65535; got "eighty"');
    const level = await grove(['serve', '--memory', '--log-level', 'loud']);
    expect(level.stderr).toContain('--log-level must be fatal, error, warn, info, debug, trace or silent; got "loud"');
  });
});
