// `grove/client` in Node (src/client/node.ts) finds a WebSocket by itself: Node's own where it
// has one, else the `ws` package's (Node 20 has none), so a caller passes none.
import { afterAll, expect, it } from 'vitest';

import { createClient, type TreeChange } from '../src/client/node.js';
import type { Station } from '../src/station/server.js';
import { openStation, waitFor } from './helpers/station.js';

let station: Station | undefined;
afterAll(() => station?.close());

it('subscribes and calls over WebSocket with no WebSocket passed in', async () => {
  station = await openStation();
  const client = createClient({ url: station.url, transport: 'ws' });
  try {
    const changes: TreeChange[] = [];
    await client.subscribe('greeting', (change) => changes.push(change));
    expect(client.state).toBe('open');
    await client.set('greeting', 'hello');
    await waitFor(() => changes.length === 1, 'the change notification');
    expect(changes[0]).toMatchObject({ path: 'greeting', value: 'hello' });
    expect(await client.get('greeting')).toBe('hello');
  } finally {
    client.close();
  }
});
