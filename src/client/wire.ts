// The wire shapes the client speaks, defined here rather than imported so that src/client
// builds into one standalone file for browsers (DESIGN "JSON-RPC 2.0").

export type RpcId = string | number | null;

export type RpcParams = Readonly<Record<string, unknown>>;

export interface RpcRequest {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: RpcParams;
  /** Absent for a notification. */
  readonly id?: number;
}

export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface RpcResponse {
  readonly jsonrpc: '2.0';
  readonly id: RpcId;
  readonly result?: unknown;
  readonly error?: RpcErrorObject;
}

/** A notification the station pushes over WebSocket. */
export interface RpcNotification {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: unknown;
}

/** A node type name (`i64`, `object`, `block_hash`, an application's own type, ...). */
export type TypeName = string;

export type ValueFormat = 'plain' | 'typed';

export interface VersionResult {
  readonly version: number;
}

export interface ChildSummary {
  readonly name: string;
  readonly type: TypeName;
  /** 64-bit, so a decimal string beyond 2^53. */
  readonly id: number | string;
  readonly childCount: number;
}

export interface ListResult {
  readonly total: number;
  /** The listed node's own type, and version: that of the last change at or under it. */
  readonly type: string;
  readonly version: number;
  readonly children: readonly ChildSummary[];
}

export interface AddResult {
  readonly name: string;
  readonly id: number | string;
  readonly version: number;
}

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export interface WhereClause {
  readonly member: string;
  readonly op: CompareOp;
  readonly value: unknown;
}

export interface CasResult<T = unknown> {
  readonly ok: boolean;
  readonly value: T;
}

/** Integers beyond ±2^53 travel as decimal strings. */
export type WireInteger = number | string;

/** The writes `tree.transact` accepts, each with the params its own method takes. */
export type TransactMethod =
  | 'tree.set'
  | 'tree.patch'
  | 'tree.add'
  | 'tree.delete'
  | 'tree.sort'
  | 'tree.increment'
  | 'tree.cas';

export interface TransactOp {
  readonly method: TransactMethod;
  readonly params: RpcParams;
}

export type InvokeArgs = readonly unknown[] | RpcParams;

/** tree.plot's answer: min/max runs of a node's numbers (null for a run without one). */
export interface PlotResult {
  readonly total: number;
  readonly from: number;
  readonly to: number;
  readonly plotted: number;
  readonly skipped: number;
  readonly starts: readonly number[];
  readonly low: readonly (number | null)[];
  readonly high: readonly (number | null)[];
}

/** tree.history's answer: the recent changes that touched a node, newest first. */
export interface HistoryResult {
  readonly changes: readonly TreeChange[];
  /** The station's change log holds the changes after this version only. */
  readonly floor: number;
  readonly version: number;
}

export interface StationInfo {
  readonly id: string;
  readonly version: string | number;
  readonly uptime: number;
  readonly [member: string]: unknown;
}

export interface ClusterInfo {
  /** This station's id. */
  readonly station: string;
  readonly url?: string;
  /** Whether it reaches NATS now (writes are refused while it does not). */
  readonly connected: boolean;
  readonly leaseMs: number;
  readonly peers: ReadonlyArray<{ readonly id: string; readonly url?: string; readonly alive: boolean; readonly silentMs: number; readonly version: number }>;
  /** Owned path prefixes: the longest one of a path names its owner. */
  readonly owners: ReadonlyArray<{ readonly path: string; readonly owner: string; readonly epoch: number }>;
  /** Per followed station: the last of its versions applied here, and the lag (ms) over the last 10,000 records. */
  readonly replication: ReadonlyArray<{
    readonly station: string;
    readonly appliedVersion: number;
    readonly seq: number;
    readonly lagMs: { readonly p50: number; readonly p99: number; readonly samples: number; readonly applied: number };
  }>;
}

export interface MigrateResult {
  readonly path: string;
  readonly from: string;
  readonly to: string;
  /** The old owner's version the move happened at. */
  readonly version: number;
}

export interface OpenRpcDocument {
  readonly openrpc: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly methods: ReadonlyArray<{ readonly name: string; readonly [member: string]: unknown }>;
  readonly [member: string]: unknown;
}

export interface SubscribeResult {
  readonly subscription: string;
  readonly version: number;
}

/** The params of a `tree.changed` notification. */
export interface TreeChange {
  readonly subscription?: string;
  readonly version: number;
  /** Who wrote: the token's name, "open" on a station without tokens, "local" for a write made outside RPC. */
  readonly origin: string;
  readonly path: string;
  readonly op: string;
  readonly value?: unknown;
  readonly oldValue?: unknown;
  /** The value was over 1 MiB of JSON and left out of the event: read it with tree.get. */
  readonly valueOmitted?: true;
  /** The old value was over 1 MiB of JSON and left out of the event. */
  readonly oldValueOmitted?: true;
}

/** The params of a `tree.progress` notification: nothing under the path changed up to `version`. */
export interface SubscriptionProgress {
  readonly subscription: string;
  readonly version: number;
}

/** The params of a `tree.subscriptionEnded` notification: the station ended a subscription. */
export interface SubscriptionEnded {
  readonly subscription: string;
  /** "slow": the connection fell too far behind reading its notifications; "error": the station failed to send one. */
  readonly reason: string;
  readonly message: string;
}
