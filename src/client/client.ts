import { GroveBatch } from './batch.js';
import { CallTracker } from './calls.js';
import { GroveConnectionError } from './errors.js';
import { HttpTransport } from './http.js';
import { GroveMethods } from './methods.js';
import { isRetrySafe, type RetryOptions, withRetry } from './retry.js';
import { type ReconnectOptions, SocketTransport, type WebSocketConstructor } from './socket.js';
import { type ChangeListener, type SubscribeOptions, type Subscription, Subscriptions } from './subscriptions.js';
import type { ConnectionState, Transport } from './transport.js';
import type { RpcParams, SubscriptionEnded, SubscriptionProgress, TreeChange } from './wire.js';

export interface ClientOptions {
  /** The station, e.g. `http://127.0.0.1:7070`; its `/rpc` and `/ws` are found under it. */
  readonly url: string;
  /** Sent as `Authorization: Bearer` over HTTP, and in an `auth` call over WebSocket. */
  readonly token?: string;
  /** Defaults to `ws` for ws:// and wss:// URLs, else `http`. Subscriptions need `ws`. */
  readonly transport?: 'http' | 'ws';
  /** How long a call waits for its answer, including while a WebSocket reconnects. */
  readonly timeoutMs?: number;
  /**
   * The WebSocket to use; default the global one, or in Node without one (Node 20) the `ws`
   * package's, which `grove/client` brings there.
   */
  readonly WebSocket?: WebSocketConstructor;
  readonly reconnect?: ReconnectOptions;
  /**
   * Retries a call the cluster refused for now (-32008, e.g. while a replica takes over a silent
   * owner's prefixes), after the wait the station names (data.retryAfterMs). Only calls that are
   * safe to deliver twice: reads, and tree.set / tree.delete with ifVersion, tree.transact with
   * ifVersions, tree.cas. Off by default; batches are never retried.
   */
  readonly retry?: RetryOptions;
}

export type StateListener = (state: ConnectionState, error?: Error) => void;
export type NotificationListener = (method: string, params: unknown) => void;

const defaultTimeoutMs = 10_000;
const defaultReconnect = { initialDelayMs: 250, maxDelayMs: 10_000 };

export function createClient(options: ClientOptions): GroveClient {
  return new GroveClient(options);
}

/** A station's JSON-RPC methods over HTTP or WebSocket, in browsers and in Node alike. */
export class GroveClient extends GroveMethods {
  readonly #calls: CallTracker;
  readonly #stateListeners = new Set<StateListener>();
  readonly #notificationListeners = new Set<NotificationListener>();
  readonly #subscriptions: Subscriptions | undefined;
  readonly #transport: Transport;
  readonly #retry: RetryOptions | undefined;

  constructor({ url, token, transport, timeoutMs = defaultTimeoutMs, WebSocket, reconnect, retry }: ClientOptions) {
    super();
    this.#retry = retry;
    this.#calls = new CallTracker(timeoutMs);
    const base = new URL(url.endsWith('/') ? url : `${url}/`);
    const useSocket = transport === undefined ? /^wss?:$/.test(base.protocol) : transport === 'ws';
    if (!useSocket) {
      this.#transport = new HttpTransport(endpoint(base, 'rpc', 'http'), this.#calls, token);
      return;
    }
    const subscriptions = new Subscriptions(
      (method, params) => this.call(method, params),
      () => this.#transport.state === 'open',
    );
    this.#subscriptions = subscriptions;
    this.#transport = new SocketTransport({
      url: endpoint(base, 'ws', 'ws'),
      token,
      WebSocket: WebSocket ?? globalWebSocket(),
      reconnect: { ...defaultReconnect, ...reconnect },
      calls: this.#calls,
      onNotification: (method, params) => this.#notified(method, params),
      onOpen: () => subscriptions.resubscribeAll(),
      onStateChange: (state, error) => this.#stateListeners.forEach((listener) => listener(state, error)),
    });
  }

  get state(): ConnectionState {
    return this.#transport.state;
  }

  /** Calls any method by name; the typed methods are built on this. */
  call<T = unknown>(method: string, params?: RpcParams): Promise<T> {
    if (this.#retry && isRetrySafe(method, params)) return withRetry(() => this.#send<T>(method, params), this.#retry);
    return this.#send<T>(method, params);
  }

  #send<T>(method: string, params?: RpcParams): Promise<T> {
    const { request, result } = this.#calls.open<T>(method, params);
    this.#transport.send(request, [request.id!]);
    return result;
  }

  /** Sends a JSON-RPC notification: no answer, and no way to learn whether it failed. */
  notify(method: string, params?: RpcParams): Promise<void> {
    return this.#transport.notify({ jsonrpc: '2.0', method, params });
  }

  /**
   * Sends the calls `build` makes on the batch as one JSON-RPC batch. Each call's own promise
   * settles with its own answer; the returned promise settles once all have, never rejecting.
   */
  batch(build: (batch: GroveBatch) => void): Promise<PromiseSettledResult<unknown>[]> {
    const batch = new GroveBatch(this.#calls);
    try {
      build(batch);
    } catch (error) {
      this.#calls.fail(batch.seal(), (method) => new Error(`${method}: not sent, the batch callback threw`));
      throw error;
    }
    const ids = batch.seal();
    // an empty batch is invalid JSON-RPC: send nothing
    if (ids.length > 0) this.#transport.send(batch.requests, ids);
    return Promise.allSettled(batch.results);
  }

  /**
   * Subscribes to changes at and under `path` (WebSocket only). Resolves once the station has
   * confirmed; after a reconnect it resubscribes from the last version delivered.
   */
  subscribe(path: string, listener: ChangeListener, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.#subscriptions === undefined) {
      return Promise.reject(new Error('subscribe needs the WebSocket transport: createClient({ transport: "ws" })'));
    }
    return this.#subscriptions.subscribe(path, listener, options);
  }

  /**
   * Calls `listener` on every change of the WebSocket's state (HTTP has none: it is `open`
   * until closed); returns a function that stops it.
   */
  onStateChange(listener: StateListener): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Calls `listener` with the station's notifications other than subscription changes. */
  onNotification(listener: NotificationListener): () => void {
    this.#notificationListeners.add(listener);
    return () => this.#notificationListeners.delete(listener);
  }

  /** Ends every subscription, fails every unanswered call, and closes the connection. */
  close(): void {
    this.#subscriptions?.endAll();
    this.#transport.close();
    this.#calls.failAll((method) => new GroveConnectionError(`${method}: the client was closed`));
  }

  #notified(method: string, params: unknown): void {
    if (method === 'tree.changed' && this.#subscriptions) this.#subscriptions.route(params as TreeChange);
    else if (method === 'tree.progress' && this.#subscriptions) this.#subscriptions.progress(params as SubscriptionProgress);
    else if (method === 'tree.subscriptionEnded' && this.#subscriptions) this.#subscriptions.endedByStation(params as SubscriptionEnded);
    else this.#notificationListeners.forEach((listener) => listener(method, params));
  }
}

/** `rpc` or `ws` under the station's URL, in the scheme that transport needs. */
function endpoint(base: URL, name: string, scheme: 'http' | 'ws'): string {
  const url = new URL(name, base);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  url.protocol = `${scheme}${secure ? 's' : ''}:`;
  return url.href;
}

/** Where there is no global WebSocket: set by the Node entry (node.ts) to the `ws` package's. */
let fallbackWebSocket: WebSocketConstructor | undefined;

export function setFallbackWebSocket(constructor: WebSocketConstructor): void {
  fallbackWebSocket = constructor;
}

function globalWebSocket(): WebSocketConstructor {
  const constructor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? fallbackWebSocket;
  if (constructor === undefined) {
    throw new Error('no global WebSocket here: pass createClient({ WebSocket }), e.g. the "ws" package\'s');
  }
  return constructor;
}
