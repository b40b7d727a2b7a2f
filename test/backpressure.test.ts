// Backpressure (issue 14): a client that does not read what it is sent cannot make the
// station hold its answers without bound. Past limits.maxQueuedBytes unsent, a connection is
// not read (its calls wait); one message's answer takes at most limits.maxUnsentBytes (later
// results are refused with -32005 naming it); a WebSocket past it is closed with 1008; an SSE
// replay goes through the same cap as live events.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { Station, StationOptions } from '../src/station/server.js';
import { openStation, post, resultOf, waitFor } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const MiB = 2 ** 20;
const opened: Station[] = [];
const sockets: Array<{ destroy(): void }> = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const station of opened.splice(0)) await station.close();
});

async function station(options: StationOptions = {}): Promise<Station> {
  const built = await openStation({ limits: { maxQueuedBytes: MiB, maxUnsentBytes: 4 * MiB }, ...options });
  opened.push(built);
  return built;
}

/** Counts the calls of `method` the station has answered so far. */
function answered(grove: Station, method: string): { count: number } {
  const seen = { count: 0 };
  grove.context.engine.onCall((call) => {
    if (call.method === method) seen.count++;
  });
  return seen;
}

/** Resolves once `read()` has not changed for `quietMs`. */
async function settled(read: () => number, quietMs = 600): Promise<number> {
  let last = read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (read() === last) return last;
    last = read();
  }
}

/** A WebSocket whose client side reads nothing until resumed. */
async function deafSocket(grove: Station): Promise<{ ws: WebSocket; tcp: Socket }> {
  const ws = new WebSocket(`${grove.url.replace('http', 'ws')}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  sockets.push({ destroy: () => ws.terminate() });
  const tcp = (ws as unknown as { _socket: Socket })._socket;
  tcp.pause();
  return { ws, tcp };
}

const big = 'x'.repeat(400_000);

describe('a WebSocket that does not read', () => {
  it('is not read either past maxQueuedBytes: its calls wait, and are all answered once it reads', async () => {
    const grove = await station();
    grove.tree.set('big', big);
    const gets = answered(grove, 'tree.get');
    const { ws, tcp } = await deafSocket(grove);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
    for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tree.get', params: { path: 'big' } }));
    // 80 MB of answers asked for; what the station holds is bounded by the cap and the kernel's buffers
    const handled = await settled(() => gets.count);
    expect(handled).toBeLessThan(80);
    expect(grove.app.websocketServer.clients.size).toBe(1);
    for (const client of grove.app.websocketServer.clients) expect(client.bufferedAmount).toBeLessThanOrEqual(4 * MiB + big.length);
    tcp.resume();
    await waitFor(() => replies.length === 200, 'every answer once the client reads', 60_000);
    expect(replies.every((reply) => (reply as { result?: string }).result === big)).toBe(true);
    // and it is read again: a call after them is answered
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'tree.get', params: { path: 'big' } }));
    await waitFor(() => replies.length === 201, 'the answer to a call made after reading', 20_000);
  }, 90_000);

  it('is read again once it has read what it was sent, also after an answer larger than maxQueuedBytes', async () => {
    const grove = await station();
    const huge = 'h'.repeat(1_300_000);
    grove.tree.set('huge', huge);
    const { ws, tcp } = await deafSocket(grove);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
    for (let i = 0; i < 12; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tree.get', params: { path: 'huge' } }));
    await settled(() => grove.app.websocketServer.clients.values().next().value!.bufferedAmount);
    tcp.resume();
    await waitFor(() => replies.length === 12, 'the answers once the client reads', 60_000);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'station.info' }));
    await waitFor(() => replies.length === 13, 'the answer to a call made after reading', 20_000);
  }, 90_000);

  it('gets -32005 naming maxUnsentBytes for the results of a batch past it, and the rest', async () => {
    const grove = await station();
    grove.tree.set('big', big);
    grove.tree.set('small', 1);
    const batch = [
      ...Array.from({ length: 20 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tree.get', params: { path: 'big' } })),
      { jsonrpc: '2.0', id: 'write', method: 'tree.set', params: { path: 'small', value: 2 } },
    ];
    const reply = await post(grove.url, batch);
    const answers = reply.body as Array<{ id: unknown; result?: unknown; error?: { code: number; message: string; data: unknown } }>;
    const served = answers.filter((answer) => answer.result === big).length;
    expect(served).toBeGreaterThan(5);
    expect(served).toBeLessThanOrEqual(10);
    const refused = answers.filter((answer) => answer.error);
    expect(refused).toHaveLength(20 - served);
    expect(refused[0]!.error).toMatchObject({ code: ErrorCode.LimitExceeded, data: { limit: 'maxUnsentBytes', max: 4 * MiB } });
    expect(refused[0]!.error!.message).toMatch(/too large to send at once; ask for less per message/);
    // the write's answer is small, and comes
    expect(answers.find((answer) => answer.id === 'write')?.result).toMatchObject({ version: expect.any(Number) });
    expect(resultOf(await post(grove.url, { jsonrpc: '2.0', id: 1, method: 'tree.get', params: { path: 'small' } }).then((r) => r.body))).toBe(2);
  });

  it('is closed with 1008 once its unsent bytes pass maxUnsentBytes', async () => {
    const grove = await station({ limits: { maxQueuedBytes: MiB, maxUnsentBytes: MiB } });
    const { ws, tcp } = await deafSocket(grove);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.subscribe', params: { path: 'feed' } }));
    // notifications pile up unread until the subscription ends as too slow, and that end is past the cap
    for (let i = 0; i < 200 && grove.app.websocketServer.clients.size > 0; i++) {
      grove.context.hub.write('t', () => grove.tree.set('feed', `${i}${big}`));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    tcp.resume();
    expect(await closed).toEqual({ code: 1008, reason: `over ${MiB} bytes unsent (limits.maxUnsentBytes): read what is sent` });
  }, 60_000);
});

describe('HTTP requests pipelined and not read', () => {
  it('are not answered past maxQueuedBytes until the client reads', async () => {
    const grove = await station();
    grove.tree.set('big', big);
    const gets = answered(grove, 'tree.get');
    const { port } = new URL(grove.url);
    const tcp = connect(Number(port), '127.0.0.1');
    sockets.push(tcp);
    await new Promise((resolve) => tcp.once('connect', resolve));
    tcp.pause();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.get', params: { path: 'big' } });
    const request = `POST /rpc HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    tcp.write(request.repeat(200));
    expect(await settled(() => gets.count)).toBeLessThan(80);
    let received = 0;
    tcp.on('data', (chunk: Buffer) => (received += chunk.length));
    tcp.resume();
    await waitFor(() => gets.count === 200 && received >= 200 * big.length, 'every answer once the client reads', 60_000);
  }, 90_000);
});

describe('SSE replays', () => {
  it('go through the same cap: a replay longer than maxQueuedBytes ends the stream as too slow', async () => {
    const grove = await station({ changeLogBytes: 64 * MiB });
    for (let i = 0; i < 40; i++) grove.context.hub.write('t', () => grove.tree.set('feed', `${i}${big}`));
    const { port } = new URL(grove.url);
    let requests = 0;
    grove.app.server.on('request', () => requests++);
    // 16 MB of events to replay, to readers that read nothing
    const readers = Array.from({ length: 4 }, () => {
      const tcp = connect(Number(port), '127.0.0.1');
      sockets.push(tcp);
      tcp.pause();
      tcp.write('GET /events?path=feed&since=0 HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      return tcp;
    });
    await waitFor(() => requests === 4, 'the streams to be asked for');
    // each stream ended once it held the cap: no subscription is left to feed it
    expect(await settled(() => grove.context.hub.subscriptionCount)).toBe(0);
    let text = '';
    readers[0]!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    readers[0]!.resume();
    await waitFor(() => text.includes('event: subscriptionEnded'), 'the end of the stream');
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(40);
    expect(text).toMatch(/"reason":"slow"/);
  }, 60_000);
});
