// What every part of a station shares: the tree, its change hub, the authorizer, the RPC
// engine, the limits, the registered abstract types, and the cluster if any.
import type { TypeRegistry } from '../abstractTypes.js';
import type { Cluster } from '../cluster/cluster.js';
import type { RpcEngine } from '../rpc/index.js';
import type { Tree } from '../tree.js';
import type { Authorizer, Identity } from '../auth/index.js';
import type { ChangeHub } from './changes.js';

export interface StationLimits {
  /** Names in a path (DESIGN: 64). */
  maxPathDepth: number;
  /** Bytes in one string value (DESIGN: 16 MiB). */
  maxStringBytes: number;
  /** Subscriptions one connection may hold (DESIGN: 1000). */
  maxSubscriptions: number;
  /** Subscriptions (WebSocket subscriptions and SSE streams) the whole station holds at once. */
  maxStationSubscriptions: number;
}

export const defaultStationLimits: StationLimits = {
  maxPathDepth: 64,
  maxStringBytes: 16 * 1024 * 1024,
  maxSubscriptions: 1000,
  maxStationSubscriptions: 50_000,
};

export interface StationContext {
  readonly id: string;
  readonly version: string;
  readonly startedAt: number;
  readonly tree: Tree;
  readonly hub: ChangeHub;
  readonly auth: Authorizer;
  readonly engine: RpcEngine;
  readonly limits: StationLimits;
  readonly types: TypeRegistry;
  /** The cluster this station belongs to, if it was started with one. */
  readonly cluster?: Cluster;
  /** Open WebSocket connections and SSE streams. */
  connections(): number;
  /** Open connections by transport: WebSocket, SSE, and plain HTTP (kept alive between requests, or serving one). */
  openConnections(): { websocket: number; sse: number; http: number };
  /**
   * Who presents `token` from `address` (the Authorizer's answer), with failed
   * authentications counted against the address and refused past its limit (src/station/rates.ts).
   */
  identify(caller: { token?: string; address?: string }): Identity;
}
