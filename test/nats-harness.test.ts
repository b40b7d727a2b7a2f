// The NATS harness itself: a JetStream server keeps its streams across a stop and start on the
// same port and store, and a 3-server cluster takes a stream replicated to all three.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type NatsCluster, type NatsServer, startNats, startNatsCluster } from './helpers/nats.js';

const text = new TextDecoder();

describe('startNats', () => {
  let server: NatsServer | undefined;
  afterAll(() => server?.close());

  it('keeps a stream and its messages across a stop and start', { timeout: 240_000 }, async () => {
    server = await startNats();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);

    const before = await connect({ servers: server.url });
    const jsm = await jetstreamManager(before);
    await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'] });
    const ack = await jetstream(before).publish('harness.one', 'kept', { msgID: 'one' });
    expect(ack.seq).toBe(1);
    await before.close();

    await server.stop();
    await server.start();

    const after = await connect({ servers: server.url });
    try {
      const message = await (await jetstreamManager(after)).streams.getMessage('HARNESS', { seq: 1 });
      expect(message?.subject).toBe('harness.one');
      expect(text.decode(message?.data)).toBe('kept');
    } finally {
      await after.close();
    }
  });
});

describe('startNatsCluster', () => {
  let cluster: NatsCluster | undefined;
  afterAll(() => cluster?.close());

  it('replicates a stream to three servers', { timeout: 240_000 }, async () => {
    cluster = await startNatsCluster(3);
    expect(cluster.servers).toHaveLength(3);

    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: 'REPLICATED', subjects: ['replicated.>'], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      await jetstream(nc).publish('replicated.one', 'everywhere', { msgID: 'one' });
      const message = await jsm.streams.getMessage('REPLICATED', { seq: 1 });
      expect(text.decode(message?.data)).toBe('everywhere');
      const state = await jsm.streams.info('REPLICATED');
      expect(state.cluster?.replicas).toHaveLength(2);
    } finally {
      await nc.close();
    }
  });
});
