import type { RpcRequest } from './wire.js';

/**
 * `open`: calls go out at once. `connecting`: a WebSocket is opening or authenticating, and
 * calls wait for it. `disconnected`: the socket was lost and a reconnect is scheduled.
 * `closed`: for good, by `close()` or because the station refused the token.
 */
export type ConnectionState = 'connecting' | 'open' | 'disconnected' | 'closed';

/** Moves JSON-RPC messages; the client's CallTracker matches the answers to the calls. */
export interface Transport {
  readonly state: ConnectionState;
  /** Sends calls already opened on the tracker; the transport settles any it cannot deliver. */
  send(message: RpcRequest | readonly RpcRequest[], ids: readonly number[]): void;
  /** Resolves once the notification is handed over (over HTTP, accepted by the station). */
  notify(message: RpcRequest): Promise<void>;
  close(): void;
}
