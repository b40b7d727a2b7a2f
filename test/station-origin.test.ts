// Requests as a hostile web page makes the browser send them, written out by hand: a foreign
// Origin on /rpc, /ws and /events (a cross-site page), and a foreign Host (DNS rebinding: a
// name the attacker controls, pointed at the station's address). Each is refused with 403
// before any call runs; the station's own origin, --cors origins, --allow-host names and
// programs that send no Origin keep working. README "Security".
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { allowedRequests } from '../src/station/origin.js';
import type { Station } from '../src/station/server.js';
import { openStation } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const FORBIDDEN = ErrorCode.Forbidden;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw HTTP request with exactly the headers given (Host included), reading at most the first bytes of the body. */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        // an event stream never ends: its first bytes are enough
        if (String(response.headers['content-type']).startsWith('text/event-stream')) response.destroy();
      });
      const done = () => resolve({ status: response.statusCode!, headers: response.headers, text });
      response.on('end', done);
      response.on('close', done);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The status a WebSocket upgrade gets: 101 when it opened. */
function upgrade(url: string, headers: Record<string, string>, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers, ...(origin === undefined ? {} : { origin }) });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode!);
      response.destroy();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

const setCall = (path: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.set', params: { path, value: 'written' } });

let station: Station;
let port: string;
let own: string;

beforeAll(async () => {
  station = await openStation({ corsOrigins: ['https://app.example'], allowedHosts: ['grove.example'] });
  port = new URL(station.url).port;
  own = `127.0.0.1:${port}`;
});
afterAll(() => station.close());

const written = (path: string) => station.tree.tryNode(path) !== undefined;

describe('a foreign Origin', () => {
  it('is refused with 403 on POST /rpc before the call runs, saying how to let it in', async () => {
    const reply = await raw(station.url, 'POST', '/rpc', { host: own, origin: 'https://evil.example', 'content-type': 'application/json' }, setCall('origin/evil'));
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toEqual({
      jsonrpc: '2.0',
      error: {
        code: FORBIDDEN,
        message: expect.stringContaining('a page from https://evil.example may not call this station'),
        data: { origin: 'https://evil.example' },
      },
      id: null,
    });
    expect(JSON.parse(reply.text).error.message).toContain('--cors https://evil.example');
    expect(written('origin/evil')).toBe(false);
  });

  it('cannot write with a cross-site text/plain POST (a form or a no-cors fetch), which needs no preflight', async () => {
    const reply = await raw(station.url, 'POST', '/rpc', { host: own, origin: 'https://evil.example', 'content-type': 'text/plain' }, setCall('origin/plain'));
    expect(reply.status).toBe(403);
    expect(written('origin/plain')).toBe(false);
  });

  it('is refused on the /ws upgrade, on /events and on every other route', async () => {
    expect(await upgrade(station.url, { host: own }, 'https://evil.example')).toBe(403);
    expect((await raw(station.url, 'GET', '/events?path=', { host: own, origin: 'https://evil.example' })).status).toBe(403);
    for (const path of ['/', '/client.js', '/no/such/route']) {
      expect((await raw(station.url, 'GET', path, { host: own, origin: 'https://evil.example' })).status, path).toBe(403);
    }
    // the CORS preflight too: the browser then sends nothing
    const preflight = await raw(station.url, 'OPTIONS', '/rpc', { host: own, origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(403);
  });

  it('includes "null" (sandboxed frames, file: pages) and origins that differ only in port or scheme', async () => {
    for (const origin of ['null', `http://127.0.0.1:${Number(port) + 1}`, 'http://localhost', `http://127.0.0.1.nip.io:${port}`]) {
      expect(await upgrade(station.url, { host: own }, origin), origin).toBe(403);
    }
    // Origin http://localhost:PORT is another origin than http://127.0.0.1:PORT, whose Host it was sent with
    expect(await upgrade(station.url, { host: own }, `http://localhost:${port}`)).toBe(403);
  });

  it('is not the station\'s own origin, a --cors origin, or no Origin at all: those keep working', async () => {
    // refused first, so that this test fails where nothing is refused
    expect(await upgrade(station.url, { host: own }, 'https://elsewhere.example')).toBe(403);
    expect(await upgrade(station.url, { host: own }, `http://${own}`)).toBe(101);
    expect(await upgrade(station.url, { host: `localhost:${port}` }, `http://localhost:${port}`)).toBe(101);
    expect(await upgrade(station.url, { host: own }, 'https://app.example')).toBe(101);
    expect(await upgrade(station.url, { host: own })).toBe(101);
    for (const origin of [`http://${own}`, 'https://app.example', undefined]) {
      const headers = { host: own, 'content-type': 'application/json', ...(origin === undefined ? {} : { origin }) };
      const reply = await raw(station.url, 'POST', '/rpc', headers, setCall(`origin/ok-${origin === undefined ? 'none' : origin.length}`));
      expect(reply.status, String(origin)).toBe(200);
      expect(JSON.parse(reply.text).result).toHaveProperty('version');
    }
    const events = await raw(station.url, 'GET', '/events?path=', { host: own, origin: `http://${own}` });
    expect(events.status).toBe(200);
  });
});

describe('a foreign Host (DNS rebinding)', () => {
  it('is refused with 403 on POST /rpc before the call runs, saying how to allow the name', async () => {
    const reply = await raw(station.url, 'POST', '/rpc', { host: `evil.example:${port}`, 'content-type': 'application/json' }, setCall('host/evil'));
    expect(reply.status).toBe(403);
    const { error } = JSON.parse(reply.text);
    expect(error).toMatchObject({ code: FORBIDDEN, data: { host: `evil.example:${port}` } });
    expect(error.message).toContain('this station does not answer to the host "evil.example:');
    expect(error.message).toContain('"grove.example"');
    expect(error.message).toContain('--allow-host evil.example');
    expect(written('host/evil')).toBe(false);
  });

  it('is refused on the /ws upgrade, on /events and on the explorer, even with the page\'s "own" Origin', async () => {
    // after rebinding, the attacker's page is same-origin with http://evil.example:PORT
    const rebound = `http://evil.example:${port}`;
    expect(await upgrade(station.url, { host: `evil.example:${port}` }, rebound)).toBe(403);
    expect(await upgrade(station.url, { host: `evil.example:${port}` })).toBe(403);
    expect((await raw(station.url, 'GET', '/events?path=', { host: `evil.example:${port}`, origin: rebound })).status).toBe(403);
    expect((await raw(station.url, 'GET', '/', { host: `evil.example:${port}` })).status).toBe(403);
    const post = await raw(station.url, 'POST', '/rpc', { host: `evil.example:${port}`, origin: rebound, 'content-type': 'application/json' }, setCall('host/rebound'));
    expect(post.status).toBe(403);
    expect(written('host/rebound')).toBe(false);
  });

  it('is not an IP address, localhost, *.localhost or an --allow-host name (any case, a trailing dot): those are answered', async () => {
    expect((await raw(station.url, 'GET', '/client.js', { host: 'grove.example.evil.example' })).status).toBe(403);
    for (const host of [own, `localhost:${port}`, `app.localhost:${port}`, `[::1]:${port}`, '10.1.2.3', `grove.example:${port}`, 'GROVE.example.', 'LocalHost']) {
      expect((await raw(station.url, 'GET', '/client.js', { host })).status, host).toBe(200);
    }
  });
});

describe('allowedRequests', () => {
  it("takes --advertise's origin and host as the station's own, and refuses malformed options by name", () => {
    const allowed = allowedRequests({ listen: '0.0.0.0', advertise: 'https://grove.example.com:8443/ignored', cors: ['https://App.Example/'], allowHosts: ['Other.Example'] });
    expect([...allowed.origins]).toEqual(['https://app.example', 'https://grove.example.com:8443']);
    expect([...allowed.hosts]).toEqual(['0.0.0.0', 'grove.example.com', 'other.example']);
    expect(() => allowedRequests({ cors: ['app.example'] })).toThrow('--cors: "app.example" is not an origin');
    expect(() => allowedRequests({ allowHosts: ['http://x.example'] })).toThrow('--allow-host: "http://x.example" is not a host name');
    expect(() => allowedRequests({ allowHosts: ['x.example:80'] })).toThrow(/give the name alone, without scheme or port/);
    expect([...allowedRequests({ listen: '::1' }).hosts]).toEqual(['[::1]']);
  });
});
