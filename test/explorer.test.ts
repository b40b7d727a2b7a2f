// The explorer page (web/) end to end: Debian's Chromium, driven by playwright-core, against
// a station in this process with the demo data, a list of a million children, and a token.
// One page is opened once and the tests run in order on it, as a user would: sign in,
// browse, page, edit, watch live changes, add and delete, then use only the keyboard.
// Screenshots go to test/artifacts/ (gitignored).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Station, startStation } from '../src/station/server.js';
import { Tree } from '../src/tree.js';
import { startNats } from './helpers/nats.js';
import { httpCaller, resolving } from './helpers/station.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'explorer-test-token';
const BIG = 1_000_000;
const PAGE_SIZE = 50;
const ARTIFACTS = 'test/artifacts';

let tree: Tree;
let station: Station;
let context: BrowserContext;
let page: Page;
let profile: string;
let rpc: (method: string, params?: unknown) => Promise<any>;
/** Every WebSocket message the page sent, to prove what it did not send. */
const sent: string[] = [];
/** Errors the page threw or logged; there should be none. */
const pageErrors: string[] = [];
/** The name of the big list's first child (the core names unnamed children "#<id>"). */
let firstBigName: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: these tests need Debian's chromium (apt-get install -y chromium)`);
  }
  tree = Tree.create();
  // built before the station starts, so its million additions are not change events
  const big = tree.root.add('big', 'list');
  for (let i = 0; i < BIG; i++) big.add(undefined, 'u32', i).release();
  big.release();
  station = await startStation({ tree, demo: true, tokens: [TOKEN], host: '127.0.0.1', port: 0, rateLimit: false });
  rpc = resolving(httpCaller(station.url, TOKEN));
  firstBigName = (await rpc('tree.list', { path: 'big', limit: 1 })).children[0].name;

  await mkdir(ARTIFACTS, { recursive: true });
  profile = await mkdtemp(join(tmpdir(), 'grove-chromium-'));
  // a fresh profile each run: nothing remembered from an earlier one
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: station.url });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String(payload))));
});

afterAll(async () => {
  await context?.close();
  await station?.close();
  tree?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
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
  await expect.poll(() => row(path).getAttribute('aria-expanded')).toBe('true');
}

async function select(path: string): Promise<void> {
  await line(path).click();
  await expect(page.locator('.node-path').textContent()).resolves.toBe(path === '' ? '/ (the root)' : `/${path}`);
}

async function shot(name: string): Promise<void> {
  // the viewport, as a user sees it: the tree scrolls inside the page
  await page.screenshot({ path: join(ARTIFACTS, `explorer-${name}.png`) });
}

describe('the explorer page', () => {
  it('asks for the token once, keeps it for the tab, and loads the tree', async () => {
    await page.goto(station.url);
    const tokenInput = page.getByLabel('Station token');
    await tokenInput.waitFor();
    await shot('token');
    await tokenInput.fill(TOKEN);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => line('').textContent()).toContain('7 children');
    await expect(page.locator('#connection').textContent()).resolves.toBe('live');

    // a reload of the tab reuses the token from session storage: no prompt
    await page.reload();
    await expect.poll(() => line('').textContent()).toContain('7 children');
    expect(await page.locator('#token-form').isHidden()).toBe(true);
  });

  it('expands nodes lazily and renders each value for its type', async () => {
    await expand('settings');
    await expect.poll(() => line('settings/volume').textContent()).toContain('70');
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
    await expect.poll(() => line(`users/${firstUser}/name`).textContent()).toContain('"ada"');
    await expand('counters');
    expect(await texts('counters/visits')).toContain('type 0x10000001');

    // the details panel shows the full value, and bytes as text where they are text
    await select('settings/blob');
    await expect(page.locator('.node-info').textContent()).resolves.toContain('(as text: "grove")');
    await shot('expanded');

    // a list of numbers gets a plot of the page shown
    await expand('readings');
    await select('readings');
    await expect.poll(() => page.getByRole('img', { name: 'items 1 to 50: 50 values from 0 to 8.3' }).count()).toBe(1);
    await shot('readings-plot');
    await line('readings').locator('.twisty').click();
  });

  it('pages through a list of a million children without loading it', async () => {
    await expand('big');
    await expect.poll(() => line('big').textContent()).toContain('1,000,000 items');
    const items = row('big').locator(':scope > [role="group"] > [role="treeitem"]:not(.pager)');
    await expect.poll(() => items.count()).toBe(PAGE_SIZE);
    expect(await items.first().getAttribute('aria-setsize')).toBe(String(BIG));

    const started = Date.now();
    await row('big').locator(':scope > [role="group"] > .pager').getByText('Next 50: 51–100 of 1,000,000').click();
    await expect.poll(() => items.first().getAttribute('aria-posinset')).toBe('51');

    await select('big');
    await page.getByRole('button', { name: 'Last page' }).click();
    await expect.poll(() => items.last().getAttribute('aria-posinset')).toBe(String(BIG));
    await expect(page.locator('.node-paging').textContent()).resolves.toContain('Showing 999,951–1,000,000 of 1,000,000');

    await page.getByLabel('Go to child number').fill('500000');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))).toBe('500000');
    // the child's value is its index (u32), as built above
    await expect.poll(() => page.evaluate(() => document.activeElement?.querySelector('.line')?.textContent)).toContain('u32499999');
    expect(Date.now() - started, 'three pages of a million children').toBeLessThan(10_000);
    await shot('big-list');

    // "Go" selected the child it showed; the list's own paging is back on the list
    await select('big');
    await page.getByRole('button', { name: 'First page' }).click();
    await expect.poll(() => items.first().getAttribute('aria-posinset')).toBe('1');
    expect(await items.first().getAttribute('data-path')).toBe(`big/${firstBigName}`);
  });

  it('edits a value with a type-aware input and reads it back over RPC', async () => {
    await select('settings/volume');
    const input = page.getByRole('textbox', { name: 'New value', exact: true });
    await expect(input.inputValue()).resolves.toBe('70');
    await input.fill('42');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Saved \/settings\/volume at version \d+\.$/);
    expect(await rpc('tree.get', { path: 'settings/volume' })).toBe(42);
    const listed = await rpc('tree.list', { path: 'settings' });
    expect(listed.children.find((child: { name: string }) => child.name === 'volume').type).toBe('u8');
    await expect.poll(() => line('settings/volume').textContent()).toMatch(/u8\s*42/);
  });

  it('refuses a u8 of 300 before sending, and shows what the station refuses', async () => {
    await select('settings/volume');
    const input = page.getByRole('textbox', { name: 'New value', exact: true });
    await input.fill('300');
    // the check runs as the user types, next to the input
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    await expect(page.locator('.field-error').first().textContent()).resolves.toBe('300 is out of range: a whole number from 0 to 255');
    const before = sent.length;
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('form.edit [role="alert"]').textContent()).toBe(
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
    await expect.poll(() => page.locator('form.add [role="alert"]').textContent()).toContain("invalid name '..'");
    await shot('server-error');
  });

  it('shows changes made elsewhere as they happen, highlighted', async () => {
    await rpc('tree.set', { path: 'settings/ratio', value: 0.5, type: 'f32' });
    await expect.poll(() => line('settings/ratio').textContent(), { timeout: 5_000 }).toMatch(/f32\s*0\.5/);
    expect(await row('settings/ratio').getAttribute('class')).toContain('flash');
    await shot('live-change');

    // additions and removals move the counts, and the highlight ends
    await rpc('tree.add', { path: 'big', value: 7, type: 'u32' });
    await expect.poll(() => line('big').textContent()).toContain('1,000,001 items');
    await rpc('tree.delete', { path: 'settings/nothing' });
    await expect.poll(() => row('settings/nothing').count()).toBe(0);
    await expect.poll(() => row('settings/ratio').getAttribute('class'), { timeout: 5_000 }).not.toContain('flash');
    // a change under a collapsed node shows on the nearest row that is shown
    await rpc('tree.set', { path: 'nodix/SelfNode/version', value: 60019, type: 'u32' });
    await expect.poll(() => row('nodix').getAttribute('class')).toContain('flash');
  });

  it('adds a child and deletes it', async () => {
    await select('settings');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('note');
    await page.getByRole('combobox', { name: 'Type', exact: true }).selectOption('str');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('hello from the explorer');
    await page.getByRole('button', { name: 'Add child' }).click();
    await expect.poll(() => line('settings/note').textContent()).toContain('"hello from the explorer"');
    expect(await rpc('tree.get', { path: 'settings/note' })).toBe('hello from the explorer');
    // the new child is selected and focused, so it can be deleted straight away
    await expect.poll(() => page.locator('.node-path').textContent()).toBe('/settings/note');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-key'))).toBe('row:settings/note');

    await page.keyboard.press('Delete');
    const confirm = page.getByRole('button', { name: 'Delete /settings/note' });
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Delete /settings/note');
    await confirm.click();
    await expect.poll(() => row('settings/note').count()).toBe(0);
    const missing = await httpCaller(station.url, TOKEN)('tree.get', { path: 'settings/note' });
    expect(missing.error?.code).toBe(-32001);
  });

  it('is usable with the keyboard alone', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    await line('').click();
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('row:big');
    await line('about').click();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => row('about').getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('row:about/name');
    await page.keyboard.press('ArrowLeft');
    expect(await focused()).toBe('row:about');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => row('about').getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Home');
    expect(await focused()).toBe('row:');
    await line('about').click();
    // the selection follows the focus, and Enter goes to the editor
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.node-path').textContent()).toBe('/settings/volume');
    await expect.poll(focused).toBe('row:settings/volume');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.id)).toMatch(/^value-/);
    // Page Down pages through a long list from any of its rows
    await line(`big/${firstBigName}`).click();
    await page.keyboard.press('PageDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))).toBe('51');
    await page.keyboard.press('PageUp');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))).toBe('50');
    // one tab stop for the whole tree (roving tabindex)
    expect(await page.locator('[role="tree"] [tabindex="0"]').count()).toBe(1);
    await shot('keyboard');
  });

  it('labels every control', async () => {
    // a leaf, a structured node and a long list between them show every kind of control
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
        const controls = Array.from(document.querySelectorAll('input, select, textarea, button, [role="treeitem"], [role="tree"], svg[role="img"]'));
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

  it('shows the station: uptime, nodes, connections, and operations per second', async () => {
    const field = (name: string) => page.locator(`#station-panel [data-field="${name}"]`).textContent();
    await expect.poll(() => field('nodes')).toMatch(/^1,0\d\d,\d{3}$/);
    // shown as the station reports it (src/station counts no WebSocket yet: see issue 6's report)
    expect(await field('connections')).toMatch(/^\d+$/);
    expect(await field('uptime')).toMatch(/\d+ (s|min)/);
    // a burst of writes for two seconds shows as a rate above zero
    const until = Date.now() + 2_000;
    while (Date.now() < until) await rpc('tree.increment', { path: 'counters/visits/count', by: 1 });
    await expect.poll(() => page.locator('.rate-now').textContent(), { timeout: 5_000 }).not.toBe('0');
    const peak = await page.locator('.rate-chart').getAttribute('aria-label');
    expect(Number(/peak (\d+)/.exec(peak ?? '')?.[1])).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.changes li').first().textContent()).toContain('/counters/visits/count');
    // a station alone has no cluster to show
    expect(await page.locator('#station-panel .cluster').isHidden()).toBe(true);
    await shot('station');
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

describe('the explorer on a station of a cluster', () => {
  it('shows who owns which subtree and the peers it hears from', { timeout: 30_000 }, async () => {
    const nats = await startNats();
    const member = await startStation({ host: '127.0.0.1', port: 0, rateLimit: false, stationId: 'explorer', cluster: { servers: [nats.url], log: () => {} } });
    const clusterPage = await context.newPage();
    try {
      await clusterPage.goto(member.url);
      const cluster = clusterPage.locator('#station-panel .cluster');
      await expect.poll(() => cluster.isVisible(), { timeout: 10_000 }).toBe(true);
      expect(await cluster.locator('[aria-label="Owners"] li').allTextContents()).toEqual(['/ owned by explorer']);
      await clusterPage.screenshot({ path: join(ARTIFACTS, 'explorer-cluster.png') });
    } finally {
      await clusterPage.close();
      await member.close();
      await nats.close();
    }
  });
});
