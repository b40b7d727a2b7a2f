// The real Nodix files (../shared/data/nodix: nodix.node and nodix.site from
// NodixBlockchain/nodix) through the CLI: every definition lands with the type its
// annotation names, a flawed one is named precisely, record types are found by name, and
// the Nodix export imports back to the same tree.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodixType } from '../src/codec/nodixTypes.js';
import { type Station, startStation } from '../src/station/server.js';
import { TYPE_IDS } from '../src/types.js';
import { checkBuilt, copyContent, grove } from './helpers/cli.js';
import { httpCaller, resultOf } from './helpers/station.js';

const FILES = new URL('../../shared/data/nodix/', import.meta.url);
const NODE_FILE = new URL('nodix.node', FILES).pathname;
const SITE_FILE = new URL('nodix.site', FILES).pathname;

let station: Station;
let dir: string;

beforeAll(async () => {
  await checkBuilt();
  station = await startStation({ port: 0, stationId: 'nodix' });
  dir = await mkdtemp(join(tmpdir(), 'grove-nodix-'));
});

afterAll(async () => {
  await station?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The file's definitions: `let TYPE name = ...`, in order. */
async function definitions(file: string): Promise<{ type: string; name: string }[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^let\s+(\w+)\s+(\w+)\s*=/gm)].map(([, type, name]) => ({ type: type!, name: name! }));
}

/** The type id a Nodix annotation names. */
function idOf(annotation: string): number {
  const type = nodixType(annotation);
  if (type === undefined) throw new Error(`unknown Nodix type ${annotation}`);
  return 'grove' in type ? TYPE_IDS[type.grove] : type.record.id;
}

describe('the real Nodix files', () => {
  it('refuses nodix.node as it is, naming its flawed definition, and writes nothing', async () => {
    const run = await grove(['import', station.url, 'node', NODE_FILE, '--format', 'nodix']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not a valid nodix document: 1 definition cannot be imported, so nothing was:');
    // the unquoted key `path : "/sitemap.xml"` in http_service
    expect(run.stderr).toContain("\n  http_service: expected a string key but found 'p' at line 115, column 3\n");
    expect(run.stderr).toContain('pass --skip-invalid to import the other definitions');
    expect(station.tree.tryNode('node')).toBeUndefined();
  });

  it('imports every other definition of nodix.node with the type its annotation names', async () => {
    const run = await grove(['import', station.url, 'node', NODE_FILE, '--format', 'nodix', '--skip-invalid']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/leaving out 1 definition of .*nodix\.node that cannot be imported:\n {2}http_service: /);
    expect(run.stderr).toMatch(/\nimported [\d,]+ nodes into node in 1 request \(.*1 flawed definition left out\)\n$/);
    const expected = (await definitions(NODE_FILE)).filter(({ name }) => name !== 'http_service');
    expect(expected).toHaveLength(18);
    const root = station.tree.node('node');
    expect(root.children().map((child) => [child.name, child.typeId])).toEqual(expected.map(({ name, type }) => [name, idOf(type)]));
    root.release();
    const value = (path: string) => station.tree.value(`node/${path}`);
    expect(value('configuration/pubKeyVersion')).toBe(0x19);
    expect(station.tree.node('node/configuration/magic').type).toBe('u64');  // unannotated: u64 unless negative
    expect(station.tree.node('node/configuration/sign_mod').typeId).toBe(idOf('NODE_MODULE_DEF'));
    expect(value('SelfNode/p2p_addr/addr')).toBe('127.0.0.1');
    expect(station.tree.node('node/SelfNode/addr scan list').typeId).toBe(idOf('NODE_BITCORE_WALLET_ADDR_LIST'));
    expect(value('ping_nonce')).toBe(1);
    expect(station.tree.node('node/one').type).toBe('u16');
  });

  it('imports nodix.site, bare strings and the empty values of chain types included', async () => {
    const run = await grove(['import', station.url, 'site', SITE_FILE, '--format', 'nodix']);
    expect(run.code, run.stderr).toBe(0);
    const expected = await definitions(SITE_FILE);
    const root = station.tree.node('site');
    expect(root.children().map((child) => [child.name, child.typeId])).toEqual(expected.map(({ name, type }) => [name, idOf(type)]));
    root.release();
    expect(station.tree.value('site/http_service_name')).toBe('http_service');
    expect(station.tree.value('site/root_app_hash')).toBe('0'.repeat(64));
    expect(station.tree.value('site/root_app_addr')).toBe('');
    expect(station.tree.get('site/metas')).toEqual([{ viewport: 'width=device-width, initial-scale=1.0' }, { description: '' }, { author: '' }]);
  });

  it('finds nodes by their Nodix record type', async () => {
    const call = httpCaller(station.url);
    const modules = resultOf(await call('tree.find', { path: 'node', type: 'NODE_MODULE_DEF' }));
    expect(modules.map((m: { name: string }) => m.name)).toEqual(['vec', 'protocol_adx', 'block_adx', 'wallet', 'node_adx', 'nodix']);
    const services = resultOf(await call('tree.find', { path: 'node', type: 'NODE_SERVICE' }));
    expect(services.map((s: { name: string }) => s.name)).toEqual(['stratum_service']);
  });

  it('exports both back to Nodix text that imports to the same tree', async () => {
    for (const path of ['node', 'site']) {
      const file = join(dir, `${path}.nodix`);
      const exported = await grove(['export', station.url, path, '--format', 'nodix', '--out', file]);
      expect(exported.code, exported.stderr).toBe(0);
      const text = await readFile(file, 'utf8');
      expect(text).toMatch(/^let NODE_\w+ \w+ = /);
      const imported = await grove(['import', station.url, `copy/${path}`, file, '--format', 'nodix']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(copyContent(station.tree, `copy/${path}`)).toEqual(copyContent(station.tree, path));
      // and the copy exports to the same text
      expect((await grove(['export', station.url, `copy/${path}`, '--format', 'nodix'])).stdout).toBe(text);
    }
  });

  it('takes an address of any version byte, as Nodix writes its own', async () => {
    const file = join(dir, 'wallet.node');
    await writeFile(file, 'let NODE_GFX_OBJECT wallet = `{ (NODE_BITCORE_WALLET_ADDR)"coinbaseAddr" : "B8mPBEg2XbYSUwEh5a7yrfehvMNijpAm1P" }`\n');
    const run = await grove(['import', station.url, 'wallet', file, '--format', 'nodix']);
    expect(run.code, run.stderr).toBe(0);
    expect(station.tree.node('wallet/wallet/coinbaseAddr').type).toBe('address');
    expect(station.tree.value('wallet/wallet/coinbaseAddr')).toBe('B8mPBEg2XbYSUwEh5a7yrfehvMNijpAm1P');
  });

  it('answers a wrong --format with the one that works', async () => {
    for (const format of ['typed', 'plain']) {
      const run = await grove(['import', station.url, 'wrong', SITE_FILE, '--format', format]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`is not a valid ${format} document: .*\\n {2}it reads as a valid nodix document: run again with --format nodix\\n$`));
    }
    expect(station.tree.tryNode('wrong')).toBeUndefined();
  });
});
