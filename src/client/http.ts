import type { CallTracker } from './calls.js';
import { GroveConnectionError, GroveRpcError } from './errors.js';
import type { ConnectionState, Transport } from './transport.js';
import type { RpcRequest } from './wire.js';

/** `POST /rpc`: one HTTP request per call, batch or notification. */
export class HttpTransport implements Transport {
  #closed = false;

  constructor(
    private readonly endpoint: string,
    private readonly calls: CallTracker,
    private readonly token: string | undefined,
  ) {}

  get state(): ConnectionState {
    return this.#closed ? 'closed' : 'open';
  }

  send(message: RpcRequest | readonly RpcRequest[], ids: readonly number[]): void {
    this.#post(message).then(
      ({ status, body }) => {
        const wholeMessageError = this.calls.answer(body);
        // 401 and 413 arrive here too: their body is the JSON-RPC error for the whole message
        this.calls.fail(ids, (method) =>
          wholeMessageError === undefined
            ? new GroveConnectionError(`${method}: the HTTP ${status} answer held no response to this call`, status)
            : new GroveRpcError(wholeMessageError, method),
        );
      },
      (error: Error) => this.calls.fail(ids, (method) => new GroveConnectionError(`${method}: ${error.message}`)),
    );
  }

  async notify(message: RpcRequest): Promise<void> {
    const { body } = await this.#post(message);
    // a notification is never answered, unless the station refused the whole message
    const refusal = this.calls.answer(body);
    if (refusal !== undefined) throw new GroveRpcError(refusal, message.method);
  }

  close(): void {
    this.#closed = true;
  }

  /** The HTTP status and parsed body, undefined when there is none (204). */
  async #post(message: RpcRequest | readonly RpcRequest[]): Promise<{ status: number; body: unknown }> {
    if (this.#closed) throw new GroveConnectionError('the client is closed');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let status: number;
    let text: string;
    try {
      // the CallTracker's own timers report timeouts; this only stops the request
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.calls.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new GroveConnectionError(`POST ${this.endpoint} failed: ${(error as Error).message}`);
    }
    if (status === 204) return { status, body: undefined };
    try {
      return { status, body: JSON.parse(text) };
    } catch {
      throw new GroveConnectionError(
        `POST ${this.endpoint} answered HTTP ${status} without a JSON-RPC body: ${text.slice(0, 200)}`,
        status,
      );
    }
  }
}
