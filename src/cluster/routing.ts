// Where a call runs (README "Cluster"): a write or node.invoke for a path another station
// owns is forwarded to it over NATS request/reply and answered as if local; the owner answers
// forwarded calls with its own engine. The decision of which station owns a call is the
// Cluster's (route()); this file carries the call there and back.
import type { Msg, NatsConnection } from '@nats-io/transport-node';

import { normalizePath } from '../paths.js';
import { stringifyExact } from '../codec/exactJson.js';
import { ErrorCode, parseExact, RawJson, type RpcContext, type RpcEngine, RpcError, toRpcError, wireError } from '../rpc/index.js';
import { writeOps } from '../auth/index.js';
import { clusterUnavailable } from './errors.js';
import type { Membership } from './membership.js';
import { ancestorsOf, ownerKey, rpcSubject } from './names.js';

/** Forwarding gives up after this many hops (ownership moving faster than calls). */
export const MAX_HOPS = 3;
const FORWARD_TIMEOUT_MS = 10_000;

/** The paths a call acts on: node.invoke's and station.migrate's path, or each path a write writes. */
export function callPaths(method: string, params: Record<string, unknown>): string[] {
  if (method === 'node.invoke' || method === 'station.migrate') return [normalizePath(String(params.path ?? ''))];
  return writeOps(method, params).map((op) => op.path);
}

/** The owners-bucket keys of the paths and every ancestor of them. */
export function ancestorKeys(paths: string[]): string[] {
  return [...new Set(paths.flatMap((path) => ancestorsOf(path).map(ownerKey)))];
}

/**
 * The error of a call whose owner does not answer: a replica takes its prefixes over once its
 * lease runs out, so the caller is told when a retry should succeed (data.retryAfterMs).
 */
export function failover(owner: string, leaseMs: number, what: string, then: string, cause?: string): RpcError {
  return clusterUnavailable(`station ${owner} ${what}; a replica takes over within about ${Math.max(1, Math.round(leaseMs / 1000))} s: ${then}`, {
    owner,
    retryAfterMs: leaseMs,
    ...(cause ? { cause } : {}),
  });
}

/**
 * Sends a call to its owner and returns the owner's answer (its error rethrown as an RpcError).
 * An owner that dies with the call gets no full timeout: once its lease lapses, or it is back
 * as a new process, the caller is told.
 */
export async function forward(
  nc: NatsConnection,
  members: Membership,
  owner: string,
  method: string,
  params: Record<string, unknown>,
  context: RpcContext,
): Promise<unknown> {
  const hops = context.hops ?? 0;
  if (!members.alive(owner)) throw failover(owner, members.leaseMs, 'stopped answering', 'retry then');
  const body = stringifyExact({ method, params, token: context.token, hops: hops + 1, from: members.self, connection: context.connectionId });
  let reply: Msg;
  let watch: NodeJS.Timeout | undefined;
  try {
    const incarnation = members.stations.get(owner)?.value.incarnation;
    const silent = new Promise<never>((_resolve, reject) => {
      watch = setInterval(() => {
        if (members.alive(owner) && members.stations.get(owner)?.value.incarnation === incarnation) return;
        reject(failover(owner, members.leaseMs, 'stopped answering while it had this call (it may or may not have applied it)', 'read, then retry'));
      }, 100);
    });
    reply = await Promise.race([nc.request(rpcSubject(owner), body, { timeout: FORWARD_TIMEOUT_MS }), silent]);
  } catch (error) {
    if (error instanceof RpcError) throw error;
    const message = (error as Error).message;
    if (/max.?payload/i.test(message)) {
      throw new RpcError(ErrorCode.LimitExceeded, `the call is too large to forward to its owner ${owner} over NATS (${body.length} bytes): send it to that station`, {
        owner,
        url: members.stations.get(owner)?.value.url,
      });
    }
    // no responders or no answer in time: the owner is gone, or going, and its lease decides what happens next
    throw failover(owner, members.leaseMs, 'stopped answering', 'retry then', message);
  } finally {
    clearInterval(watch);
  }
  const answer = reply.json<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>();
  if (answer.error) throw new RpcError(answer.error.code, answer.error.message, answer.error.data);
  return answer.result ?? null;
}

/** Answers one call forwarded to this station with its engine; a bug is logged here and answered as an internal error. */
export async function answerForwarded(engine: RpcEngine, message: Msg, log: (line: string) => void): Promise<void> {
  const rpcLog = { error: (details: object, text: string) => log(`${text}: ${JSON.stringify(details)}`) };
  let reply: string;
  try {
    const { method, params, token, hops, from, connection } = parseExact(message.string()) as {
      method: string;
      params: Record<string, unknown>;
      token?: string;
      hops: number;
      from: string;
      connection: string;
    };
    const context: RpcContext = { transport: 'cluster', connectionId: `${from}/${connection}`, token, log: rpcLog, hops };
    const result = await engine.call(method, params, context);
    reply = `{"result":${result instanceof RawJson ? result.text : JSON.stringify(result ?? null)}}`;
  } catch (error) {
    const rpc = toRpcError(error) ?? wireError('InternalError');
    if (!toRpcError(error)) log(`forwarded call failed: ${(error as Error)?.stack ?? error}`);
    reply = JSON.stringify({ error: { code: rpc.code, message: rpc.message, data: rpc.data } });
  }
  message.respond(reply);
}
