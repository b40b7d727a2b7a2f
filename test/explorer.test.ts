// The explorer page (web/) end to end: Debian's Chromium, driven by playwright-core, against
// a station in this process with the demo data, a list of a million children, and tokens
// (one with every grant, one limited to "users"). One page is opened once and the tests run
// in order on it, as a user would: sign in, browse, plot, page, edit, watch live changes and
// the history, add and delete, then use only the keyboard; a second tab signs in with the
// limited token. Screenshots go to test/artifacts/ (committed: README's explorer section links them).
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Station, startStation } from '../src/station/server.js';
import { Tree } from '../src/tree.js';
import { type Browser, launchBrowser, shot as shotOf } from './helpers/browser.js';
import { httpCaller, resolving, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const TOKEN = 'explorer-test-token';
const LIMITED = 'explorer-limited-token';
const BIG = 1_000_000;
const SAMPLES = 100_000;
const PAGE_SIZE = 50;
/**
 * The bound on "drawn within a second", measured in the page from asking the station to the
 * plot drawn. Generous, so that a loaded 2-core machine passes; the test logs what it took.
 */
const DRAWN_WITHIN_MS = 3_000;

let tree: Tree;
let station: Station;
let browser: Browser;
let page: Page;
let rpc: (method: string, params?: unknown) => Promise<any>;
/** Every WebSocket message the page sent, to prove what it did not send. */
const sent: string[] = [];
/** Errors the page threw or logged; there should be none. */
let pageErrors: string[] = [];
/** The name of the big list's first child (the core names unnamed children "#<id>"). */
let firstBigName: string;

/** expect.poll with a wait that a loaded machine can meet: it waits for the condition, not for a time. */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 50 });

beforeAll(async () => {
  tree = Tree.create();
  // built before the station starts, so its million additions are not change events
  const big = tree.root.add('big', 'list');
  for (let i = 0; i < BIG; i++) big.add(undefined, 'u32', i).release();
  big.release();
  // an array node: 100,000 f32 samples of a damped wave
  tree.set('samples', Float32Array.from({ length: SAMPLES }, (_, i) => Math.exp(-i / 40_000) * Math.sin(i / 500) * 100), 'f32array');
  const rulesFile = writeRules({ tokens: { [LIMITED]: { name: 'alice', read: ['users'], write: ['users'] } } });
  station = await startStation({ tree, demo: true, tokens: [TOKEN], rulesFile, host: '127.0.0.1', port: 0, rateLimit: false });
  rpc = resolving(httpCaller(station.url, TOKEN));
  firstBigName = (await rpc('tree.list', { path: 'big', limit: 1 })).children[0].name;

  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: station.url });
  ({ page, errors: pageErrors } = await browser.page());
  page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String(payload))));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await station?.close();
  tree?.close();
});

/** The tree row of a path. */
function row(path: string): Locator {
  return page.locator(`[data-key="row:${path}"]`);
}

/** A row's own line (its name, type, value and version), without its children. */
function line(path: string): Locator {
  return row(path).locator(':scope > .line');
}

async function expand(path: string): Promise<void> {
  if ((await row(path).getAttribute('aria-expanded')) !== 'true') await line(path).locator('.twisty').click();
  await poll(() => row(path).getAttribute('aria-expanded')).toBe('true');
}

async function select(path: string): Promise<void> {
  await line(path).click();
  await expect(page.locator('.node-path').textContent()).resolves.toBe(path === '' ? '/ (the root)' : `/${path}`);
}

function shot(name: string): Promise<void> {
  return shotOf(page, name);
}

/** The node panel's plot, once it has drawn the range [from, to) of a node of `total` numbers. */
async function drawnPlot(total: number, from = 0, to = total): Promise<Locator> {
  const plot = page.locator('#node-panel .value-plot');
  await poll(async () => [await plot.getAttribute('data-total'), await plot.getAttribute('data-from'), await plot.getAttribute('data-to')]).toEqual([
    String(total),
    String(from),
    String(to),
  ]);
  await poll(() => plot.getAttribute('data-draw-ms')).not.toBeNull();
  return plot;
}

/** Drags across the node panel's plot from one fraction of its width to another (a zoom). */
async function dragAcross(fromFraction: number, toFraction: number): Promise<void> {
  const box = (await page.locator('#node-panel .value-plot .u-over').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * fromFraction, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * (fromFraction + toFraction) / 2, y, { steps: 4 });
  await page.mouse.move(box.x + box.width * toFraction, y, { steps: 4 });
  await page.mouse.up();
}

/** Axis labels a person can read: whole numbers with thousands separators, or a few decimals, or a time. */
const READABLE_TICK = /^(-?\d{1,3}(,\d{3})*(\.\d{1,6})?|\d\d:\d\d:\d\d)$/;

function ticksOf(attribute: string | null): string[] {
  return (attribute ?? '').split(' | ').filter((tick) => tick !== '');
}

describe('the explorer page', () => {
  it('asks for the token once, keeps it for the tab, and loads the tree', async () => {
    await page.goto(station.url);
    const tokenInput = page.getByLabel('Station token');
    await tokenInput.waitFor();
    await shot('token');
    await tokenInput.fill(TOKEN);
    await page.getByRole('button', { name: 'Connect' }).click();
    await poll(() => line('').textContent()).toContain('8 children');
    await poll(() => page.locator('#connection').textContent()).toBe('live');

    // a reload of the tab reuses the token from session storage: no prompt
    await page.reload();
    await poll(() => line('').textContent()).toContain('8 children');
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    // the root's version is the station's, the same in its row and in the node panel
    await select('');
    const shownVersion = (await line('').locator('.version').textContent())!.slice(1);
    const { version } = await rpc('tree.list', { path: '', limit: 0 });
    expect(Number(shownVersion)).toBeLessThanOrEqual(version);
    await poll(() => page.locator('.node-info dd').nth(2).textContent()).toBe(shownVersion);
  });

  it('expands nodes lazily and renders each value for its type', async () => {
    await expand('settings');
    await poll(() => line('settings/volume').textContent()).toContain('70');
    const texts = async (path: string) => (await line(path).textContent()) ?? '';
    expect(await texts('settings/volume')).toMatch(/volume\s*u8\s*70/);
    expect(await texts('settings/ratio')).toMatch(/ratio\s*f32\s*0\.75/);
    expect(await texts('settings/enabled')).toMatch(/enabled\s*bool\s*true/);
    expect(await texts('settings/offset')).toMatch(/offset\s*i16\s*-12/);
    expect(await texts('settings/big')).toContain('9223372036854775813');
    expect(await texts('settings/blob')).toContain('5 bytes 67 72 6f 76 65');
    expect(await texts('settings/nothing')).toMatch(/nothing\s*null\s*null/);
    // a node is listed with its child count, not loaded, until it is opened
    expect(await texts('readings')).toContain('10,000 items');
    expect(await row('readings').locator('[role="group"]').count()).toBe(0);

    await expand('users');
    const firstUser = (await rpc('tree.list', { path: 'users', limit: 1 })).children[0].name;
    await expand(`users/${firstUser}`);
    await poll(() => line(`users/${firstUser}/name`).textContent()).toContain('"ada"');
    await expand('counters');
    expect(await texts('counters/visits')).toContain('type 0x10000001');

    // the details panel shows the full value, and bytes as text where they are text
    await select('settings/blob');
    await expect(page.locator('.node-info').textContent()).resolves.toContain('(as text: "grove")');
    await shot('expanded');
  });

  it('plots all 10,000 items of a list, with labelled axes, hover values and zoom', async () => {
    await expand('readings');
    await select('readings');
    const plot = await drawnPlot(10_000);
    const drawnMs = Number(await plot.getAttribute('data-draw-ms'));
    console.log(`explorer: the whole plot of 10,000 items drawn in ${drawnMs} ms (asked to drawn, in the page)`);
    expect(drawnMs, 'the whole list plotted within the bound').toBeLessThan(DRAWN_WITHIN_MS);
    // min/max of every run of items, not the page of 50 shown in the tree: the demo's sine wave
    await expect(plot.locator('figcaption').textContent()).resolves.toMatch(/^All 10,000 items: lowest -10, highest 10; each point is the lowest and highest of about \d+ items\.$/);
    // axes with names and readable numbers
    expect([await plot.getAttribute('data-x-axis'), await plot.getAttribute('data-y-axis')]).toEqual(['item index', 'value']);
    const xTicks = ticksOf(await plot.getAttribute('data-x-ticks'));
    const yTicks = ticksOf(await plot.getAttribute('data-y-ticks'));
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    expect(yTicks.length).toBeGreaterThanOrEqual(3);
    for (const tick of [...xTicks, ...yTicks]) expect(tick).toMatch(READABLE_TICK);
    expect(xTicks).toContain('0');
    expect(xTicks.some((tick) => tick.includes(','))).toBe(true);
    // hovering shows the values under the pointer
    const box = (await plot.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await poll(async () => (await plot.locator('.u-legend .u-value').allTextContents()).every((value) => /^-?[\d,.]+$/.test(value))).toBe(true);
    await shot('readings-plot');

    // dragging across a part zooms into it: the station sends that range's runs
    await dragAcross(0.25, 0.5);
    await poll(async () => Number(await plot.getAttribute('data-from'))).toBeGreaterThan(2_000);
    const from = Number(await plot.getAttribute('data-from'));
    const to = Number(await plot.getAttribute('data-to'));
    expect(from).toBeLessThan(3_000);
    expect(to).toBeGreaterThan(4_500);
    expect(to).toBeLessThan(5_500);
    await expect(plot.locator('figcaption').textContent()).resolves.toMatch(new RegExp(`^Items ${from.toLocaleString('en-US')}–${(to - 1).toLocaleString('en-US')} of 10,000: `));
    // and again, until every single value is a point of its own
    for (let zooms = 0; zooms < 6 && Number(await plot.getAttribute('data-runs')) < Number(await plot.getAttribute('data-to')) - Number(await plot.getAttribute('data-from')); zooms++) {
      const before = await plot.getAttribute('data-from');
      await dragAcross(0.4, 0.6);
      await poll(() => plot.getAttribute('data-from')).not.toBe(before);
    }
    const zoomed = { from: Number(await plot.getAttribute('data-from')), to: Number(await plot.getAttribute('data-to')) };
    expect(Number(await plot.getAttribute('data-runs'))).toBe(zoomed.to - zoomed.from);
    const values = await rpc('tree.get', { path: 'readings' });
    const slice = values.slice(zoomed.from, zoomed.to) as number[];
    await expect(plot.locator('figcaption').textContent()).resolves.toContain(`lowest ${Math.min(...slice).toLocaleString('en-US')}, highest ${Math.max(...slice).toLocaleString('en-US')}`);
    await shot('readings-zoomed');
    await page.getByRole('button', { name: 'Whole range' }).click();
    await drawnPlot(10_000);
    await line('readings').locator('.twisty').click();
  });

  it('plots a list of a million numbers whole, drawn within the bound', async () => {
    await select('big');
    const plot = await drawnPlot(BIG);
    const drawnMs = Number(await plot.getAttribute('data-draw-ms'));
    console.log(`explorer: the whole plot of 1,000,000 items drawn in ${drawnMs} ms (asked to drawn, in the page)`);
    expect(drawnMs, 'a million values plotted within the bound').toBeLessThan(DRAWN_WITHIN_MS);
    // the children are 0..999,999 (u32): the envelope spans exactly that
    await expect(plot.locator('figcaption').textContent()).resolves.toMatch(/^All 1,000,000 items: lowest 0, highest 999,999; /);
    expect(Number(await plot.getAttribute('data-runs'))).toBeLessThanOrEqual(2_000);
    await shot('big-list-plot');
  });

  it("plots an array node's elements whole, with the element type on its axis", async () => {
    await select('samples');
    const plot = await drawnPlot(SAMPLES);
    console.log(`explorer: the whole plot of an f32array of 100,000 elements drawn in ${await plot.getAttribute('data-draw-ms')} ms`);
    expect([await plot.getAttribute('data-x-axis'), await plot.getAttribute('data-y-axis')]).toEqual(['element index', 'value (f32)']);
    await expect(plot.locator('figcaption').textContent()).resolves.toMatch(/^All 100,000 elements: lowest -\d+(\.\d+)?, highest \d+(\.\d+)?; each point is the lowest and highest of about \d+ elements\.$/);
    await shot('array-plot');
  });

  it('pages through a list of a million children without loading it, labelled by index', async () => {
    await expand('big');
    await poll(() => line('big').textContent()).toContain('1,000,000 items');
    const items = row('big').locator(':scope > [role="group"] > [role="treeitem"]:not(.pager)');
    await poll(() => items.count()).toBe(PAGE_SIZE);
    expect(await items.first().getAttribute('aria-setsize')).toBe(String(BIG));
    // a list's rows are labelled by index, not by the generated name "#<id>"
    await poll(() => items.first().locator('.line').textContent()).toMatch(/^\[0\]u320/);
    expect(await items.first().locator('.name').count()).toBe(0);

    await row('big').locator(':scope > [role="group"] > .pager').getByText('Next 50: [50]–[99] of 1,000,000').click();
    await poll(() => items.first().getAttribute('aria-posinset')).toBe('51');
    await poll(() => items.first().locator('.index').textContent()).toBe('[50]');

    await select('big');
    await page.getByRole('button', { name: 'Last page' }).click();
    await poll(() => items.last().getAttribute('aria-posinset')).toBe(String(BIG));
    await poll(() => page.locator('.node-paging').textContent()).toContain('Showing [999,950]–[999,999] of 1,000,000');

    await page.getByLabel('Go to index').fill('499999');
    await page.locator('.node-paging').getByRole('button', { name: 'Go', exact: true }).click();
    await poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))).toBe('500000');
    // the child's value is its index (u32), as built above; its label is that index
    await poll(() => page.evaluate(() => document.activeElement?.querySelector('.line')?.textContent)).toMatch(/^\[499,999\]u32499999/);
    await poll(() => page.locator('.node-info').textContent()).toContain('Index499,999');
    await shot('big-list');

    // "Go" selected the child it showed; the list's own paging is back on the list
    await select('big');
    await page.getByRole('button', { name: 'First page' }).click();
    await poll(() => items.first().getAttribute('aria-posinset')).toBe('1');
    expect(await items.first().getAttribute('data-path')).toBe(`big/${firstBigName}`);
  });

  it('edits a value with a type-aware input and reads it back over RPC', async () => {
    await select('settings/volume');
    const input = page.getByRole('textbox', { name: 'New value', exact: true });
    await expect(input.inputValue()).resolves.toBe('70');
    await input.fill('42');
    await page.getByRole('button', { name: 'Save' }).click();
    await poll(() => page.locator('#status').textContent()).toMatch(/^Saved \/settings\/volume at version \d+\.$/);
    expect(await rpc('tree.get', { path: 'settings/volume' })).toBe(42);
    const listed = await rpc('tree.list', { path: 'settings' });
    expect(listed.children.find((child: { name: string }) => child.name === 'volume').type).toBe('u8');
    await poll(() => line('settings/volume').textContent()).toMatch(/u8\s*42/);
  });

  it('refuses a u8 of 300 before sending, and shows what the station refuses', async () => {
    await select('settings/volume');
    const input = page.getByRole('textbox', { name: 'New value', exact: true });
    await input.fill('300');
    // the check runs as the user types, next to the input
    await poll(() => input.getAttribute('aria-invalid')).toBe('true');
    await expect(page.locator('.field-error').first().textContent()).resolves.toBe('300 is out of range: a whole number from 0 to 255');
    const before = sent.length;
    await page.getByRole('button', { name: 'Save' }).click();
    await poll(() => page.locator('form.edit [role="alert"]').textContent()).toBe(
      'Not sent: 300 is out of range: a whole number from 0 to 255',
    );
    await shot('invalid-edit');
    expect(sent.slice(before).filter((frame) => frame.includes('tree.set'))).toEqual([]);
    expect(await rpc('tree.get', { path: 'settings/volume' })).toBe(42);

    // the station's own refusal is shown as it said it, not swallowed
    await select('settings');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('..');
    await page.getByRole('combobox', { name: 'Type', exact: true }).selectOption('u8');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('1');
    await page.getByRole('button', { name: 'Add child' }).click();
    await poll(() => page.locator('form.add [role="alert"]').textContent()).toContain("invalid name '..'");
    await shot('server-error');
  });

  it('shows changes made elsewhere as they happen, highlighted', async () => {
    await rpc('tree.set', { path: 'settings/ratio', value: 0.5, type: 'f32' });
    await poll(() => line('settings/ratio').textContent(), { timeout: 5_000 }).toMatch(/f32\s*0\.5/);
    expect(await row('settings/ratio').getAttribute('class')).toContain('flash');
    await shot('live-change');

    // additions and removals move the counts, and the highlight ends
    await rpc('tree.add', { path: 'big', value: 7, type: 'u32' });
    await poll(() => line('big').textContent()).toContain('1,000,001 items');
    await rpc('tree.delete', { path: 'settings/nothing' });
    await poll(() => row('settings/nothing').count()).toBe(0);
    await poll(() => row('settings/ratio').getAttribute('class'), { timeout: 5_000 }).not.toContain('flash');
    // a change under a collapsed node shows on the nearest row that is shown
    await rpc('tree.set', { path: 'nodix/SelfNode/version', value: 60019, type: 'u32' });
    await poll(() => row('nodix').getAttribute('class')).toContain('flash');
  });

  it('adds a child and deletes it', async () => {
    await select('settings');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('note');
    await page.getByRole('combobox', { name: 'Type', exact: true }).selectOption('str');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('hello from the explorer');
    await page.getByRole('button', { name: 'Add child' }).click();
    await poll(() => line('settings/note').textContent()).toContain('"hello from the explorer"');
    expect(await rpc('tree.get', { path: 'settings/note' })).toBe('hello from the explorer');
    // the new child is selected and focused, so it can be deleted straight away
    await poll(() => page.locator('.node-path').textContent()).toBe('/settings/note');
    await poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-key'))).toBe('row:settings/note');

    await page.keyboard.press('Delete');
    const confirm = page.getByRole('button', { name: 'Delete /settings/note' });
    await poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Delete /settings/note');
    await confirm.click();
    await poll(() => row('settings/note').count()).toBe(0);
    const missing = await httpCaller(station.url, TOKEN)('tree.get', { path: 'settings/note' });
    expect(missing.error?.code).toBe(ErrorCode.NotFound);
  });

  it('is usable with the keyboard alone', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    await line('').click();
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('row:big');
    await line('about').click();
    await page.keyboard.press('ArrowRight');
    await poll(() => row('about').getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('ArrowRight');
    await poll(focused).toBe('row:about/name');
    await page.keyboard.press('ArrowLeft');
    expect(await focused()).toBe('row:about');
    await page.keyboard.press('ArrowLeft');
    await poll(() => row('about').getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Home');
    expect(await focused()).toBe('row:');
    await line('about').click();
    // the selection follows the focus, and Enter goes to the editor
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await poll(() => page.locator('.node-path').textContent()).toBe('/settings/volume');
    await poll(focused).toBe('row:settings/volume');
    await page.keyboard.press('Enter');
    await poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.id)).toMatch(/^value-/);
    // Page Down pages through a long list from any of its rows
    const posinset = () => page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'));
    await line(`big/${firstBigName}`).click();
    await page.keyboard.press('PageDown');
    await poll(posinset).toBe('51');
    await page.keyboard.press('PageUp');
    await poll(posinset).toBe('50');
    // and from the open list's own row, as the help says: its children page on
    await page.keyboard.press('Home');
    expect(await focused()).toBe('row:');
    await line('big').click();
    await page.keyboard.press('PageDown');
    await poll(posinset).toBe('51');
    await poll(focused).toMatch(/^row:big\//);
    await line('big').click();
    await page.keyboard.press('PageUp');
    await poll(posinset).toBe('50');
    await line('big').click();
    await page.keyboard.press('PageUp');
    // End goes to the last row shown
    await page.keyboard.press('End');
    await poll(focused).toBe(await page.locator('[role="treeitem"]').last().getAttribute('data-key'));
    // every key the help names is one this tree handles
    const help = await page.locator('#tree-keys kbd').allTextContents();
    expect(help).toEqual(['↑', '↓', '→', '←', 'Home', 'End', 'Page Down', 'Page Up', 'Enter', 'Delete']);
    // one tab stop for the whole tree (roving tabindex)
    expect(await page.locator('[role="tree"] [tabindex="0"]').count()).toBe(1);
    await shot('keyboard');
  });

  it('labels every control', async () => {
    // a leaf, a structured node and a long list between them show every kind of control
    // a leaf, a structured node and a long list between them show every kind of control, plots too
    for (const path of ['settings/enabled', 'settings', 'big']) {
      await select(path);
      const unlabelled = await page.evaluate(() => {
        const name = (element: Element) =>
          (element.getAttribute('aria-label') ?? '').trim() ||
          Array.from((element as HTMLInputElement).labels ?? [], (label) => label.textContent).join('').trim() ||
          (element.getAttribute('aria-labelledby') ?? '')
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join('')
            .trim() ||
          // buttons and tree items are named by their content
          (element.tagName === 'BUTTON' || element.getAttribute('role') === 'treeitem' ? (element.textContent ?? '').trim() : '');
        const controls = Array.from(document.querySelectorAll('input, select, textarea, button, [role="treeitem"], [role="tree"], [role="img"]'));
        return controls
          .filter((element) => (element as HTMLElement).offsetParent !== null || element.tagName === 'svg')
          .filter((element) => name(element) === '')
          .map((element) => element.outerHTML.slice(0, 120));
      });
      expect(unlabelled, `unlabelled controls with ${path} selected`).toEqual([]);
      if (path === 'settings/enabled') {
        await expect(page.getByRole('checkbox', { name: 'New value', exact: true }).isChecked()).resolves.toBe(true);
      }
    }
  });

  it('shows the station: uptime, nodes, connections by transport, and writes per second on a time axis', async () => {
    const field = (name: string) => page.locator(`#station-panel [data-field="${name}"]`).textContent();
    await poll(() => field('nodes')).toMatch(/^1,0\d\d,\d{3}$/);
    expect(await field('uptime')).toMatch(/\d+ (s|min)/);
    // a burst of writes over HTTP for two seconds shows as a rate above zero, and as HTTP clients
    const until = Date.now() + 2_000;
    while (Date.now() < until) await rpc('tree.increment', { path: 'counters/visits/count', by: 1 });
    // this page's own socket, and the test's kept-alive HTTP connections
    await poll(() => field('connections')).toMatch(/^1 WebSocket · 0 SSE · [1-9]\d* HTTP$/);
    const { transports } = await rpc('station.info');
    expect(transports.websocket).toBe(1);
    expect(transports.http).toBeGreaterThanOrEqual(1);
    await poll(() => page.locator('.rate-now').textContent()).not.toBe('0');
    const chart = page.locator('#station-panel .rate-chart');
    const peak = await chart.getAttribute('aria-label');
    expect(Number(/peak (\d+)/.exec(peak ?? '')?.[1])).toBeGreaterThan(0);
    expect([await chart.getAttribute('data-x-axis'), await chart.getAttribute('data-y-axis')]).toEqual(['time', 'writes/s']);
    // the axis gains its second tick once the samples span enough time: on a loaded machine
    // the first few arrive late, so this waits for the chart rather than reading it at once
    await poll(async () => ticksOf(await chart.getAttribute('data-x-ticks')).length).toBeGreaterThanOrEqual(2);
    const times = ticksOf(await chart.getAttribute('data-x-ticks'));
    for (const tick of times) expect(tick).toMatch(/^\d\d:\d\d:\d\d$/);
    for (const tick of ticksOf(await chart.getAttribute('data-y-ticks'))) expect(tick).toMatch(READABLE_TICK);
    await poll(() => page.locator('.changes li').first().textContent()).toContain('/counters/visits/count');
    // a station alone has no cluster to show
    expect(await page.locator('#station-panel .cluster').isHidden()).toBe(true);
    await page.locator('#station-panel').scrollIntoViewIfNeeded();
    await shot('station');
  });

  it("shows a node's history: the recent writes that touched it, with version and origin", async () => {
    await select('settings/volume');
    const versions: number[] = [];
    for (const value of [11, 12, 13]) versions.push((await rpc('tree.set', { path: 'settings/volume', value })).version);
    const newestFirst = [...versions].reverse();
    // the panel follows: newest first, each as the station logged it
    const rows = page.locator('#node-panel .node-history tbody tr');
    await poll(async () => (await rows.allTextContents()).slice(0, 3)).toEqual(newestFirst.map((version, i) => `v${version}set here${13 - i}token #1`));
    const history = await rpc('tree.history', { path: 'settings/volume' });
    expect(history.changes.slice(0, 3).map((change: { version: number; origin: string; value: number }) => [change.version, change.origin, change.value])).toEqual(
      newestFirst.map((version, i) => [version, 'token #1', 13 - i]),
    );
    // the edit made in this page earlier is in it too
    expect(await rows.allTextContents()).toContainEqual(expect.stringMatching(/^v\d+set here42token #1$/));
    // a patch of its parent writes it too
    const above = (await rpc('tree.patch', { path: 'settings', value: { volume: 14 } })).version;
    await poll(() => rows.first().textContent()).toBe(`v${above}set here14token #1`);
    await page.locator('#node-panel .node-history').scrollIntoViewIfNeeded();
    await shot('history');
    await rpc('tree.set', { path: 'settings/volume', value: 42 });
  });

  it('renders and checks the types in its table, and falls back to JSON for the rest', async () => {
    // the page's own type table (web/types.js), exercised in the page: the chain, geometry and
    // array types render before the station stores them, from their plain JSON
    const hash = 'ab'.repeat(32);
    // as a string, so that vitest leaves this import() for the browser to run
    await page.evaluate("import('/types.js').then((types) => { window.groveTypes = types; })");
    const results = await page.evaluate((hash) => {
      const { renderValue, typeEntry, isStructured } = (window as any).groveTypes;
      const refusal = (type: string, text: string) => {
        try {
          typeEntry(type).parse(text);
          return 'accepted';
        } catch (error) {
          return (error as Error).message;
        }
      };
      const samples: [string, unknown][] = [
        ['hash', hash],
        ['vec4uc', [255, 0, 0, 128]],
        ['vec3', [1, 2.5, -3]],
        ['mat3x3', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
        ['f32array', [1, 3, 2, 5, 4]],
        ['address', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'],
        ['ipv4', '192.168.0.1'],
        ['quaternion', { w: 1, x: 0 }],
        ['vec4uc', 'not a colour'],
      ];
      // a gallery for the screenshot: each sample as the details panel shows it
      const gallery = document.createElement('dl');
      gallery.id = 'type-gallery';
      gallery.setAttribute('style', 'position:fixed;inset:6rem auto auto 2rem;background:Canvas;padding:1rem;border:1px solid;z-index:9;width:36rem');
      for (const [type, value] of samples) {
        const term = document.createElement('dt');
        term.textContent = type;
        const detail = document.createElement('dd');
        detail.append(renderValue(type, value, { full: true }));
        gallery.append(term, detail);
      }
      document.body.append(gallery);
      return {
        hashRow: renderValue('hash', hash).textContent,
        hashFull: renderValue('hash', hash, { full: true }).textContent,
        swatch: (renderValue('vec4uc', [255, 0, 0, 128]).querySelector('.swatch') as HTMLElement).getAttribute('aria-label'),
        plot: renderValue('f32array', [1, 3, 2]).querySelector('svg')?.getAttribute('aria-label'),
        bytePlot: renderValue('u8array', 'AQID').querySelector('svg')?.getAttribute('aria-label'),
        badColour: renderValue('vec4uc', 'not a colour').textContent,
        unknown: renderValue('quaternion', { w: 1 }).textContent,
        applicationTypeIsStructured: isStructured('type 0x10000001'),
        u64max: typeEntry('u64').parse('18446744073709551615'),
        bytes: typeEntry('bytes').parse('ff 00'),
        nan: typeEntry('f64').parse('NaN'),
        refusals: [
          refusal('u8', '300'),
          refusal('i8', '-129'),
          refusal('u32', '1.5'),
          refusal('f32', '1e39'),
          refusal('hash', 'ab'.repeat(31)),
          refusal('hash', 'zz'),
          refusal('vec4uc', '1, 2, 3'),
          refusal('address', '0OIl'),
          refusal('ipv4', '1.2.3.256'),
          refusal('u8array', '1, 2, 256'),
        ],
      };
    }, hash);
    await shot('types');
    await page.evaluate(() => document.getElementById('type-gallery')?.remove());

    expect(results.hashRow).toBe(`${hash.slice(0, 12)}…${hash.slice(-8)}`);
    expect(results.hashFull).toBe(hash);
    expect(results.swatch).toBe('colour rgba(255, 0, 0, 0.5)');
    expect(results.plot).toBe('array plot: 3 values from 1 to 3');
    expect(results.bytePlot).toBe('array plot: 3 values from 1 to 3');
    expect(results.badColour).toBe('"not a colour"');
    expect(results.unknown).toBe('{"w":1}');
    expect(results.applicationTypeIsStructured).toBe(true);
    expect(results.u64max).toBe('18446744073709551615');
    expect(results.bytes).toBe('/wA=');
    expect(results.nan).toBe('NaN');
    expect(results.refusals).toEqual([
      '300 is out of range: a whole number from 0 to 255',
      '-129 is out of range: a whole number from -128 to 127',
      '"1.5" is not a whole number from 0 to 4294967295',
      '1e39 is beyond the f32 range (±3.4028234663852886e+38)',
      'a hash is 32 bytes (64 hex digits), got 31',
      'a hash takes hex digits 0-9 and a-f only',
      'an RGBA colour takes 4 numbers, got 3',
      'an address takes Base58 characters only (no 0, O, I or l)',
      '"1.2.3.256" is not an IPv4 address: four numbers 0-255 joined by dots',
      '256 does not fit: numbers separated by commas or spaces, each a whole number from 0 to 255',
    ]);
  });

  it('threw and logged no errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('the explorer with a token limited to a prefix', () => {
  it('starts at what the token may read, live, and says which grant is missing elsewhere', async () => {
    const { page: tab, errors } = await browser.page();
    const limitedRow = (path: string) => tab.locator(`[data-key="row:${path}"]`);
    await tab.goto(station.url);
    await tab.getByLabel('Station token').fill(LIMITED);
    await tab.getByRole('button', { name: 'Connect' }).click();
    // it may read "users" only: the tree starts there, with live updates, and nothing failed
    await poll(() => limitedRow('users').locator(':scope > .line').textContent()).toContain('3 items');
    await poll(() => tab.locator('#connection').textContent()).toBe('live');
    expect(await tab.locator('#messages p').count()).toBe(0);
    expect(await tab.locator('[data-key="row:"]').count()).toBe(0);
    expect(await tab.locator('#start-path').inputValue()).toBe('/users');
    await poll(() => tab.locator('#status').textContent()).toBe('This token may read /users only: the tree starts at what it may read.');
    // station.info needs a grant this token lacks: said once, in the station panel
    await poll(() => tab.locator('#station-panel > p').first().textContent()).toMatch(
      /^The station's own figures are not shown: .*token "alice" may not call station\.info: give it "info": true in the rules file, or read access to the root/,
    );
    // a write there shows live
    const first = (await rpc('tree.list', { path: 'users', limit: 1 })).children[0].name;
    await limitedRow('users').locator(':scope > .line').click();
    await rpc('tree.set', { path: `users/${first}/age`, value: 37 });
    await poll(() => tab.locator('#station-panel .changes li').first().textContent()).toContain(`/users/${first}/age`);
    await shotOf(tab, 'limited-token');

    // asked for a path it may not read: one error naming the grant, with where it may go
    await tab.goto(`${station.url}/?path=settings`);
    const message = tab.locator('#messages p');
    await poll(() => message.first().textContent()).toMatch(
      /^Cannot show \/settings: .*token "alice" may not read "settings": it may read "users".*\. It may read: \/users\./,
    );
    expect(await message.count()).toBe(1);
    await poll(() => tab.locator('#connection').textContent()).toBe('not live');
    await shotOf(tab, 'limited-token-refused');
    // the link it offers starts the tree where it may read
    await message.getByRole('link', { name: '/users' }).click();
    await poll(() => limitedRow('users').locator(':scope > .line').textContent()).toContain('3 items');
    await poll(() => tab.locator('#connection').textContent()).toBe('live');
    // and the path box starts it at a subtree under that, kept in the address
    await tab.locator('#start-path').fill(`/users/${first}`);
    await tab.locator('#start-form').getByRole('button', { name: 'Go' }).click();
    await poll(() => limitedRow(`users/${first}`).locator(':scope > .line').textContent()).toContain('3 children');
    expect(new URL(tab.url()).searchParams.get('path')).toBe(`users/${first}`);
    expect(errors).toEqual([]);
    await tab.close();
  });
});
