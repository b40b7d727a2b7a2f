// Bulk transfers between the CLI and a station, over node:http: batches of JSON-RPC calls
// whose params are already JSON text (the uploader builds typed JSON as text, a request's
// worth at a time), and the streamed GET /export. The client (src/client) is for calls
// made of JavaScript values; building a few hundred megabytes of them, and fetch's own
// working set, would cost the CLI several times the memory (README "Import and export").

import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

import { GroveConnectionError, GroveRpcError } from '../client/index.js';

// Imports send up to ~1 MB per request and a station may take a while to build it.
const TIMEOUT_MS = 60_000;

/** One call of a batch: its params' JSON text is put in as it is. */
export interface RawCall {
  readonly method: string;
  readonly params: string;
}

export class BulkConnection {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;

  constructor(url: string, token: string | undefined) {
    this.#base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.#token = token;
    const secure = this.#base.protocol === 'https:';
    this.#agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.#request = secure ? https.request : http.request;
  }

  /**
   * Sends the calls as one batch. Answers their results in order, or throws the first
   * failure as the client would (GroveRpcError), with `failedCall` its index.
   */
  async batch(calls: readonly RawCall[]): Promise<unknown[]> {
    const body = `[${calls.map((call, i) => `{"jsonrpc":"2.0","id":${i},"method":${JSON.stringify(call.method)},"params":${call.params}}`).join(',')}]`;
    for (;;) {
      const answer = await this.#post(body);
      // the station refused the whole batch, before running any of it, for its rate limit: wait as told
      const wait = rateLimitWait(answer);
      if (wait === undefined) return resultsOf(answer, calls);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** POSTs a batch to /rpc and answers its parsed answer. */
  async #post(body: string): Promise<unknown> {
    const { status, text } = await this.#send('POST', 'rpc', body);
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new GroveConnectionError(`POST ${this.#base}rpc answered HTTP ${status} without a JSON-RPC body: ${text.slice(0, 200)}`, status);
    }
    if (!Array.isArray(answer) && (answer as Answer).error === undefined) {
      throw new GroveConnectionError(`POST ${this.#base}rpc answered HTTP ${status} with no answer to the batch`, status);
    }
    return answer;
  }

  /** GET `path?query`, answered as a stream; an error status is thrown as the station's error. */
  async get(path: string, query: Record<string, string>): Promise<IncomingMessage> {
    const url = new URL(path, this.#base);
    url.search = new URLSearchParams(query).toString();
    const response = await this.#open('GET', url);
    if (response.statusCode === 200) return response;
    const text = await readAll(response);
    const error = (() => {
      try {
        return (JSON.parse(text) as { error?: { code: number; message: string; data?: unknown } }).error;
      } catch {
        return undefined;
      }
    })();
    if (error !== undefined) throw new GroveRpcError(error, path);
    throw new GroveConnectionError(`GET ${url.origin}${url.pathname} answered HTTP ${response.statusCode}: ${text.slice(0, 200)}`, response.statusCode);
  }

  close(): void {
    this.#agent.destroy();
  }

  async #send(method: string, path: string, body: string): Promise<{ status: number; text: string }> {
    const response = await this.#open(method, new URL(path, this.#base), body);
    return { status: response.statusCode ?? 0, text: await readAll(response) };
  }

  #open(method: string, url: URL, body?: string): Promise<IncomingMessage> {
    const headers: Record<string, string | number> = {};
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const request = this.#request(url, { method, headers, agent: this.#agent, timeout: TIMEOUT_MS }, resolve);
      request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      request.on('error', (error) => reject(new GroveConnectionError(`${method} ${url.origin}${url.pathname} failed: ${error.message}`)));
      request.end(body);
    });
  }
}

interface Answer {
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: { limit?: unknown; retryAfterMs?: unknown } };
}

/** The results of a batch's answer in order, or the first failure thrown, with `failedCall` its index. */
function resultsOf(answer: unknown, calls: readonly RawCall[]): unknown[] {
  // one error for the whole message: too large, unauthenticated
  if (!Array.isArray(answer)) throw Object.assign(new GroveRpcError((answer as Answer).error!), { failedCall: 0 });
  const results = new Array<unknown>(calls.length);
  for (const response of answer as Answer[]) {
    if (response.error !== undefined) {
      throw Object.assign(new GroveRpcError(response.error, calls[response.id]?.method), { failedCall: response.id });
    }
    results[response.id] = response.result;
  }
  return results;
}

/** The wait a station asked for when it refused every call of a batch (or the whole message) for its rate limit (README "Security"), else undefined. */
function rateLimitWait(answer: unknown): number | undefined {
  let wait = 0;
  for (const response of (Array.isArray(answer) ? answer : [answer]) as Answer[]) {
    const data = response.error?.data;
    if (data?.limit !== 'rateLimit' || typeof data.retryAfterMs !== 'number') return undefined;
    wait = Math.max(wait, data.retryAfterMs);
  }
  return wait;
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}
