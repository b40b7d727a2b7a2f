// The client must build into one standalone ESM file (the station serves it as /client.js):
// nothing from Node, nothing from outside src/client and src/wire.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';
import { expect, it } from 'vitest';
import { createStation } from '../src/station/server.js';

const allowedDirs = [resolve('src/client') + sep, resolve('src/wire') + sep];

it('bundles into one ESM file with no imports and no Node globals', async () => {
  const outside: string[] = [];
  const bundle = await rolldown({
    input: 'src/client/index.ts',
    // asked about each import as written, then again once resolved to a file
    external: (id, _importer, isResolved) => {
      const inside = isResolved ? allowedDirs.some((dir) => id.startsWith(dir)) : id.startsWith('.');
      if (!inside) outside.push(id);
      return !inside;
    },
  });
  const { output } = await bundle.generate({ format: 'esm' });
  await bundle.close();
  expect(outside).toEqual([]);
  expect(output).toHaveLength(1);
  const code = output[0].code;
  expect(code).not.toMatch(/\b(require\(|process\.|Buffer\b|__dirname)/);

  const dir = await mkdtemp(join(tmpdir(), 'grove-client-'));
  try {
    const file = join(dir, 'client.js');
    await writeFile(file, code);
    const client = await import(pathToFileURL(file).href);
    expect(Object.keys(client).sort()).toEqual([
      'GroveBatch',
      'GroveClient',
      'GroveConnectionError',
      'GroveRpcError',
      'GroveTimeoutError',
      'RpcErrorCode',
      'createClient',
    ]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

it('is served at /client.js with every module it imports, src/wire included', async () => {
  const station = await createStation();
  try {
    const served = new Map<string, string>();
    const pending = ['/client.js'];
    while (pending.length > 0) {
      const url = pending.pop()!;
      if (served.has(url)) continue;
      const response = await station.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/javascript/);
      served.set(url, response.body);
      for (const [, specifier] of response.body.matchAll(/\bfrom '(\.[^']+)'/g)) pending.push(new URL(specifier!, `http://station${url}`).pathname);
    }
    expect(served.has('/wire/errors.js')).toBe(true);
  } finally {
    await station.close();
  }
});
