// The RPC error of a write the cluster cannot take now (NATS is unreachable, the owner is
// not answering, this station's lease lapsed): beside the store's StoreFailed.
import { type RpcError, wireError } from '../rpc/index.js';

export function clusterUnavailable(message: string, data?: Record<string, unknown>): RpcError {
  return wireError('ClusterUnavailable', message, data);
}
