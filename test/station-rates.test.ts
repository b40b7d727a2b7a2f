// Rate limits count calls, not requests (DESIGN "Limits": a batch of 100 counts 100), and
// WebSocket messages' calls too, per caller across all its connections: its token when it
// presents a known one, else its client address (127.0.0.2 is a second address on loopback).
// Failed authentications are limited per client address, whatever it connects with. Windows
// are a minute long, so no test depends on when a window ends. README "Security".
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';

import type { Station, StationOptions } from '../src/station/server.js';
import { openStation, WsClient, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const LIMIT_EXCEEDED = ErrorCode.LimitExceeded;
const MINUTE = 60_000;

const stations: Station[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(stations.splice(0).map((station) => station.close()));
});

async function station(options: StationOptions): Promise<Station> {
  const started = await openStation(options);
  stations.push(started);
  return started;
}

interface Reply {
  status: number;
  retryAfter?: string;
  body: any;
}

/** POSTs a JSON-RPC message from a given local address, with a token if given. */
function post(url: string, message: unknown, { from = '127.0.0.1', token }: { from?: string; token?: string } = {}): Promise<Reply> {
  const body = JSON.stringify(message);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/rpc`,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] as string | undefined, body: text === '' ? undefined : JSON.parse(text) }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const batch = (size: number, first = 0) =>
  Array.from({ length: size }, (_, i) => ({ jsonrpc: '2.0', id: first + i, method: 'tree.get', params: { path: '' } }));

/** Opens a WebSocket from `from` and returns a function sending one message, resolving with its answer. */
async function socketFrom(url: string, from = '127.0.0.1', token?: string): Promise<(message: unknown) => Promise<any>> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { localAddress: from, headers: token ? { authorization: `Bearer ${token}` } : {} });
  sockets.push(socket);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const waiting: Array<(answer: any) => void> = [];
  socket.on('message', (data) => waiting.shift()?.(JSON.parse(data.toString())));
  return (message) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.send(JSON.stringify(message));
    });
}

const refused = (answer: any) => answer?.error?.code === LIMIT_EXCEEDED && answer.error.data?.limit === 'rateLimit';

describe('calls, not requests', () => {
  it('count a batch of 100 as 100: past the limit the whole batch is refused before any call runs, each with its id', async () => {
    const grove = await station({ rateLimit: { max: 150, timeWindowMs: MINUTE } });
    const first = await post(grove.url, batch(100));
    expect(first.status).toBe(200);
    expect(first.body.every((answer: any) => answer.result !== undefined)).toBe(true);
    // 200 calls > 150: refused, every call answered with its own id, HTTP 429 with Retry-After
    const writes = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: 100 + i, method: 'tree.set', params: { path: `burst/${i}`, value: i } }));
    const second = await post(grove.url, writes);
    expect(second.status).toBe(429);
    expect(Number(second.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(second.body.map((answer: any) => answer.id)).toEqual(writes.map((write) => write.id));
    expect(second.body.every(refused)).toBe(true);
    expect(second.body[0].error.message).toMatch(/^rate limit exceeded: at most 150 calls per 60000 ms from one client address; retry in \d+ ms/);
    expect(grove.tree.tryNode('burst')).toBeUndefined();
    // and a single call after it too
    expect((await post(grove.url, batch(1)[0])).status).toBe(429);
  });

  it('count the calls of every WebSocket message, across all of a client\'s connections', async () => {
    const grove = await station({ rateLimit: { max: 30, timeWindowMs: MINUTE } });
    const sends = await Promise.all([1, 2, 3].map(() => socketFrom(grove.url)));
    const answers: any[] = [];
    // 3 connections, 12 messages each: 36 calls from one address, which has 27 left of 30 after its 3 upgrades
    for (let i = 0; i < 12; i++) for (const send of sends) answers.push(await send(batch(1, i)[0]));
    expect(answers.filter(refused)).toHaveLength(9);
    expect(answers.slice(0, 27).some(refused)).toBe(false);
    // a batch message counts each call: another address's budget (29 after its upgrade) takes one batch of 25, not a second
    const other = await socketFrom(grove.url, '127.0.0.2');
    expect((await other(batch(25))).some(refused)).toBe(false);
    const over = await other(batch(10));
    expect(over).toHaveLength(10);
    expect(over.every(refused)).toBe(true);
  });

  it('count per token across client addresses, and an unknown token as its address', async () => {
    const rulesFile = writeRules({ tokens: { 'shared-token': { name: 'shared', read: [''] } } });
    const grove = await station({ rulesFile, rateLimit: { max: 20, timeWindowMs: MINUTE } });
    // one token from two addresses shares one budget
    expect((await post(grove.url, batch(15), { from: '127.0.0.1', token: 'shared-token' })).status).toBe(200);
    const fromSecond = await post(grove.url, batch(15), { from: '127.0.0.2', token: 'shared-token' });
    expect(fromSecond.status).toBe(429);
    expect(fromSecond.body[0].error.message).toContain('from one token');
    // an address is not the token: 127.0.0.2 without a token still has its own budget
    const anonymous = await post(grove.url, batch(15), { from: '127.0.0.2' });
    expect(anonymous.status).toBe(200); // 401 answers, but not refused by the rate limit
    expect(anonymous.body.some(refused)).toBe(false);
    // made-up tokens buy nothing: they count against the address they come from
    const guesses = await post(grove.url, batch(10), { from: '127.0.0.2', token: 'made-up' });
    expect(guesses.status).toBe(429);
  });

  it('count the client behind a trusted reverse proxy by X-Forwarded-For, and nobody else\'s word for it', async () => {
    const grove = await station({ rateLimit: { max: 20, timeWindowMs: MINUTE }, trustProxy: ['127.0.0.1'] });
    const viaProxy = (client: string, from = '127.0.0.1') =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify(batch(15));
        httpRequest(`${grove.url}/rpc`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'x-forwarded-for': client } }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        })
          .on('error', reject)
          .end(body);
      });
    expect(await viaProxy('203.0.113.1')).toBe(200);
    expect(await viaProxy('203.0.113.2')).toBe(200);
    expect(await viaProxy('203.0.113.1')).toBe(429);
    // 127.0.0.2 is no trusted proxy: it is counted as itself, whatever it claims
    expect(await viaProxy('203.0.113.3', '127.0.0.2')).toBe(200);
    expect(await viaProxy('203.0.113.4', '127.0.0.2')).toBe(429);
  });

  it('count plain HTTP requests (files, the /ws upgrade, /events) against the client address', async () => {
    const grove = await station({ rateLimit: { max: 5, timeWindowMs: MINUTE } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${grove.url}/client.js`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    await expect(socketFrom(grove.url)).rejects.toThrow(/429/);
  });
});

describe('failed authentications', () => {
  it('are limited per client address: past the limit even the right token is refused from there, over HTTP, WebSocket and SSE', async () => {
    const grove = await station({ tokens: ['right-token'], authFailureLimit: { max: 5, timeWindowMs: MINUTE } });
    const info = { jsonrpc: '2.0', id: 1, method: 'tree.get', params: { path: '' } };
    // four guesses over HTTP, the fifth by in-band auth on a WebSocket
    for (let i = 0; i < 4; i++) expect((await post(grove.url, info, { token: `guess-${i}` })).status).toBe(401);
    const ws = await WsClient.open(grove.url);
    expect((await ws.call('auth', { token: 'guess-4' })).error?.code).toBe(ErrorCode.Unauthenticated);
    expect((await ws.call('auth', { token: 'guess-5' })).error?.code).toBe(LIMIT_EXCEEDED);
    const lockedOut = await post(grove.url, info, { token: 'right-token' });
    expect(lockedOut.body.error).toMatchObject({ code: LIMIT_EXCEEDED, data: { limit: 'authFailures', max: 5 } });
    expect(lockedOut.body.error.message).toMatch(/^too many failed authentications from 127\.0\.0\.1: 5 in 60000 ms; authentication from it is refused for \d+ ms more/);
    expect((await ws.call('auth', { token: 'right-token' })).error?.code).toBe(LIMIT_EXCEEDED);
    await ws.close();
    const stream = await fetch(`${grove.url}/events?path=&token=right-token`);
    expect(stream.status).toBe(429);
    await stream.body?.cancel();
    // another address is not locked out, and no token at all is no failed guess
    expect((await post(grove.url, info, { from: '127.0.0.2', token: 'right-token' })).status).toBe(200);
    expect((await post(grove.url, info, { from: '127.0.0.2' })).status).toBe(401);
    for (let i = 0; i < 10; i++) await post(grove.url, info, { from: '127.0.0.2' });
    expect((await post(grove.url, info, { from: '127.0.0.2', token: 'right-token' })).status).toBe(200);
  });

  it('are not limited by the number of connections a guesser opens', async () => {
    const grove = await station({ tokens: ['right-token'], authFailureLimit: { max: 3, timeWindowMs: MINUTE } });
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const client = await WsClient.open(grove.url);
        try {
          return (await client.call('auth', { token: `guess-${i}` })).error?.code;
        } finally {
          await client.close();
        }
      }),
    );
    expect(answers.filter((code) => code === LIMIT_EXCEEDED).length).toBe(3);
  });
});
