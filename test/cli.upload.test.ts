// The CLI's streaming uploader against a real station: random documents, cut into requests
// of a random size limit, build exactly the tree an import of the whole text builds, and
// no request is larger than the limit. The dry run finds what cannot be sent first.
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkConnection } from '../src/cli/bulk.js';
import { DEFAULT_LIMITS, dryRun, Upload } from '../src/cli/upload.js';
import { type ImportFormat, readDocument } from '../src/codec/import.js';
import { locateIn } from '../src/codec/jsonText.js';
import { type Station, startStation } from '../src/station/server.js';
import { copyContent } from './helpers/cli.js';

let station: Station;
let connection: BulkConnection;
let largestBody = 0;

beforeAll(async () => {
  station = await startStation({ port: 0, stationId: 'upload' });
  station.app.server.on('request', (request: IncomingMessage) => {
    if (request.url === '/rpc') largestBody = Math.max(largestBody, Number(request.headers['content-length'] ?? 0));
  });
  connection = new BulkConnection(station.url, undefined);
});

afterAll(async () => {
  connection?.close();
  await station?.close();
});

/** Reads `text` through an uploader to `target`; the dry run first, as the CLI does. */
async function upload(text: string, format: ImportFormat, target: string, maxRequestBytes: number, piece = 97) {
  const limits = { ...DEFAULT_LIMITS, maxRequestBytes };
  for (const send of [dryRun, (calls: Parameters<typeof dryRun>[0]) => connection.batch(calls)]) {
    const up = new Upload(target, send, limits);
    const reader = readDocument(format, up, { locate: locateIn(text) });
    for (let at = 0; at < text.length; at += piece) {
      reader.write(text.slice(at, at + piece));
      await up.pump();
    }
    reader.end();
    const result = await up.finish();
    if (send !== dryRun) return result;
  }
  throw new Error('unreachable');
}

function content(path: string): unknown {
  return copyContent(station.tree, path);
}

// Documents as text, so that an object may repeat a name (JSON allows it, the tree keeps both).
type Doc = { leaf: string } | { object: [string, Doc][] } | { array: Doc[] };
const names = fc.constantFrom('a', 'b', 'ünï', 'x y', 'k');
const leaves = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('18446744073709551615', '-9223372036854775808', '2.5', '-0.0', '1e300', 'true', 'false', 'null'),
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
);
const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaves.map((leaf) => ({ leaf })),
    fc.array(fc.tuple(names, tie('doc')), { maxLength: 12 }).map((object) => ({ object })),
    fc.array(tie('doc'), { maxLength: 12 }).map((array) => ({ array })),
  ),
}));
const topDocs = fc.oneof(
  fc.array(fc.tuple(names, doc), { maxLength: 12 }).map((object): Doc => ({ object })),
  fc.array(doc, { maxLength: 12 }).map((array): Doc => ({ array })),
);

function text(d: Doc): string {
  if ('leaf' in d) return d.leaf;
  if ('array' in d) return `[${d.array.map(text).join(',')}]`;
  return `{${d.object.map(([key, value]) => `${JSON.stringify(key)}:${text(value)}`).join(',')}}`;
}

describe('the streaming uploader', () => {
  it('builds what the whole text builds, in requests within the limit', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(topDocs, fc.integer({ min: 1200, max: 6000 }), fc.integer({ min: 1, max: 500 }), async (d, limit, piece) => {
        const json = text(d);
        const at = `up/${run++}`;
        station.tree.importJSON(`ref/${run}`, json, { format: 'plain' });
        largestBody = 0;
        try {
          await upload(json, 'plain', at, limit, piece);
        } catch (error) {
          // a container too big for one request, after a sibling of its name: refused before anything is sent
          expect((error as Error).message).toMatch(/must be sent in pieces, but an earlier sibling has the same name/);
          expect(station.tree.tryNode(at)).toBeUndefined();
          return;
        }
        expect(largestBody).toBeLessThanOrEqual(limit);
        expect(content(at)).toEqual(content(`ref/${run}`));
      }),
      { numRuns: 60 },
    );
  });

  it('imports at the root member by member: members of the same name are replaced, the others stay', async () => {
    station.tree.set('stays', 1);
    station.tree.set('replaced', { old: true });
    const members = Array.from({ length: 40 }, (_, i) => `{"i":${i},"text":"${'t'.repeat(50)}"}`).join(',');
    const json = `{"replaced": [${members}], "added": {"x": 1}}`;
    const result = await upload(json, 'plain', '', 1500);
    expect(result.requests).toBeGreaterThan(1);
    expect(station.tree.value('stays')).toBe(1);
    expect(station.tree.get('replaced')).toEqual(JSON.parse(json).replaced);
    expect(station.tree.get('added')).toEqual({ x: 1 });
    await expect(upload('[1]', 'plain', '', 1500)).rejects.toThrow(/the root is an object, and the document holds a list/);
  });

  it('refuses, before sending anything, a value no request can carry', async () => {
    const json = `{"small": 1, "big": "${'x'.repeat(3000)}"}`;
    await expect(upload(json, 'plain', 'toobig', 2048)).rejects.toThrow(
      /^the value at toobig\/big is \d+ bytes of typed JSON, more than one request may carry \(--max-request 2048;/,
    );
    expect(station.tree.tryNode('toobig')).toBeUndefined();
  });

  it('uploads typed JSON and Nodix exactly, application types and list items of records included', async () => {
    const tree = station.tree;
    tree.set('source/rows', Array.from({ length: 200 }, (_, i) => ({ i, label: `row ${i}` })));
    tree.set('source/u64', 2n ** 64n - 1n, 'u64');
    tree.set('source/f32', Math.fround(0.1), 'f32');
    tree.set('source/nan', NaN, 'f64');
    tree.set('source/vec', [1, 2, 3], 'vec3');
    tree.set('source/array', new Float32Array([0.5, -0]), 'f32array');
    tree.set('source/counter', {}, 0x10000001);
    tree.set('source/counter/count', 5n, 'u64');
    const typed = tree.exportJSON('source', 'typed');
    const nodix = 'let NODE_BITCORE_NODE SelfNode = `{"peers": 1, (NODE_BITCORE_TX_LIST)"mempool": [' +
      Array.from({ length: 60 }, (_, i) => `{"tx": ${i}, (NODE_BITCORE_HASH)"h": "${'ab'.repeat(32)}"}`).join(',') + ']}`';
    await upload(nodix, 'nodix', 'nodix/up', 1500);
    station.tree.importJSON('nodix/ref', nodix, { format: 'nodix' });
    expect(content('nodix/up')).toEqual(content('nodix/ref'));
    await upload(typed, 'typed', 'typed/up', 4096);
    expect(content('typed/up')).toEqual(content('source'));
    // typed import keeps names, generated ones too: the copy's typed JSON is the source's
    expect(tree.exportJSON('typed/up', 'typed').replace('"name":"up"', '')).toBe(typed.replace('"name":"source"', ''));
  });
});
