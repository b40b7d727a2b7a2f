// What a web page in the user's browser can do to an open station on localhost (the `npm
// start` default), in Debian's Chromium driven by playwright-core: a page from another origin
// is refused on /ws, on /rpc (even a text/plain POST, which needs no preflight) and on
// /events; a page reaching the station under a name it controls (DNS rebinding, made here with
// Chromium's host resolver rules) is refused too; the station's own pages work. README "Security".
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { openStation } from './helpers/station.js';

const CHROMIUM = '/usr/bin/chromium';

let station: Station;
let stationPort: string;
/** Another origin's site: http://localhost:<port>/ serves an empty page. */
let site: Server;
let siteUrl: string;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: these tests need Debian's chromium (apt-get install -y chromium)`);
  station = await openStation();
  stationPort = new URL(station.url).port;
  site = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://localhost:${(site.address() as { port: number }).port}/`;
  profile = await mkdtemp(join(tmpdir(), 'grove-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      // DNS rebinding without a DNS server: the attacker's name resolves to this machine
      '--host-resolver-rules=MAP rebound.example 127.0.0.1',
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await station?.close();
  await new Promise((resolve) => site?.close(resolve));
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function pageAt(url: string): Promise<{ page: Page; status: number | undefined }> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const response = await page.goto(url);
  return { page, status: response?.status() };
}

/** Opens a WebSocket from the page and writes `path` over it: "written", or how it failed. */
function writeOverWebSocket(page: Page, url: string, path: string): Promise<string> {
  return page.evaluate(
    ({ url, path }) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(url);
        socket.onopen = () => socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.set', params: { path, value: 'from the page' } }));
        socket.onmessage = (event) => resolve(JSON.parse(String(event.data)).result ? 'written' : `answered ${String(event.data)}`);
        socket.onerror = () => resolve('refused');
      }),
    { url, path },
  );
}

/** POSTs a tree.set of `path` from the page with fetch: the HTTP status, or "blocked" when the browser let the page see nothing. */
function writeOverFetch(page: Page, url: string, path: string, contentType: string, mode: RequestMode): Promise<string> {
  return page.evaluate(
    async ({ url, path, contentType, mode }) => {
      try {
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.set', params: { path, value: 'from the page' } });
        const response = await fetch(url, { method: 'POST', mode, headers: { 'content-type': contentType }, body });
        return response.type === 'opaque' ? 'opaque' : String(response.status);
      } catch {
        return 'blocked';
      }
    },
    { url, path, contentType, mode },
  );
}

const exists = (path: string) => station.tree.tryNode(path) !== undefined;

/** The station's answers to requests for `url`, as it sent them (the page may not see them), until stop(). */
function watchAnswers(url: string): Array<{ method: string; status: number }> & { stop(): void } {
  const answered: Array<{ method: string; status: number }> = [];
  const watch = (request: IncomingMessage, response: ServerResponse) => {
    // (an event stream that opens never finishes, and so is never listed)
    if (request.url === url) response.on('finish', () => answered.push({ method: request.method!, status: response.statusCode }));
  };
  station.app.server.on('request', watch);
  return Object.assign(answered, { stop: () => void station.app.server.off('request', watch) });
}

describe('a page from another origin, against an open station', () => {
  it('cannot open its WebSocket, and writes nothing', async () => {
    const { page } = await pageAt(siteUrl);
    try {
      expect(await writeOverWebSocket(page, `ws://127.0.0.1:${stationPort}/ws`, 'browser/ws')).toBe('refused');
      expect(exists('browser/ws')).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('cannot write over /rpc, with a CORS request or a no-cors text/plain POST', async () => {
    const { page } = await pageAt(siteUrl);
    const answered = watchAnswers('/rpc');
    try {
      const rpc = `http://127.0.0.1:${stationPort}/rpc`;
      expect(await writeOverFetch(page, rpc, 'browser/json', 'application/json', 'cors')).toBe('blocked');
      // a simple request: the browser sends it without asking, and only hides the answer
      expect(await writeOverFetch(page, rpc, 'browser/plain', 'text/plain', 'no-cors')).toBe('opaque');
      expect(exists('browser/json')).toBe(false);
      expect(exists('browser/plain')).toBe(false);
      // the station refused the simple request itself, as it refuses every foreign origin
      await expect.poll(() => answered).toContainEqual({ method: 'POST', status: 403 });
      expect(answered.filter(({ status }) => status !== 403)).toEqual([]);
    } finally {
      answered.stop();
      await page.close();
    }
  });

  it('cannot read the change stream over /events', async () => {
    const { page } = await pageAt(siteUrl);
    const answered = watchAnswers('/events?path=');
    try {
      const outcome = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const events = new EventSource(url);
            events.onopen = () => resolve('open');
            events.onerror = () => {
              events.close();
              resolve('refused');
            };
          }),
        `http://127.0.0.1:${stationPort}/events?path=`,
      );
      expect(outcome).toBe('refused');
      // refused by the station, not only hidden by the browser: no stream was opened for the page
      expect([...answered]).toEqual([{ method: 'GET', status: 403 }]);
      expect(station.context.hub.subscriptionCount).toBe(0);
    } finally {
      answered.stop();
      await page.close();
    }
  });
});

describe('a page that reaches the station under a name of its own (DNS rebinding)', () => {
  it('is refused: the station does not answer to that name', async () => {
    const { page, status } = await pageAt(`http://rebound.example:${stationPort}/`);
    try {
      expect(status).toBe(403);
      // same origin with http://rebound.example:PORT, so the browser itself lets these through
      expect(await writeOverFetch(page, '/rpc', 'browser/rebound', 'application/json', 'same-origin')).toBe('403');
      expect(await writeOverWebSocket(page, `ws://rebound.example:${stationPort}/ws`, 'browser/rebound-ws')).toBe('refused');
      expect(exists('browser/rebound')).toBe(false);
      expect(exists('browser/rebound-ws')).toBe(false);
    } finally {
      await page.close();
    }
  });
});

describe("the station's own pages", () => {
  it('write over its WebSocket and /rpc, and read its change stream, as before', async () => {
    // refused from elsewhere first, so that this test fails where nothing is refused
    const { page: elsewhere } = await pageAt(siteUrl);
    expect(await writeOverWebSocket(elsewhere, `ws://127.0.0.1:${stationPort}/ws`, 'browser/not-own')).toBe('refused');
    await elsewhere.close();

    const { page, status } = await pageAt(`${station.url}/`);
    try {
      expect(status).toBe(200);
      expect(await writeOverWebSocket(page, `ws://127.0.0.1:${stationPort}/ws`, 'browser/own-ws')).toBe('written');
      expect(await writeOverFetch(page, '/rpc', 'browser/own-rpc', 'application/json', 'same-origin')).toBe('200');
      expect(station.tree.value('browser/own-ws')).toBe('from the page');
      expect(station.tree.value('browser/own-rpc')).toBe('from the page');
      const opened = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const events = new EventSource('/events?path=browser');
            events.onopen = () => {
              events.close();
              resolve('open');
            };
            events.onerror = () => resolve('refused');
          }),
      );
      expect(opened).toBe('open');
    } finally {
      await page.close();
    }
  });
});
