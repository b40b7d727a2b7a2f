// `grove/station`: a station to run in your own process, and what a client needs to sign
// writes to a subtree owned by a public key.
export { createStation, type Station, type StationOptions, startStation } from './server.js';
export { ErrorCode } from '../wire/errors.js';
export { canonicalJson, type RulesFile, signWrite, type TokenRule, type WriteSignature, writeDigest } from '../auth/index.js';
export type { StationLimits } from './context.js';
export type { Logger, LogLevel } from './logging.js';
export type { Readiness } from './monitoring.js';
export type { ClusterOptions } from '../cluster/cluster.js';
export type { RpcLimits } from '../rpc/index.js';
export type { FsyncPolicy } from '../store/store.js';
