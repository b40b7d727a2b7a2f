import type { Socket } from 'node:net';

import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RpcEngine } from './engine.js';
import { ErrorCode } from '../wire/errors.js';
import { RpcError, wireError } from './errors.js';
import { limitExceeded } from './limits.js';
import { errorResponse } from './protocol.js';

export interface RpcHttpOptions {
  engine: RpcEngine;
}

/** `POST /rpc`: JSON-RPC 2.0 over HTTP, one request, notification or batch per body. */
export const rpcHttp: FastifyPluginAsync<RpcHttpOptions> = async (app, { engine }) => {
  const { maxBodyBytes, maxQueuedBytes, maxUnsentBytes } = engine.limits;

  // the engine parses the body itself, so malformed JSON is a -32700, not fastify's 400
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/json-rpc'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );

  // errors raised before the handler (body too large, wrong content type) still answer in JSON-RPC
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    let rpcError: RpcError;
    if (error instanceof RpcError) {
      rpcError = error; // raised before the handler with its own code, e.g. by the rate limiter
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      rpcError = limitExceeded('maxBodyBytes', maxBodyBytes, 'the request body is too large');
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      rpcError = wireError('InvalidRequest', 'send the body as Content-Type: application/json');
    } else if (status < 500) {
      rpcError = wireError('InvalidRequest', error.message);
    } else {
      request.log.error({ err: error }, 'JSON-RPC over HTTP failed');
      rpcError = wireError('InternalError');
    }
    return sendRpcError(reply, status, rpcError);
  });

  app.post('/rpc', { bodyLimit: maxBodyBytes }, async (request, reply) => {
    // a client that pipelines requests and does not read the answers is not answered further
    // until the network has taken them down to maxQueuedBytes, and is cut off past maxUnsentBytes;
    // its requests take turns, in the order sent, as HTTP sends their answers
    const socket = request.raw.socket;
    const unsent = unsentOf(socket);
    const previous = unsent.turn;
    let done!: () => void;
    unsent.turn = new Promise((resolve) => (done = resolve));
    try {
      await previous;
      if (unsent.bytes > maxQueuedBytes) await drained(socket, unsent, maxQueuedBytes);
      if (socket.destroyed) return reply.hijack();
      return await answer(request, reply, unsent);
    } finally {
      done();
    }
  });

  async function answer(request: FastifyRequest, reply: FastifyReply, unsent: Unsent): Promise<FastifyReply | undefined> {
    const response = await engine.handle(Buffer.isBuffer(request.body) ? request.body : '', {
      transport: 'http',
      connectionId: `http:${request.id}`,
      token: bearerToken(request.headers.authorization),
      address: request.ip,
      log: request.log,
    });
    // only notifications: the spec says return nothing, and HTTP says so with 204
    if (response === undefined) return reply.code(204).send();
    if (response.errorCode === ErrorCode.Unauthenticated) reply.code(401).header('www-authenticate', 'Bearer');
    if (response.retryAfterMs !== undefined) reply.code(429).header('retry-after', Math.ceil(response.retryAfterMs / 1000));
    if (unsent.bytes + response.body.length > maxUnsentBytes) {
      request.log.warn({ unsent: unsent.bytes }, 'connection closed: it does not read its answers');
      reply.hijack();
      request.raw.socket.destroy();
      return undefined;
    }
    unsent.bytes += response.body.length;
    reply.raw.once('close', () => (unsent.bytes -= response.body.length));
    return reply.type('application/json').send(response.body);
  }
};

interface Unsent {
  bytes: number;
  /** Settles once the request before has been answered. */
  turn: Promise<void>;
}

/** Bytes of answers sent on each connection that the network has not taken yet. */
const unsentBytes = new WeakMap<Socket, Unsent>();

function unsentOf(socket: Socket): Unsent {
  let unsent = unsentBytes.get(socket);
  if (unsent === undefined) unsentBytes.set(socket, (unsent = { bytes: 0, turn: Promise.resolve() }));
  return unsent;
}

/** Resolves once a connection's unsent answers are down to `bytes`, or it is gone. */
function drained(socket: Socket, unsent: Unsent, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (unsent.bytes <= bytes || socket.destroyed) resolve();
      else setTimeout(check, 10).unref();
    };
    check();
  });
}

/** Answers an HTTP request with a status and one JSON-RPC error (id null): a request refused before any call. */
export function sendRpcError(reply: FastifyReply, status: number, error: RpcError): FastifyReply {
  const retryAfterMs = (error.data as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
  return reply.code(status).type('application/json').send(errorResponse(null, error));
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer +(\S+) *$/i);
  return match?.[1];
}
