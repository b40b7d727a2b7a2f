// Shared by the station tests: a station on a free port, and JSON-RPC callers over real
// HTTP (fetch) and a real WebSocket (the ws package).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, expect } from 'vitest';
import type { RulesFile } from '../../src/auth/index.js';
import { type Station, type StationOptions, startStation } from '../../src/station/server.js';

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: any;
}

/** One JSON-RPC response object, as the station sent it. */
export interface RpcReply {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: any;
  error?: RpcErrorObject;
}

/** Calls one method and resolves to its response object, whatever it says. */
export type Caller = (method: string, params?: unknown) => Promise<RpcReply>;

/** A station on 127.0.0.1 and a free port; rate limits (calls and failed authentications) are off unless asked for. */
export function openStation(options: StationOptions = {}): Promise<Station> {
  return startStation({ host: '127.0.0.1', port: 0, rateLimit: false, authFailureLimit: false, ...options });
}

/** Writes a rules file into a temporary directory, removed after the test file's tests. */
export function writeRules(rules: RulesFile): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when there was none. */
  body: any;
}

// node:http with kept-alive sockets: several times faster than fetch, which matters for fuzzing
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** POSTs a body (text and bytes as they are, anything else as JSON) to /rpc. */
export function post(
  url: string,
  body: string | Uint8Array | object,
  { token, contentType = 'application/json' }: { token?: string; contentType?: string } = {},
): Promise<HttpReply> {
  const bytes = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const headers = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(bytes),
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/rpc`, { method: 'POST', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode!, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(bytes);
  });
}

let nextId = 0;

/** A caller over HTTP: one POST per call. */
export function httpCaller(url: string, token?: string): Caller {
  return async (method, params) => {
    const id = ++nextId;
    const reply = await post(url, { jsonrpc: '2.0', id, method, params }, { token });
    expect(reply.body?.id, `reply to ${method}`).toBe(id);
    return reply.body;
  };
}

/** A WebSocket to a station's /ws that reads replies in the order the station sends them. */
export class WsClient {
  /** Server notifications (tree.changed), in arrival order. */
  readonly notifications: any[] = [];
  /** Replies not yet taken, as the text the station sent. */
  readonly #replies: string[] = [];
  readonly #waiting: Array<(reply: string) => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      const message = JSON.parse(text);
      if (message !== null && typeof message === 'object' && 'method' in message) {
        this.notifications.push(message);
        return;
      }
      const waiter = this.#waiting.shift();
      if (waiter) waiter(text);
      else this.#replies.push(text);
    });
  }

  static open(url: string, token?: string): Promise<WsClient> {
    const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  /** A caller over this socket; replies are matched by id. */
  get call(): Caller {
    return async (method, params) => {
      const id = `ws-${++nextId}`;
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      const reply = await this.#next();
      expect(reply?.id, `reply to ${method}`).toBe(id);
      return reply;
    };
  }

  /**
   * Sends a raw message and returns what came back for it (nothing, for notifications): the
   * station answers messages in order, so whatever arrives before the reply to a following
   * station.info belongs to `raw`.
   */
  async exchange(raw: string | Uint8Array): Promise<any[]> {
    return (await this.exchangeRaw(raw)).map((text) => JSON.parse(text));
  }

  /** As exchange(), but the replies are the texts the station sent, to see exactly what it wrote. */
  async exchangeRaw(raw: string | Uint8Array): Promise<string[]> {
    this.socket.send(raw, { binary: false });
    const sentinel = `sentinel-${++nextId}`;
    this.socket.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'station.info' }));
    const replies: string[] = [];
    for (;;) {
      const text = await this.#nextText();
      if (JSON.parse(text)?.id === sentinel) return replies;
      replies.push(text);
    }
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  async #next(): Promise<any> {
    return JSON.parse(await this.#nextText());
  }

  #nextText(): Promise<string> {
    if (this.#replies.length > 0) return Promise.resolve(this.#replies.shift()!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no WebSocket reply within 10 s')), 10_000);
      this.#waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }
}

/** The result of a reply that must have succeeded. */
export function resultOf(reply: RpcReply): any {
  expect(reply.error, 'the call failed').toBeUndefined();
  return reply.result;
}

/** The error of a reply that must have failed with `code`. */
export function errorOf(reply: RpcReply, code: number): RpcErrorObject {
  expect(reply.result, 'the call succeeded').toBeUndefined();
  expect(reply.error?.code, reply.error?.message).toBe(code);
  return reply.error!;
}

/**
 * Polls `condition` every 5 ms until it holds: how the tests wait for notifications, change
 * events and connection states. Fails naming `what` after `timeoutMs`.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with a call's result, or rejects with its error. */
export function resolving(call: Caller): (method: string, params?: unknown) => Promise<any> {
  return async (method, params) => {
    const reply = await call(method, params);
    if (reply.error) throw Object.assign(new Error(`${method}: ${reply.error.message}`), reply.error);
    return reply.result;
  };
}
