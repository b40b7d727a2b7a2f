// What a station must not give away (README "Security"): a token in an /events URL is never
// written to the request log; change events name the writer by the token's configured name,
// or "open", never by anything derived from the token; station.info needs a grant (`"info":
// true`, or read access at the root). The cluster's share (cluster.info, routing after
// authentication, signed migrations) is in station-security-cluster.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { errorOf, openStation, resultOf, WsClient, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const MAIN = 'dist/src/cli/main.js';
const FORBIDDEN = ErrorCode.Forbidden;

describe('grove serve --log-level debug (a line per request)', () => {
  const token = 'log-secret-4d1c9a';
  let child: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    child = spawn(process.execPath, [MAIN, 'serve', '--memory', '--port', '0', '--log-level', 'debug', '--token', token], { env: { PATH: process.env.PATH ?? '' } });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    url = await new Promise<string>((resolve, reject) => {
      const seen = () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', seen);
      child.on('close', () => reject(new Error(`serve exited before listening: ${output}`)));
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });

  it('never writes a token given in an /events URL, however it is spelt, nor on a 404', async () => {
    for (const query of [`?path=&token=${token}`, `?token=${token}&path=`, `?path=&%74oken=${token}`, `?path=&token=${encodeURIComponent(token)}&since=0`]) {
      const stream = await fetch(`${url}/events${query}`);
      expect(stream.status, query).toBe(200);
      await stream.body!.cancel();
    }
    expect((await fetch(`${url}/events?since=x&token=${token}`)).status).toBe(400);
    expect((await fetch(`${url}/event?token=${token}`)).status).toBe(404);
    expect((await fetch(`${url}/events/?token=${token}`)).status).toBe(404);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    // the requests were logged (a stream once it is answered: these were refused), without the token
    expect(output).toContain('"url":"/events?since=x&token=[masked]"');
    expect(output).toContain('"url":"/event?token=[masked]"');
    expect(output).not.toContain(token);
  });
});

describe('change events', () => {
  let station: Station;
  const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 8);
  beforeAll(async () => {
    const rulesFile = writeRules({ tokens: { 'alice-token-1': { name: 'alice', write: [''] }, 'unnamed-token-2': { write: [''] } } });
    station = await openStation({ tokens: ['admin-token-0'], rulesFile });
  });
  afterAll(() => station.close());

  it("name the writer by its token's configured name or its place, never by anything derived from the token", async () => {
    const watcher = await WsClient.open(station.url, 'admin-token-0');
    resultOf(await watcher.call('tree.subscribe', { path: 'who' }));
    for (const [token, path] of [['admin-token-0', 'who/admin'], ['alice-token-1', 'who/alice'], ['unnamed-token-2', 'who/unnamed']] as const) {
      const writer = await WsClient.open(station.url, token);
      resultOf(await writer.call('tree.set', { path, value: 1 }));
      await writer.close();
    }
    const origins = () => watcher.notifications.filter((note) => note.method === 'tree.changed').map((note) => note.params.origin);
    await expect.poll(origins).toHaveLength(3);
    expect(origins()).toEqual(['token #1', 'alice', 'tokens entry #2']);
    for (const token of ['admin-token-0', 'alice-token-1', 'unnamed-token-2']) {
      expect(JSON.stringify(watcher.notifications)).not.toContain(fingerprint(token));
    }
    await watcher.close();
  });

  it('name every writer "open" on a station without tokens', async () => {
    const open = await openStation();
    try {
      const watcher = await WsClient.open(open.url);
      resultOf(await watcher.call('tree.subscribe', { path: '' }));
      const writer = await WsClient.open(open.url);
      resultOf(await writer.call('tree.set', { path: 'x', value: 1 }));
      resultOf(await watcher.call('tree.set', { path: 'y', value: 1 }));
      await expect.poll(() => watcher.notifications.map((note) => note.params.origin)).toEqual(['open', 'open']);
      await writer.close();
      await watcher.close();
    } finally {
      await open.close();
    }
  });
});

describe('station.info', () => {
  let station: Station;
  beforeAll(async () => {
    const rulesFile = writeRules({
      tokens: {
        'part-token': { name: 'part', read: ['public'], write: ['public/mine'] },
        'ops-token': { name: 'ops', info: true },
        'root-token': { name: 'root reader', read: [''] },
      },
    });
    station = await openStation({ rulesFile });
  });
  afterAll(() => station.close());

  it('is refused to a token that may read only part of the tree, saying how to grant it', async () => {
    const socket = await WsClient.open(station.url, 'part-token');
    const error = errorOf(await socket.call('station.info'), FORBIDDEN);
    expect(error.message).toBe('token "part" may not call station.info: give it "info": true in the rules file, or read access to the root');
    await socket.close();
  });

  it('answers a token given "info" (which may read nothing else), or read access at the root', async () => {
    for (const token of ['ops-token', 'root-token']) {
      const socket = await WsClient.open(station.url, token);
      expect(resultOf(await socket.call('station.info'))).toMatchObject({ id: station.context.id, nodes: expect.any(Number) });
      await socket.close();
    }
    const ops = await WsClient.open(station.url, 'ops-token');
    errorOf(await ops.call('tree.get', { path: '' }), FORBIDDEN);
    await ops.close();
  });

  it('is refused in a rules file when "info" is not a boolean', async () => {
    await expect(openStation({ rulesFile: writeRules({ tokens: { 'x-token': { info: 'yes' as never } } }) })).rejects.toThrow('tokens entry #1: "info" must be true or false');
  });
});
