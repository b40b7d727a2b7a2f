// GET /export?path=...&format=typed|plain: a subtree as JSON text, streamed, so that a
// tree of any size goes out in bounded memory: the text tree.get would answer, written a
// piece at a time. Small subtrees are written by the core's exporter in one call; a large
// node's children are walked one by one from a snapshot of its child list, waiting for the
// connection to take each piece. `x-grove-nodes` gives the subtree's node count (itself
// included) for progress. Each child list is as it was when the export reached it; writes
// made meanwhile elsewhere in the subtree may or may not be in the text.
import type { ServerResponse } from 'node:http';

import type { FastifyPluginAsync } from 'fastify';

import { applicationTypeId } from '../codec/nodixTypes.js';
import { native } from '../native.js';
import { nodeArgs, type Node } from '../node.js';
import { jsonFormatIndex } from '../tree.js';
import { toRpcError } from '../rpc/index.js';
import { httpStatus } from '../wire/errors.js';
import { isStructured, isTypeName, type TypeName } from '../types.js';
import type { StationContext } from './context.js';
import { normalise } from './methods/tree.js';

/** Subtrees of at most this many nodes are written in one call of the core's exporter. */
const WHOLE_NODES = 4096;
const PLAIN = jsonFormatIndex('plain', 'export');
const TYPED = jsonFormatIndex('typed', 'export');
/** Text is handed to the connection in pieces of about this many characters. */
const PIECE_CHARS = 1 << 16;

export const exportRoute: FastifyPluginAsync<{ station: StationContext }> = async (app, { station }) => {
  app.get(
    '/export',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            path: { type: 'string', default: '' },
            format: { enum: ['plain', 'typed'], default: 'typed' },
            token: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { path: string; format: 'plain' | 'typed'; token?: string };
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : query.token;
      let top: Node;
      try {
        const path = normalise(station, query.path);
        station.auth.check(station.auth.authenticate(token), 'read', path);
        top = station.tree.node(path);
      } catch (err) {
        const error = toRpcError(err, query.path);
        if (error === undefined) throw err;
        const status = httpStatus(error.code);
        return reply.code(status).send({ error: { code: error.code, message: error.message, data: error.data } });
      }
      reply.hijack();
      const raw = reply.raw;
      try {
        raw.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'x-grove-nodes': String(top.size),
          'x-grove-version': String(station.tree.version),
        });
        for (const piece of exportPieces(top, query.format === 'typed')) {
          if (raw.destroyed) return;
          if (!raw.write(piece)) await drained(raw);
        }
        raw.end();
      } catch (error) {
        // the status is sent: a cut-off body is how the client learns the export failed
        request.log.error({ err: error }, 'export failed');
        raw.destroy();
      } finally {
        top.release();
      }
    },
  );
};

/** Resolves once the connection takes more, or is gone. */
function drained(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

/** What is being written: a node whose children are written one at a time. */
interface Frame {
  readonly node: Node;
  readonly children: Iterator<Node>;
  readonly plainObject: boolean;
  /** Plain objects write only the first child of a name, as the core's exporter does. */
  readonly written: Set<string> | undefined;
  first: boolean;
}

/** What a caller knows of the top of an export: its size (so it is not counted again), another name for it (typed). */
export interface TopOptions {
  size?: number;
  /** The name a large typed top is written with (the content hash writes ""). */
  name?: string;
  /** As tree.get's `depth`: structured nodes more than this many levels below the top are written without their children. */
  depth?: number;
}

/**
 * The subtree at `top` as JSON text, in pieces: the same text as the core's exporter
 * writes for it in one call (tree.get), given no writes meanwhile.
 */
export function* exportPieces(top: Node, typed: boolean, { size, name, depth = Infinity }: TopOptions = {}): Generator<string> {
  const frames: Frame[] = [];
  let text = '';
  try {
    text = open(top, typed, frames, depth, name, size);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const next = frame.children.next();
      if (next.done) {
        frames.pop();
        if (frame.node !== top) frame.node.release();
        text += frame.plainObject ? '}' : typed ? ']}' : ']';
        continue;
      }
      const child = next.value;
      if (frame.written !== undefined) {
        if (frame.written.has(child.name)) {
          child.release();
          continue;
        }
        frame.written.add(child.name);
      }
      if (!frame.first) text += ',';
      frame.first = false;
      if (frame.plainObject) text += `${JSON.stringify(child.name)}:`;
      text += open(child, typed, frames, depth);
      if (text.length >= PIECE_CHARS) {
        yield text;
        text = '';
      }
    }
    if (text.length > 0) yield text;
  } finally {
    for (const frame of frames) {
      frame.children.return?.();
      if (frame.node !== top) frame.node.release();
    }
  }
}

/**
 * A node's text: all of it when it is small or cut by `depth` (the node is then released,
 * unless it is the top), else its opening, with a frame pushed for its children.
 */
function open(node: Node, typed: boolean, frames: Frame[], depth: number, name = node.name, size?: number): string {
  const type = node.type;
  const structured = !isTypeName(type) || isStructured(type as TypeName);
  const typeText = isTypeName(type) ? type : applicationTypeId(node.typeId);
  // the open frames are the node's ancestors in the export: as deep as the core's exporter cuts
  const below = depth - frames.length;
  if (structured && below < 0) {
    const text = typed ? `{"name":${JSON.stringify(name)},"type":${JSON.stringify(typeText)},"childCount":${node.childCount}}` : 'true';
    if (frames.length > 0) node.release();
    return text;
  }
  // a count of the subtree walks it: a node with more children than that needs none, and
  // one whose children are all cut needs none either
  const whole = () => node.childCount <= WHOLE_NODES && (below === 0 || (size ?? node.size) <= WHOLE_NODES);
  if (!structured || node.childCount === 0 || whole()) {
    const format = typed ? TYPED : PLAIN;
    const [tree, ref] = nodeArgs(node, 'export');
    // a leaf has no depth to cut: below may be negative for it
    const text = below === Infinity || !structured ? native.exportJSON(tree, ref, '', format) : native.exportJSON(tree, ref, '', format, below);
    if (frames.length > 0) node.release();
    return text;
  }
  const plainObject = !typed && type !== 'list';
  frames.push({
    node,
    children: node[Symbol.iterator](),
    plainObject,
    written: plainObject ? new Set() : undefined,
    first: true,
  });
  if (!typed) return plainObject ? '{' : '[';
  return `{"name":${JSON.stringify(name)},"type":${JSON.stringify(typeText)},"children":[`;
}
