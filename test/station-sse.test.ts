// GET /events: change events as Server-Sent Events, with the version as the event id,
// resuming by since or Last-Event-ID, auth, the log's limits, cleanup and slow readers.
import { get, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { defaultLimits } from '../src/rpc/limits.js';
import { ErrorCode } from '../src/wire/errors.js';

const MAX_QUEUED_BYTES = defaultLimits.maxQueuedBytes;
import { type Station, type StationOptions, startStation } from '../src/station/server.js';
import { waitFor } from './helpers/station.js';

interface Frame {
  id?: string;
  event?: string;
  data?: any;
}

/** An open event stream: its response, and the frames parsed so far (comments left out). */
class Stream {
  readonly frames: Frame[] = [];
  ended = false;
  /** Bytes received, the opening comment included. */
  bytes = 0;
  #text = '';

  constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.#read(chunk));
    response.on('end', () => (this.ended = true));
    streams.push(this);
  }

  get changes(): any[] {
    return this.frames.filter((frame) => frame.event === 'tree.changed').map((frame) => frame.data);
  }

  close(): void {
    this.response.destroy();
  }

  #read(chunk: string): void {
    this.bytes += chunk.length;
    this.#text += chunk;
    let end;
    while ((end = this.#text.indexOf('\n\n')) >= 0) {
      const block = this.#text.slice(0, end);
      this.#text = this.#text.slice(end + 2);
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const [field, value] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
        if (field === 'data') frame.data = JSON.parse(value);
        else frame[field as 'id' | 'event'] = value;
      }
      if (Object.keys(frame).length > 0) this.frames.push(frame);
    }
  }
}

const stations: Station[] = [];
const streams: Stream[] = [];

afterEach(async () => {
  streams.splice(0).forEach((stream) => stream.close());
  await Promise.all(stations.splice(0).map((station) => station.close()));
});

async function station(options: StationOptions = {}): Promise<Station> {
  const started = await startStation({ port: 0, rateLimit: false, ...options });
  stations.push(started);
  return started;
}

function request(station: Station, query: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(`${station.url}/events${query}`, { headers }, resolve).on('error', reject));
}

/** Opens a stream, expecting it to be accepted. */
async function open(station: Station, query = '', headers: Record<string, string> = {}): Promise<Stream> {
  const response = await request(station, query, headers);
  expect(response.statusCode).toBe(200);
  const stream = new Stream(response);
  await waitFor(() => stream.bytes > 0, 'the stream to open');
  return stream;
}

/** A refused request's status and JSON body. */
async function refusal(station: Station, query: string, headers: Record<string, string> = {}) {
  const response = await request(station, query, headers);
  let body = '';
  for await (const chunk of response) body += chunk;
  return { status: response.statusCode, body: JSON.parse(body) };
}

/** Writes as a client would, through the change hub, so each write is one event. */
function write(station: Station, path: string, value: unknown): number {
  return station.context.hub.write('test', () => station.tree.set(path, value as never));
}

describe('GET /events', () => {
  it('streams the changes under a path as text/event-stream, each with its version as id', async () => {
    const grove = await station();
    write(grove, 'a/n', 1);
    const stream = await open(grove, '?path=a');
    expect(stream.response.headers['content-type']).toBe('text/event-stream');
    expect(stream.response.headers['cache-control']).toBe('no-cache');

    const first = write(grove, 'a/n', 2);
    write(grove, 'b', 1);
    const second = write(grove, 'a/m', 'x');
    await waitFor(() => stream.frames.length === 2, 'two events');
    expect(stream.frames).toEqual([
      { id: String(first), event: 'tree.changed', data: { path: 'a/n', op: 'set', value: 2, oldValue: 1, version: first, origin: 'test' } },
      { id: String(second), event: 'tree.changed', data: { path: 'a/m', op: 'add', value: 'x', version: second, origin: 'test' } },
    ]);
  });

  it('replays from since, and from Last-Event-ID in preference to it', async () => {
    const grove = await station();
    const versions = [1, 2, 3, 4].map((value) => write(grove, 'n', value));

    const fromSince = await open(grove, `?since=${versions[1]}`);
    const resumed = await open(grove, `?since=${versions[0]}`, { 'last-event-id': String(versions[2]) });
    await waitFor(() => fromSince.changes.length === 2 && resumed.changes.length === 1, 'the replays');
    expect(fromSince.frames.map((frame) => frame.id)).toEqual([String(versions[2]), String(versions[3])]);
    expect(resumed.changes.map((change) => change.value)).toEqual([4]);

    const live = write(grove, 'n', 5);
    await waitFor(() => resumed.changes.length === 2, 'the live event');
    expect(resumed.frames.at(-1)!.id).toBe(String(live));
  });

  it('moves a quiet stream\'s id on with progress events as the log forgets versions', async () => {
    const grove = await station({ changeLogSize: 2 });
    const start = write(grove, 'busy', 0);
    const stream = await open(grove, '?path=quiet');
    for (let value = 1; value <= 6; value++) write(grove, 'busy', value);
    await waitFor(() => stream.frames.length === 2, 'two progress events');
    expect(stream.frames).toEqual([
      { id: String(start + 3), event: 'progress', data: { version: start + 3 } },
      { id: String(start + 6), event: 'progress', data: { version: start + 6 } },
    ]);
    expect(grove.context.hub.floor).toBe(start + 4);
    const change = write(grove, 'quiet', 1);
    const resumed = await open(grove, '?path=quiet', { 'last-event-id': String(start + 6) });
    await waitFor(() => resumed.changes.length === 1, 'the change');
    expect(resumed.frames[0]!.id).toBe(String(change));
  });

  it('refuses a since the bounded log no longer reaches with an HTTP error, not a silent gap', async () => {
    const grove = await station({ changeLogSize: 2 });
    const versions = [1, 2, 3].map((value) => write(grove, 'n', value));
    expect(await refusal(grove, `?since=${versions[0] - 1}`)).toEqual({
      status: 400,
      body: {
        error: {
          code: ErrorCode.LimitExceeded,
          message:
            `the change log no longer reaches back to version ${versions[0] - 1}: it holds versions after ${versions[0]}; ` +
            'subscribe without since, then read the subtree again',
          data: { since: versions[0] - 1, floor: versions[0], path: '' },
        },
      },
    });
    expect((await refusal(grove, '', { 'last-event-id': '0' })).status).toBe(400);
    expect(grove.context.hub.subscriptionCount).toBe(0);
  });

  it('needs a token when the station has tokens: 401 without or with a wrong one, 403 outside its rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-rules-'));
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ tokens: { 'reader-secret-1': { name: 'reader', read: ['pub'] } } }));
    const grove = await station({ tokens: ['admin-secret-1'], rulesFile });

    const missing = await refusal(grove, '?path=pub');
    expect(missing).toMatchObject({ status: 401, body: { error: { code: ErrorCode.Unauthenticated } } });
    expect((await refusal(grove, '?path=pub&token=wrong')).status).toBe(401);
    expect(await refusal(grove, '?path=secret', { authorization: 'Bearer reader-secret-1' })).toEqual({
      status: 403,
      body: { error: { code: ErrorCode.Forbidden, message: expect.stringContaining('may not read "secret"'), data: { path: 'secret' } } },
    });

    const byHeader = await open(grove, '?path=pub', { authorization: 'Bearer reader-secret-1' });
    const byQuery = await open(grove, '?path=pub&token=reader-secret-1');
    const version = write(grove, 'pub/x', 1);
    await waitFor(() => byHeader.changes.length === 1 && byQuery.changes.length === 1, 'both streams');
    expect(byQuery.frames[0]!.id).toBe(String(version));
  });

  it('ends the subscription when the reader goes away, and its streams when the station closes', async () => {
    const grove = await station();
    const leaving = await open(grove);
    const staying = await open(grove, '?path=a');
    expect(grove.context.hub.subscriptionCount).toBe(2);
    expect((await grove.context.engine.call('station.info', {}, rpcContext)) as object).toMatchObject({ connections: 2 });

    leaving.close();
    await waitFor(() => grove.context.hub.subscriptionCount === 1, 'the cleanup');
    await grove.close();
    stations.splice(0);
    await waitFor(() => staying.ended, 'the stream to end');
  });

  it(`ends a stream with more than ${MAX_QUEUED_BYTES} bytes waiting with subscriptionEnded; the reader resumes from the log`, async () => {
    const grove = await station();
    const stream = await open(grove);
    stream.response.pause();
    const big = 'x'.repeat(256 * 1024);
    const versions: number[] = [];
    // each event carries the value and the old one; the socket buffers take some megabytes first
    for (let i = 0; i < 200 && grove.context.hub.subscriptionCount > 0; i++) versions.push(write(grove, 'big', `${i}${big}`));
    expect(grove.context.hub.subscriptionCount).toBe(0);
    versions.push(write(grove, 'big', 'after'));

    stream.response.resume();
    await waitFor(() => stream.ended, 'the stream to end', 10_000);
    const last = stream.frames.at(-1)!;
    expect(last).toEqual({
      event: 'subscriptionEnded',
      data: { reason: 'slow', message: `over ${MAX_QUEUED_BYTES} bytes of events were waiting to be read; reconnect from the last id seen` },
    });
    const delivered = stream.changes.map((change) => change.version);
    expect(delivered).toEqual(versions.slice(0, delivered.length));

    const resumed = await open(grove, '', { 'last-event-id': String(delivered.at(-1)) });
    await waitFor(() => resumed.changes.length === versions.length - delivered.length, 'the rest', 10_000);
    expect(resumed.changes.map((change) => change.version)).toEqual(versions.slice(delivered.length));
  });
});

const rpcContext = { transport: 'http', connectionId: 'test', log: { error: () => {} } } as const;
