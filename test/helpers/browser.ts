// Debian's Chromium, driven by playwright-core, for the explorer tests: a fresh profile each
// run (nothing remembered from an earlier one), removed by close().
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/**
 * Where screenshots go: test/artifacts (committed, linked from README's explorer section)
 * when GROVE_SCREENSHOTS=1 asks for them to be taken anew, else a temporary folder, so that
 * a test run never rewrites committed files.
 */
export const ARTIFACTS = process.env.GROVE_SCREENSHOTS === '1' ? 'test/artifacts' : join(tmpdir(), 'grove-screenshots');

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab whose errors (thrown or logged) are collected in `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: these tests need Debian's chromium (apt-get install -y chromium)`);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'grove-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
  let first = true;
  return {
    context,
    async page() {
      const page = first ? (context.pages()[0] ?? (await context.newPage())) : await context.newPage();
      first = false;
      // generous: a loaded 2-core machine runs the station, Chromium and the test together
      page.setDefaultTimeout(20_000);
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      return { page, errors };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The viewport, as a user sees it (the tree scrolls inside the page), as test/artifacts/explorer-<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  // a tab in the background is not painted
  await page.bringToFront();
  await page.screenshot({ path: join(ARTIFACTS, `explorer-${name}.png`) });
}
