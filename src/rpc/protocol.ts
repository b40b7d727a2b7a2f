import { RpcError, wireError } from './errors.js';

/** A number literal kept as its text: a request id that no JavaScript number writes back the same way. */
export class ExactNumber {
  constructor(readonly text: string) {}
}

/** A request id as JSON-RPC 2.0 allows it; echoed exactly in the response. */
export type RpcId = string | number | ExactNumber | null;

/** One well-formed request object. `id` is absent for a notification. */
export interface RpcCall {
  id?: RpcId;
  method: string;
  params?: Record<string, unknown> | unknown[];
}

export type ReadCall = { call: RpcCall } | { id: RpcId; error: RpcError };

/**
 * Checks one request object's shape (spec section 4). An invalid one is always answered,
 * with its id when that id is itself valid, else with null.
 */
export function readCall(item: unknown): ReadCall {
  if (!isObject(item)) return invalid(null, `expected a request object, got ${kind(item)}`);
  const hasId = Object.hasOwn(item, 'id');
  const { id, jsonrpc, method, params } = item;
  if (hasId && !isId(id)) return invalid(null, `"id" must be a string, a number or null, got ${kind(id)}`);
  const echo = hasId ? (id as RpcId) : null;
  if (jsonrpc !== '2.0') return invalid(echo, `"jsonrpc" must be exactly "2.0"`);
  if (typeof method !== 'string') return invalid(echo, `"method" must be a string, got ${kind(method)}`);
  if (params !== undefined && !isObject(params) && !Array.isArray(params)) {
    return invalid(echo, `"params" must be an object (params are by name), got ${kind(params)}`);
  }
  const call: RpcCall = { method };
  if (hasId) call.id = id as RpcId;
  if (params !== undefined) call.params = params as RpcCall['params'];
  return { call };
}

export function resultResponse(id: RpcId, resultJson: string): string {
  return `{"jsonrpc":"2.0","result":${resultJson},"id":${idJson(id)}}`;
}

export function errorResponse(id: RpcId, { code, message, data }: RpcError): string {
  let error: string;
  try {
    error = JSON.stringify({ code, message, data });
  } catch {
    // data a handler attached may not serialise (a BigInt, a cycle); the code and message still do
    error = JSON.stringify({ code, message });
  }
  return `{"jsonrpc":"2.0","error":${error},"id":${idJson(id)}}`;
}

function idJson(id: RpcId): string {
  return id instanceof ExactNumber ? id.text : JSON.stringify(id);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is RpcId {
  return value === null || typeof value === 'string' || typeof value === 'number' || value instanceof ExactNumber;
}

function invalid(id: RpcId, why: string): ReadCall {
  return { id, error: wireError('InvalidRequest', why) };
}

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value instanceof ExactNumber ? `number ${value.text.slice(0, 40)}` : 'an object';
  return `${typeof value} ${(typeof value === 'bigint' ? String(value) : JSON.stringify(value)).slice(0, 40)}`;
}
