// The Grove client, for browsers and Node alike: nothing here may import Node modules or
// code outside src/client and src/wire (the wire's shared registry), so that it builds into the
// one file a station serves as /client.js.
// In Node, `grove/client` is node.ts, which adds a WebSocket where Node has none.
export { GroveBatch } from './batch.js';
export { type ClientOptions, createClient, GroveClient, type NotificationListener, type StateListener } from './client.js';
export { GroveConnectionError, GroveRpcError, GroveTimeoutError } from './errors.js';
/** The wire's error codes by name, for comparing with GroveRpcError.code. */
export { ErrorCode as RpcErrorCode } from '../wire/errors.js';
export type {
  AddOptions,
  DeleteOptions,
  FindOptions,
  GetOptions,
  HistoryOptions,
  ListOptions,
  PlotOptions,
  ReadOptions,
  SetOptions,
  SortOptions,
  TransactOptions,
} from './methods.js';
export type { RetryOptions } from './retry.js';
export type { ReconnectOptions, WebSocketConstructor, WebSocketLike } from './socket.js';
export type { ChangeListener, SubscribeOptions, Subscription } from './subscriptions.js';
export type { ConnectionState } from './transport.js';
export type * from './wire.js';
