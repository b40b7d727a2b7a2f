// The RPC error of a write the cluster cannot take now (NATS is unreachable, the owner is
// not answering, this station's lease lapsed): beside the store's -32007.
import { RpcError } from '../rpc/index.js';

export const CLUSTER_UNAVAILABLE = -32008;

export function clusterUnavailable(message: string, data?: Record<string, unknown>): RpcError {
  return new RpcError(CLUSTER_UNAVAILABLE, message, data);
}
