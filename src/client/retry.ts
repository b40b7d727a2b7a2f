// Retrying calls the cluster refused for now (-32008: an owner failing over, NATS coming back),
// when the caller opts in (ClientOptions.retry). Only calls a second delivery cannot harm are
// retried: reads, and writes conditioned on what they replace (a version, or tree.cas's expected
// value), which a retry after an unseen success answers with a conflict rather than applying twice.
import { ErrorCode } from '../wire/errors.js';
import { GroveRpcError } from './errors.js';
import type { RpcParams } from './wire.js';

export interface RetryOptions {
  /** Calls after the first (default 3). */
  readonly attempts?: number;
  /** The longest the retries of one call wait in all, in ms (default 10 000). */
  readonly maxWaitMs?: number;
}

const READS = new Set(['tree.get', 'tree.list', 'tree.find', 'tree.hash', 'tree.plot', 'tree.history', 'station.info', 'cluster.info', 'rpc.discover']);
/** The wait when the station's error does not say (data.retryAfterMs). */
const DEFAULT_WAIT_MS = 500;

/** Whether delivering the call twice is harmless: a read, or a write that names the version (or value) it expects. */
export function isRetrySafe(method: string, params: RpcParams | undefined): boolean {
  if (READS.has(method)) return true;
  const p = (params ?? {}) as Record<string, unknown>;
  if (method === 'tree.set' || method === 'tree.delete') return p.ifVersion !== undefined;
  if (method === 'tree.transact') return typeof p.ifVersions === 'object' && p.ifVersions !== null && Object.keys(p.ifVersions).length > 0;
  return method === 'tree.cas';
}

/** Runs `call`, again after a -32008 while attempts and time remain, waiting what the station said. */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 3;
  let budget = options.maxWaitMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GroveRpcError) || error.code !== ErrorCode.ClusterUnavailable || attempt >= attempts) throw error;
      const asked = (error.data as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
      const wait = Math.min(typeof asked === 'number' && asked >= 0 ? asked : DEFAULT_WAIT_MS, budget);
      if (wait <= 0) throw error;
      budget -= wait;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
