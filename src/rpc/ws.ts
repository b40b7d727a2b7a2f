import { randomUUID } from 'node:crypto';
import websocket, { type WebsocketPluginOptions } from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { FastifyPluginAsync } from 'fastify';
import { RawJson, type RpcContext, type RpcEngine } from './engine.js';
import { wireError } from './errors.js';
import { bearerToken } from './http.js';
import { errorResponse } from './protocol.js';

export interface RpcWsOptions {
  engine: RpcEngine;
}

/** Messages one connection may have waiting for an answer before it is no longer read. */
const maxWaiting = 16;
/** How long one connection's queued messages may be answered before other clients get a turn. */
const TURN_MS = 5;

const binaryRefused = errorResponse(
  null,
  wireError('InvalidRequest', 'binary frames are not supported; send JSON-RPC as text frames'),
);

/** Resolves once `socket` holds at most `bytes` unsent, or is closed. */
function drained(socket: WebSocket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (socket.bufferedAmount <= bytes || socket.readyState !== socket.OPEN) resolve();
      else setTimeout(check, 10).unref();
    };
    check();
  });
}

/** @fastify/websocket's options for an engine: its body limit as the message limit. */
export function websocketOptions(engine: RpcEngine): WebsocketPluginOptions {
  return {
    // ws closes the connection with 1009 "message too big" past this size, without buffering it
    options: { maxPayload: engine.limits.maxBodyBytes },
    // ws has already sent its close frame for protocol errors; close() is then a no-op
    errorHandler: (error, socket, request) => {
      request.log.warn({ err: error }, 'WebSocket error');
      socket.close(1011, 'server error');
    },
  };
}

/**
 * `GET /ws`: JSON-RPC 2.0 over WebSocket. Each text message is a request, notification or
 * batch, answered on the same socket; handlers can push notifications to the connection.
 */
export const rpcWs: FastifyPluginAsync<RpcWsOptions> = async (app, { engine }) => {
  // an application that registered @fastify/websocket itself keeps its options (and can see
  // app.websocketServer); the engine still refuses an oversize message with -32005 then
  if (!app.hasDecorator('websocketServer')) await app.register(websocket, websocketOptions(engine));

  app.get('/ws', { websocket: true }, (socket, request) => {
    const cleanups: Array<() => void> = [];
    let closed = false;
    const { maxQueuedBytes, maxUnsentBytes } = engine.limits;
    const send = (text: string) => {
      // responses to calls still running when the client left have nowhere to go
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount + text.length > maxUnsentBytes) {
        request.log.warn({ unsent: socket.bufferedAmount }, 'WebSocket closed: it does not read what it is sent');
        return socket.close(1008, `over ${maxUnsentBytes} bytes unsent (limits.maxUnsentBytes): read what is sent`);
      }
      socket.send(text);
    };
    const runCleanup = (cleanup: () => void) => {
      try {
        cleanup();
      } catch (err) {
        request.log.error({ err }, 'WebSocket close cleanup failed');
      }
    };
    const context: RpcContext = {
      transport: 'ws',
      connectionId: `ws:${randomUUID()}`,
      token: bearerToken(request.headers.authorization),
      address: request.ip,
      log: request.log,
      notify: (method, params) =>
        send(`{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${params instanceof RawJson ? params.text : JSON.stringify(params)}}`),
      onClose: (cleanup) => (closed ? runCleanup(cleanup) : cleanups.push(cleanup)),
      // what ws holds for a reader that does not keep up, so subscriptions can stop feeding it
      queuedBytes: () => socket.bufferedAmount,
    };

    // messages are answered one at a time, in the order sent, so a client may pipeline calls
    // that depend on each other (a write, then a read of it)
    let queue = Promise.resolve();
    let waiting = 0;
    let turnStarted = 0;
    // read again once fewer messages wait and the client has taken its answers down to the cap
    let resuming = false;
    const resumeWhenDrained = () => {
      if (resuming || !socket.isPaused || waiting >= maxWaiting) return;
      if (socket.bufferedAmount <= maxQueuedBytes) return socket.resume();
      resuming = true;
      void drained(socket, maxQueuedBytes).then(() => {
        resuming = false;
        resumeWhenDrained();
      });
    };
    const answer = async (data: Buffer, isBinary: boolean) => {
      // messages that arrived together would otherwise all be answered in one turn of the
      // event loop (their promises chain as microtasks): other clients get a turn between them
      if (performance.now() - turnStarted > TURN_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turnStarted = performance.now();
      }
      // a client that does not read what it is sent is not read either: its next call waits
      // until the network has taken its answers down to maxQueuedBytes
      if (socket.bufferedAmount > maxQueuedBytes) {
        if (!socket.isPaused) socket.pause();
        await drained(socket, maxQueuedBytes);
      }
      if (isBinary) return send(binaryRefused);
      const response = await engine.handle(data, context);
      if (response !== undefined) send(response.body);
    };
    socket.on('message', (data, isBinary) => {
      // a client sending faster than it is answered stops being read, so TCP pushes back
      // instead of its messages piling up here
      if (++waiting >= maxWaiting && !socket.isPaused) socket.pause();
      // binaryType stays 'nodebuffer', so a message arrives as one Buffer
      queue = queue
        .then(() => answer(data as Buffer, isBinary))
        .catch((err: unknown) => request.log.error({ err }, 'JSON-RPC over WebSocket failed'))
        .finally(() => {
          waiting--;
          resumeWhenDrained();
        });
    });
    socket.on('close', () => {
      closed = true;
      cleanups.splice(0).forEach(runCleanup);
    });
  });
};
