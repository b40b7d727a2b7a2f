// Subscriptions indexed by path (issue 14): a write looks only at the subscriptions at, above
// and under what it changes (not at all of them), delivers to exactly those, and the station
// holds at most maxStationSubscriptions at once, refused past it with -32005 naming the limit.
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { ChangeHub, type ChangeEvent } from '../src/station/changes.js';
import { Tree } from '../src/tree.js';
import { openStation, waitFor, WsClient } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const trees: Tree[] = [];
afterAll(() => {
  for (const tree of trees) tree.close();
});

function hub(options: ConstructorParameters<typeof ChangeHub>[1] = {}): { tree: Tree; hub: ChangeHub } {
  const tree = Tree.create();
  trees.push(tree);
  return { tree, hub: new ChangeHub(tree, { pollMs: 60_000, ...options }) };
}

/** Whether a subscription at `at` hears of a change at `path`: at, under or above it, by whole names. */
function relates(path: string, at: string): boolean {
  if (path === '' || at === '') return true;
  return path === at || path.startsWith(`${at}/`) || at.startsWith(`${path}/`);
}

describe('subscriptions by path', () => {
  it('a write looks only at the subscriptions it relates to, not at 20,000 elsewhere', () => {
    const { tree, hub: changes } = hub();
    for (let i = 0; i < 20_000; i++) changes.subscribe(`elsewhere/n${i}/leaf`, () => {});
    const heard: ChangeEvent[] = [];
    changes.subscribe('here', (event) => heard.push(event));
    // comparing paths is what a scan over every subscription does for each one of them
    const compared = vi.spyOn(String.prototype, 'startsWith');
    try {
      changes.write('t', () => tree.set('here/x', 1));
      expect(compared.mock.calls.length).toBeLessThan(100);
    } finally {
      compared.mockRestore();
    }
    expect(heard.map((event) => event.path)).toEqual(['here/x']);
    changes.close();
  });

  it('delivers each change to exactly the subscriptions at, above and under it', () => {
    const { tree, hub: changes } = hub();
    const name = fc.constantFrom('a', 'b', 'c');
    const path = fc.array(name, { maxLength: 3 }).map((names) => names.join('/'));
    const write = fc.array(fc.array(name, { minLength: 1, maxLength: 3 }).map((names) => names.join('/')), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(path, { minLength: 1, maxLength: 12 }), fc.array(write, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 4 }), (paths, writes, closed) => {
        const heard = paths.map(() => [] as string[][]);
        const subscriptions = paths.map((at, i) =>
          changes.subscribe(at, (event) => heard[i]!.push(event.changes ? event.changes.map((c) => c.path) : [event.path])),
        );
        const open = new Set(paths.keys());
        for (const index of closed) {
          subscriptions[index % paths.length]!.close();
          open.delete(index % paths.length);
        }
        try {
          for (const targets of writes) changes.write('t', () => targets.forEach((target, i) => tree.set(target, { v: i })));
          for (const [i, at] of paths.entries()) {
            const expected = open.has(i) ? writes.map((targets) => targets.filter((target) => relates(target, at))).filter((seen) => seen.length > 0) : [];
            expect(heard[i], `subscription at "${at}"`).toEqual(expected);
          }
        } finally {
          for (const subscription of subscriptions) subscription.close();
        }
        expect(changes.subscriptionCount).toBe(0);
      }),
      { numRuns: 200 },
    );
    changes.close();
  });

  it('tells quiet subscriptions their progress as the log forgets, however many there are', () => {
    const { tree, hub: changes } = hub({ logSize: 5 });
    const progress: number[] = [];
    changes.subscribe('quiet', () => {}, { onProgress: (version) => progress.push(version) });
    for (let i = 0; i < 12; i++) changes.write('t', () => tree.set('busy', i));
    // told each time the log no longer held the version it was last told of
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(3);
    expect(progress.every((version, i) => i === 0 || version > progress[i - 1]!)).toBe(true);
    changes.close();
  });
});

describe('the station-wide cap', () => {
  it('refuses a subscription past maxStationSubscriptions with -32005 naming it, over WebSocket and SSE', async () => {
    const station = await openStation({ limits: { maxStationSubscriptions: 3 } });
    const clients = [await WsClient.open(station.url), await WsClient.open(station.url)];
    try {
      for (const [i, at] of ['a', 'b', 'c'].entries()) {
        expect((await clients[i % 2]!.call('tree.subscribe', { path: at })).error).toBeUndefined();
      }
      const refused = await clients[1]!.call('tree.subscribe', { path: 'd' });
      expect(refused.error?.code).toBe(ErrorCode.LimitExceeded);
      expect(refused.error?.message).toMatch(/maxStationSubscriptions/);
      expect(refused.error?.data).toMatchObject({ limit: 'maxStationSubscriptions', max: 3 });
      const events = await fetch(`${station.url}/events?path=e`);
      expect(events.status).toBe(503);
      expect(await events.text()).toMatch(/maxStationSubscriptions/);
      // a connection that goes frees its subscriptions for others
      await clients[0]!.close();
      await waitFor(() => station.context.hub.subscriptionCount === 1, 'the closed connection\'s subscriptions to end');
      expect((await clients[1]!.call('tree.subscribe', { path: 'd' })).error).toBeUndefined();
    } finally {
      await clients[1]!.close();
      await station.close();
    }
  });
});
