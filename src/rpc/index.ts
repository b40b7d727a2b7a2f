import type { FastifyPluginAsync } from 'fastify';
import type { RpcEngine } from './engine.js';
import { bearerToken, rpcHttp, sendRpcError } from './http.js';
import { rpcWs, websocketOptions } from './ws.js';

export { createRpcEngine, defineMethod, RawJson, RpcEngine } from './engine.js';
export type { MethodDefinition, RpcContext, RpcEngineOptions, RpcLogger, RpcResponse } from './engine.js';
export { RpcError, toRpcError, wireError } from './errors.js';
export { ErrorCode } from '../wire/errors.js';
export { parseExact } from './json.js';
export { defaultLimits, type RpcLimits } from './limits.js';
export type { OpenRpcDocument, OpenRpcInfo } from './openrpc.js';
export type { RpcId } from './protocol.js';
export type { JsonSchema, ParamsSchema } from './validation.js';
export { bearerToken, rpcHttp, rpcWs, sendRpcError, websocketOptions };

export interface RpcServerOptions {
  engine: RpcEngine;
}

/**
 * Serves an engine's method table on `POST /rpc` and `GET /ws`:
 * `app.register(rpcServer, { engine: createRpcEngine({ info, methods }) })`.
 */
export const rpcServer: FastifyPluginAsync<RpcServerOptions> = async (app, options) => {
  await app.register(rpcHttp, options);
  await app.register(rpcWs, options);
};
