import type { CallFailure, CallTracker } from './calls.js';
import { GroveConnectionError, GroveRpcError } from './errors.js';
import type { ConnectionState, Transport } from './transport.js';
import type { RpcRequest } from './wire.js';

/** What the client needs of a WebSocket: the browser's, or the `ws` package's in Node 20. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // `never` accepts any handler signature, so both implementations' event types fit
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ReconnectOptions {
  /** The wait before the first retry; doubled after each failure, with jitter. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface SocketTransportOptions {
  readonly url: string;
  readonly token: string | undefined;
  readonly WebSocket: WebSocketConstructor;
  readonly reconnect: Required<ReconnectOptions>;
  readonly calls: CallTracker;
  readonly onNotification: (method: string, params: unknown) => void;
  /** Runs once the socket is open and authenticated, before queued calls go out. */
  readonly onOpen: () => void;
  readonly onStateChange: (state: ConnectionState, error?: Error) => void;
}

interface Outgoing {
  readonly message: RpcRequest | readonly RpcRequest[];
  readonly ids: readonly number[];
  /** Settles a notification's promise once it is sent, or is refused. */
  readonly sent?: { resolve: () => void; reject: (error: Error) => void };
}

/**
 * `/ws`: one socket that reconnects with exponential backoff and authenticates in-band after
 * every (re)connect. Calls made while it is down wait for it; calls in flight when it drops
 * fail, since they may or may not have been applied.
 */
export class SocketTransport implements Transport {
  #state: ConnectionState = 'connecting';
  #socket: WebSocketLike | undefined;
  #retries = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Not sent yet: waiting for the socket to open. */
  #queue: Outgoing[] = [];
  /** Sent and not fully answered, oldest first; the station answers one message at a time, in order. */
  #inFlight: Outgoing[] = [];
  /** Set once closed: what every call made from then on fails with. */
  #endedBy: CallFailure | undefined;

  constructor(private readonly options: SocketTransportOptions) {
    this.#connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  send(message: RpcRequest | readonly RpcRequest[], ids: readonly number[]): void {
    this.#submit({ message, ids });
  }

  notify(message: RpcRequest): Promise<void> {
    return new Promise((resolve, reject) => this.#submit({ message, ids: [], sent: { resolve, reject } }));
  }

  close(): void {
    if (this.#endedBy !== undefined) return;
    this.#shutDown((method) => new GroveConnectionError(`${method}: the client was closed`));
    this.#setState('closed');
  }

  #submit(outgoing: Outgoing): void {
    if (this.#endedBy !== undefined) {
      this.#fail(outgoing, this.#endedBy);
    } else if (this.#state === 'open') {
      this.#transmit(outgoing);
    } else {
      // calls that timed out while waiting need not stay queued through a long outage
      this.#queue = this.#queue.filter((queued) => queued.sent !== undefined || this.#stillWanted(queued));
      this.#queue.push(outgoing);
    }
  }

  #transmit(outgoing: Outgoing): void {
    this.#socket!.send(JSON.stringify(outgoing.message));
    if (outgoing.ids.length > 0) this.#inFlight.push(outgoing);
    outgoing.sent?.resolve();
  }

  #connect(): void {
    this.#setState('connecting');
    const socket = new this.options.WebSocket(this.options.url);
    this.#socket = socket;
    socket.onopen = () => void this.#handshake(socket);
    socket.onmessage = (event: { data: unknown }) => {
      if (typeof event.data === 'string') this.#receive(event.data);
    };
    socket.onclose = (event: { code: number; reason: string }) => this.#lost(socket, event);
    // a close event always follows an error, and is where the loss is handled
    socket.onerror = () => {};
  }

  async #handshake(socket: WebSocketLike): Promise<void> {
    const { token, calls } = this.options;
    if (token !== undefined) {
      const { request, result } = calls.open('auth', { token });
      this.#transmit({ message: request, ids: [request.id!] });
      try {
        await result;
      } catch (error) {
        // a refused token will be refused again: stop rather than retry forever
        if (error instanceof GroveRpcError) this.#refused(error);
        // a lost or silent socket: closing it (a no-op if it is gone) schedules the retry
        else socket.close();
        return;
      }
    }
    if (socket !== this.#socket) return;
    this.#retries = 0;
    this.#setState('open');
    this.options.onOpen();
    const queued = this.#queue;
    this.#queue = [];
    for (const outgoing of queued) this.#flush(outgoing);
  }

  /** Sends a queued message, leaving out the calls that timed out while it waited. */
  #flush(outgoing: Outgoing): void {
    if (outgoing.sent !== undefined) return this.#transmit(outgoing);
    const ids = outgoing.ids.filter((id) => this.options.calls.isPending(id));
    if (ids.length === 0) return;
    const message = Array.isArray(outgoing.message)
      ? outgoing.message.filter((request: RpcRequest) => ids.includes(request.id!))
      : outgoing.message;
    this.#transmit({ message, ids });
  }

  #receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return; // not JSON-RPC; nothing to answer it to
    }
    if (isNotification(message)) return this.options.onNotification(message.method, message.params);
    const { calls } = this.options;
    const wholeMessageError = calls.answer(message);
    if (wholeMessageError !== undefined) {
      // answered in order, so an error without an id answers the oldest message still open
      const refused = this.#inFlight.find((outgoing) => this.#stillWanted(outgoing));
      if (refused) calls.fail(refused.ids, (method) => new GroveRpcError(wholeMessageError, method));
    }
    while (this.#inFlight.length > 0 && !this.#stillWanted(this.#inFlight[0]!)) this.#inFlight.shift();
  }

  #lost(socket: WebSocketLike, { code, reason }: { code: number; reason: string }): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    const why = `the connection to ${this.options.url} was lost (${code}${reason ? ` ${reason}` : ''})`;
    this.#failInFlight(
      (method) => new GroveConnectionError(`${method}: ${why} before the station answered; it may or may not have been applied`),
    );
    const { initialDelayMs, maxDelayMs } = this.options.reconnect;
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** this.#retries++);
    // jitter spreads out the clients a station restart disconnected all at once
    this.#retryTimer = setTimeout(() => this.#connect(), delay / 2 + (Math.random() * delay) / 2);
    this.#setState('disconnected', new GroveConnectionError(why));
  }

  /** The station refused the token: every waiting call fails with that refusal (-32006). */
  #refused(error: GroveRpcError): void {
    this.#shutDown(() => error);
    this.#setState('closed', error);
  }

  /** Fails everything queued and in flight, and stops the socket and any retry. */
  #shutDown(failure: CallFailure): void {
    this.#endedBy = failure;
    clearTimeout(this.#retryTimer);
    for (const outgoing of this.#queue.splice(0)) this.#fail(outgoing, failure);
    this.#failInFlight(failure);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'closed by the client');
  }

  #fail(outgoing: Outgoing, failure: CallFailure): void {
    outgoing.sent?.reject(failure((outgoing.message as RpcRequest).method));
    this.options.calls.fail(outgoing.ids, failure);
  }

  #failInFlight(failure: CallFailure): void {
    for (const outgoing of this.#inFlight.splice(0)) this.options.calls.fail(outgoing.ids, failure);
  }

  #stillWanted(outgoing: Outgoing): boolean {
    return outgoing.ids.some((id) => this.options.calls.isPending(id));
  }

  #setState(state: ConnectionState, error?: Error): void {
    this.#state = state;
    this.options.onStateChange(state, error);
  }
}

function isNotification(message: unknown): message is { method: string; params?: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    !Array.isArray(message) &&
    !('id' in message) &&
    typeof (message as { method?: unknown }).method === 'string'
  );
}
