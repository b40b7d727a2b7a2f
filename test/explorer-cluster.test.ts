// The explorer on a station of a cluster (real nats-server, real Chromium): the station panel's
// two tables (stations; owned prefixes) show what cluster.info says, and follow it live as a
// prefix moves to another station. Two stations on one NATS server: a owns the root, the page
// is on b. Every wait is for a condition, with room for a loaded 2-core machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { type Browser, launchBrowser, shot } from './helpers/browser.js';
import { logFor } from './helpers/cluster.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { httpCaller, openStation, resolving } from './helpers/station.js';

const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 30_000, interval: 100 });

let nats: NatsServer;
let a: Station;
let b: Station;
let browser: Browser;

beforeAll(async () => {
  nats = await startNats();
  const member = (stationId: string) => openStation({ stationId, cluster: { servers: [nats.url], log: logFor(stationId) } });
  // a first: the first station claims the root
  a = await member('a');
  b = await member('b');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await b?.close();
  await a?.close();
  await nats?.close();
}, 60_000);

/** A table's body as text, a row a list of cells. */
async function cellsOf(page: import('playwright-core').Page, label: string): Promise<string[][]> {
  return page.locator(`#station-panel table[aria-label="${label}"] tbody tr`).evaluateAll((rows) =>
    rows.map((row) => Array.from(row.children, (cell) => cell.textContent ?? '')),
  );
}

describe('the explorer on a station of a cluster', () => {
  it('shows the stations and the owned prefixes as cluster.info has them, updated live', { timeout: 120_000 }, async () => {
    const onB = resolving(httpCaller(b.url));
    const onA = resolving(httpCaller(a.url));
    // b follows a's stream, and both hear each other
    await poll(async () => (await onB('cluster.info')).replication.map((entry: { station: string }) => entry.station)).toEqual(['a']);
    for (let i = 0; i < 20; i++) await onB('tree.set', { path: `orders/${i}`, value: i });
    const { page, errors } = await browser.page();
    await page.goto(b.url);

    // the stations: one row each, alive, with their versions
    await poll(async () => (await cellsOf(page, 'Stations')).map((cells) => [cells[0], cells[1]])).toEqual([
      ['a', 'alive'],
      ['b (this one)', 'alive'],
    ]);
    const stations = await cellsOf(page, 'Stations');
    const info = await onB('cluster.info');
    expect(info.peers.map((peer: { id: string }) => peer.id)).toEqual(['a', 'b']);
    for (const i of info.peers.keys()) {
      // the heartbeat age against the lease, and the heartbeat's version (read a moment before this)
      expect(stations[i]![2]).toMatch(new RegExp(`^\\d+\\.\\d s of ${(info.leaseMs / 1000).toFixed(1)} s$`));
      expect(stations[i]![4]).toMatch(/^v\d+$/);
      expect(Number(stations[i]![4]!.slice(1))).toBeLessThanOrEqual((await onB('cluster.info')).peers[i].version);
    }
    expect(stations[0]![5]).toBe('owns /; a copy of the rest');
    expect(stations[1]![5]).toBe('a copy of everything');

    // the owned prefixes: the root, owned by a, replicated on b, applied here as far as b's follower got
    await poll(async () => {
      const [cells] = await cellsOf(page, 'Owned prefixes');
      const now = await onB('cluster.info');
      const follower = now.replication.find((entry: { station: string }) => entry.station === 'a');
      const owner = now.peers.find((peer: { id: string }) => peer.id === 'a');
      const expected = ['/', `a (epoch ${now.owners[0].epoch})`, 'b', `v${follower.appliedVersion} of v${owner.version}`];
      // the page samples once a second: equal once nothing moves between its sample and this one
      return JSON.stringify(cells?.slice(0, 4)) === JSON.stringify(expected) ? 'as cluster.info has it' : JSON.stringify({ cells, expected });
    }).toBe('as cluster.info has it');
    // replication lag, p50 / p99 of what b applied
    const [rootRow] = await cellsOf(page, 'Owned prefixes');
    expect(rootRow![4]).toMatch(/^\d+(\.\d)? ms \/ \d+(\.\d)? ms$/);

    // a prefix moves to b: a second row, owned by b, replicated on a, applied here as its owner
    await onA('station.migrate', { path: 'orders', to: 'b' });
    await poll(async () => (await cellsOf(page, 'Owned prefixes')).map((cells) => cells.slice(0, 3))).toEqual([
      ['/', expect.stringMatching(/^a \(epoch \d+\)$/), 'b'],
      ['/orders', expect.stringMatching(/^b \(epoch \d+\)$/), 'a'],
    ]);
    const owners = (await onB('cluster.info')).owners.map((entry: { path: string; owner: string }) => [entry.path, entry.owner]);
    expect(owners).toEqual([
      ['', 'a'],
      ['orders', 'b'],
    ]);
    await poll(async () => (await cellsOf(page, 'Owned prefixes'))[1]![3]).toMatch(/^owner here \(v\d+\)$/);
    await poll(async () => (await cellsOf(page, 'Stations'))[1]![5]).toBe('owns /orders; a copy of the rest');
    await page.locator('#station-panel').scrollIntoViewIfNeeded();
    await shot(page, 'cluster');
    expect(errors).toEqual([]);
    await page.close();
  });
});
