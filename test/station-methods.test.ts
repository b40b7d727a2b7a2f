// Every method of DESIGN's JSON-RPC table against a real station, end to end: one suite,
// run once over HTTP and once over WebSocket.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client/index.js';
import type { Station } from '../src/station/server.js';
import { type Caller, errorOf, httpCaller, openStation, resultOf, WsClient } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const NotFound = ErrorCode.NotFound;
const TypeMismatch = ErrorCode.TypeMismatch;
const VersionConflict = ErrorCode.VersionConflict;
const InvalidParams = ErrorCode.InvalidParams;

const transports: Array<[string, (station: Station) => Promise<{ call: Caller; close: () => Promise<void> }>]> = [
  ['HTTP', async (station) => ({ call: httpCaller(station.url), close: async () => undefined })],
  [
    'WebSocket',
    async (station) => {
      const client = await WsClient.open(station.url);
      return { call: client.call, close: () => client.close() };
    },
  ],
];

describe.each(transports)('station methods over %s', (_, connect) => {
  let station: Station;
  let call: Caller;
  let close: () => Promise<void>;
  beforeAll(async () => {
    station = await openStation({ demo: true });
    ({ call, close } = await connect(station));
  });
  afterAll(async () => {
    await close();
    await station.close();
  });

  const ok = async (method: string, params?: unknown) => resultOf(await call(method, params));
  const fails = async (method: string, params: unknown, code: number) => errorOf(await call(method, params), code);
  /** The root's plain JSON, its content hash and the tree version: what "the tree is unchanged" compares. */
  const snapshot = async () => ({
    tree: await ok('tree.get', { path: '' }),
    hash: await ok('tree.hash', { path: '' }),
    version: (await ok('station.info')).treeVersion,
  });

  describe('tree.get', () => {
    beforeAll(async () => {
      await ok('tree.set', { path: 'get', value: { a: { b: 1 }, n: 2, l: [1, 'x'] } });
    });

    it('reads a subtree as plain JSON and a leaf as its value', async () => {
      expect(await ok('tree.get', { path: 'get' })).toEqual({ a: { b: 1 }, n: 2, l: [1, 'x'] });
      expect(await ok('tree.get', { path: 'get/a/b' })).toBe(1);
      expect(await ok('tree.get', { path: '/get/n' })).toBe(2); // a leading "/" is ignored
    });

    it('reads typed JSON, every node with its type', async () => {
      expect(await ok('tree.get', { path: 'get', format: 'typed' })).toEqual({
        name: 'get',
        type: 'object',
        children: [
          { name: 'a', type: 'object', children: [{ name: 'b', type: 'i64', value: 1 }] },
          { name: 'n', type: 'i64', value: 2 },
          {
            name: 'l',
            type: 'list',
            children: [
              { name: expect.stringMatching(/^#\d+$/), type: 'i64', value: 1 },
              { name: expect.stringMatching(/^#\d+$/), type: 'str', value: 'x' },
            ],
          },
        ],
      });
    });

    it('cuts structured nodes below depth: true in plain JSON, a summary in typed JSON', async () => {
      expect(await ok('tree.get', { path: 'get', depth: 0 })).toEqual({ a: true, n: 2, l: true });
      expect(await ok('tree.get', { path: 'get', depth: 1 })).toEqual({ a: { b: 1 }, n: 2, l: [1, 'x'] });
      const typed = await ok('tree.get', { path: 'get', depth: 0, format: 'typed' });
      expect(typed.children).toEqual([
        { name: 'a', type: 'object', childCount: 1 },
        { name: 'n', type: 'i64', value: 2 },
        { name: 'l', type: 'list', childCount: 2 },
      ]);
    });

    it('answers a missing path with -32001 naming the path', async () => {
      const error = await fails('tree.get', { path: 'get/a/nothing' }, NotFound);
      expect(error.data).toEqual({ path: 'get/a/nothing' });
      expect(error.message).toContain("'get/a' has no child 'nothing'");
    });

    it('reads at once with a minVersion this station has reached, and refuses one it never did', async () => {
      const { version } = await ok('tree.set', { path: 'get/n', value: 3 });
      expect(await ok('tree.get', { path: 'get/n', minVersion: version })).toBe(3);
      expect(await ok('tree.list', { path: 'get', minVersion: version })).toMatchObject({ total: 3 });
      const error = await fails('tree.get', { path: 'get/n', minVersion: version + 1000 }, ErrorCode.VersionConflict);
      expect(error.message).toContain(`minVersion ${version + 1000} is newer`);
      expect(error.data).toMatchObject({ path: 'get/n', version: expect.any(Number) });
    });
  });

  describe('tree.list', () => {
    const count = 10_000;
    beforeAll(async () => {
      await ok('tree.set', { path: 'list', value: Array.from({ length: count }, (_, i) => i) });
    });

    it('pages through 10,000 children by offset and limit', async () => {
      const first = await ok('tree.list', { path: 'list', limit: 3 });
      expect(first.total).toBe(count);
      expect(first.children).toHaveLength(3);
      for (const child of first.children) {
        expect(child).toEqual({ name: `#${child.id}`, type: 'i64', id: expect.any(Number), childCount: 0, version: expect.any(Number) });
      }
      const all = await ok('tree.list', { path: 'list', offset: 0, limit: count });
      expect(all.children).toHaveLength(count);
      expect(all.children.slice(0, 3)).toEqual(first.children);
      const ids = all.children.map((child: { id: number }) => child.id);
      expect(new Set(ids).size).toBe(count);

      const middle = await ok('tree.list', { path: 'list', offset: 5000, limit: 7 });
      expect(middle).toEqual({ total: count, type: 'list', version: all.version, children: all.children.slice(5000, 5007) });
      const tail = await ok('tree.list', { path: 'list', offset: count - 2, limit: 5 });
      expect(tail).toEqual({ total: count, type: 'list', version: all.version, children: all.children.slice(count - 2) });
      expect(await ok('tree.list', { path: 'list', offset: count })).toEqual({ total: count, type: 'list', version: all.version, children: [] });
      expect((await ok('tree.list', { path: 'list' })).children).toEqual(all.children.slice(0, 100));
    });

    it('refuses a page larger than 10,000 and a negative offset', async () => {
      await fails('tree.list', { path: 'list', limit: count + 1 }, InvalidParams);
      await fails('tree.list', { path: 'list', offset: -1 }, InvalidParams);
    });

    it('lists leaves as having no children, and a missing path as -32001', async () => {
      const leaf = station.tree.node('get/n');
      expect(await ok('tree.list', { path: 'get/n' })).toEqual({ total: 0, type: leaf.type, version: leaf.version, children: [] });
      leaf.release();
      await fails('tree.list', { path: 'list/none' }, NotFound);
    });
  });

  describe('tree.set', () => {
    const typedLeaf = async (path: string) => {
      const { name: _name, ...rest } = await ok('tree.get', { path, format: 'typed' });
      return rest;
    };

    it('names every type it takes when a type is unknown, each family included', async () => {
      const { message } = await fails('tree.set', { path: 'set/t', value: 1, type: 'float' }, InvalidParams);
      expect(message).toMatch(/unknown type "float": use one of null, bool, /);
      for (const name of ['vec2', 'mat3x3', 'ipv4', 'f32array', 'hash', 'address', 'vint', 'der_sig']) expect(message).toContain(name);
    });

    it('reads 64-bit integers beyond 2^53 from decimal strings and writes them back as such', async () => {
      await ok('tree.set', { path: 'set/u64', value: '18446744073709551615', type: 'u64' });
      expect(await ok('tree.get', { path: 'set/u64' })).toBe('18446744073709551615');
      expect(await typedLeaf('set/u64')).toEqual({ type: 'u64', value: '18446744073709551615' });
      await ok('tree.set', { path: 'set/i64', value: '-9223372036854775808', type: 'i64' });
      expect(await ok('tree.get', { path: 'set/i64' })).toBe('-9223372036854775808');
      // within 2^53 the same value is a JSON number again
      await ok('tree.set', { path: 'set/small', value: '9007199254740991', type: 'u64' });
      expect(await ok('tree.get', { path: 'set/small' })).toBe(9007199254740991);
    });

    it('refuses integers that do not fit the type, leaving the node as it was', async () => {
      await fails('tree.set', { path: 'set/u64', value: '18446744073709551616', type: 'u64' }, TypeMismatch);
      await fails('tree.set', { path: 'set/u64', value: '-1', type: 'u64' }, TypeMismatch);
      await fails('tree.set', { path: 'set/u64', value: '1.5', type: 'u64' }, TypeMismatch);
      await fails('tree.set', { path: 'set/u64', value: 256, type: 'u8' }, TypeMismatch);
      expect(await typedLeaf('set/u64')).toEqual({ type: 'u64', value: '18446744073709551615' });
    });

    it('reads bytes from base64', async () => {
      await ok('tree.set', { path: 'set/bytes', value: 'AAEC/w==', type: 'bytes' });
      expect(await typedLeaf('set/bytes')).toEqual({ type: 'bytes', value: 'AAEC/w==' });
      const error = await fails('tree.set', { path: 'set/bytes', value: 'not base64!', type: 'bytes' }, TypeMismatch);
      expect(error.message).toContain('base64');
      expect(await ok('tree.get', { path: 'set/bytes' })).toBe('AAEC/w==');
    });

    it('stores f32 exactly or not at all, and "NaN" and "Infinity" as floats', async () => {
      await ok('tree.set', { path: 'set/f32', value: 0.75, type: 'f32' });
      expect(await typedLeaf('set/f32')).toEqual({ type: 'f32', value: 0.75 });
      await fails('tree.set', { path: 'set/f32', value: 0.1, type: 'f32' }, TypeMismatch);
      await ok('tree.set', { path: 'set/f32', value: 'NaN', type: 'f32' });
      expect(await typedLeaf('set/f32')).toEqual({ type: 'f32', value: 'NaN' });
      await ok('tree.set', { path: 'set/f64', value: '-Infinity', type: 'f64' });
      expect(await ok('tree.get', { path: 'set/f64' })).toBe('-Infinity');
      // without a type, "NaN" is just a string
      await ok('tree.set', { path: 'set/nan', value: 'NaN' });
      expect(await typedLeaf('set/nan')).toEqual({ type: 'str', value: 'NaN' });
    });

    it('infers types from plain JSON without a type', async () => {
      await ok('tree.set', { path: 'set/plain', value: { i: 1, f: 1.5, b: true, n: null, s: 's', l: [], o: {} } });
      const typed = await ok('tree.get', { path: 'set/plain', format: 'typed' });
      expect(typed.children.map(({ name, type }: { name: string; type: string }) => [name, type])).toEqual([
        ['i', 'i64'],
        ['f', 'f64'],
        ['b', 'bool'],
        ['n', 'null'],
        ['s', 'str'],
        ['l', 'list'],
        ['o', 'object'],
      ]);
    });

    it('replaces the whole subtree, creating missing parents as objects', async () => {
      await ok('tree.set', { path: 'set/sub/deep/er', value: { a: 1, b: { c: 2 } } });
      expect(await ok('tree.get', { path: 'set/sub' })).toEqual({ deep: { er: { a: 1, b: { c: 2 } } } });
      await ok('tree.set', { path: 'set/sub/deep/er', value: { z: [true] } });
      expect(await ok('tree.get', { path: 'set/sub/deep' })).toEqual({ er: { z: [true] } });
      expect((await typedLeaf('set/sub/deep')).type).toBe('object');
    });

    it('imports typed JSON with format "typed"', async () => {
      const value = {
        name: 'ignored',
        type: 'object',
        children: [
          { name: 'x', type: 'u16', value: 65535 },
          { name: 'y', type: 'list', children: [{ name: 'a', type: 'f32', value: 0.5 }] },
        ],
      };
      await ok('tree.set', { path: 'set/typed', value, format: 'typed' });
      expect(await ok('tree.get', { path: 'set/typed', format: 'typed' })).toEqual({ ...value, name: 'typed' });
    });

    it('writes only at the version given as ifVersion, else -32003 with the current version', async () => {
      const { version } = await ok('tree.set', { path: 'set/guarded', value: 1 });
      const error = await fails('tree.set', { path: 'set/guarded', value: 2, ifVersion: version - 1 }, VersionConflict);
      expect(error.data).toEqual({ path: 'set/guarded', version });
      expect(await ok('tree.get', { path: 'set/guarded' })).toBe(1);
      const next = await ok('tree.set', { path: 'set/guarded', value: 3, ifVersion: version });
      expect(next.version).toBeGreaterThan(version);
      expect(await ok('tree.get', { path: 'set/guarded' })).toBe(3);
    });

    it('treats ifVersion 0 as "only if nothing is there"', async () => {
      await ok('tree.set', { path: 'set/once', value: 'first', ifVersion: 0 });
      const error = await fails('tree.set', { path: 'set/once', value: 'second', ifVersion: 0 }, VersionConflict);
      expect(error.data).toEqual({ path: 'set/once', version: expect.any(Number) });
      expect(await ok('tree.get', { path: 'set/once' })).toBe('first');
    });

    it('returns the version of the write, which is the tree version', async () => {
      const { version } = await ok('tree.set', { path: 'set/v', value: 1 });
      expect((await ok('station.info')).treeVersion).toBe(version);
    });

    it('refuses unknown types and writes under a leaf', async () => {
      await fails('tree.set', { path: 'set/x', value: 1, type: 'u128' }, InvalidParams);
      await fails('tree.set', { path: 'set/guarded/under', value: 1 }, TypeMismatch);
      await fails('tree.get', { path: 'set/x' }, NotFound);
    });

    it('answers a value its type cannot hold with -32002 and the path, however the type is given', async () => {
      // not strict DER: R has excess padding (BIP66)
      const padded = '300702020001020101';
      const cases: Array<[string, Record<string, unknown>]> = [
        ['tree.set', { path: 'set/codes/n', value: 300, type: 'u8' }],
        ['tree.set', { path: 'set/codes/n', value: { name: 'n', type: 'u8', value: 300 }, format: 'typed' }],
        ['tree.add', { path: 'set/codes/n', value: { name: 'x', type: 'u8', value: 300 }, format: 'typed' }],
        ['tree.set', { path: '/set/codes/s', value: padded, type: 'der_sig' }],
        ['tree.set', { path: 'set/codes/s', value: { name: 's', type: 'der_sig', value: padded }, format: 'typed' }],
        ['tree.add', { path: 'set/codes/s', value: [{ name: 'x', type: 'der_sig', value: padded }], format: 'typed' }],
        ['tree.cas', { path: 'set/counted', expect: 3, value: 'three' }],
      ];
      await ok('tree.set', { path: 'set/counted', value: 3 });
      for (const [method, params] of cases) {
        const error = await fails(method, params, TypeMismatch);
        expect(error.data, `${method} ${JSON.stringify(params)}: ${error.message}`).toMatchObject({
          path: String(params.path).replace(/^\//, ''),
        });
      }
    });
  });

  describe('tree.patch', () => {
    it('sets the named members and leaves the others', async () => {
      await ok('tree.set', { path: 'patch', value: { a: 1, b: { c: 2, d: 3 }, e: 'e' } });
      const { version } = await ok('tree.patch', { path: 'patch', value: { b: { c: 20 }, f: [1] } });
      expect(await ok('tree.get', { path: 'patch' })).toEqual({ a: 1, b: { c: 20 }, e: 'e', f: [1] });
      expect((await ok('station.info')).treeVersion).toBe(version);
    });

    it('creates a missing path', async () => {
      await ok('tree.patch', { path: 'patch/new/er', value: { x: 1 } });
      expect(await ok('tree.get', { path: 'patch/new' })).toEqual({ er: { x: 1 } });
    });

    it('takes only an object', async () => {
      await fails('tree.patch', { path: 'patch', value: [1] }, InvalidParams);
      await fails('tree.patch', { path: 'patch', value: 1 }, InvalidParams);
    });
  });

  describe('tree.add', () => {
    it('adds a child with a generated name "#<id>"', async () => {
      await ok('tree.set', { path: 'add', value: [] });
      const added = await ok('tree.add', { path: 'add', value: 5 });
      expect(added).toEqual({ name: `#${added.id}`, id: expect.any(Number), version: expect.any(Number) });
      const second = await ok('tree.add', { path: 'add', value: { k: 'v' } });
      expect(second.id).not.toBe(added.id);
      expect(second.version).toBeGreaterThan(added.version);
      expect(await ok('tree.get', { path: 'add' })).toEqual([5, { k: 'v' }]);
      expect(await ok('tree.list', { path: 'add' })).toEqual({
        total: 2,
        // the listed node's own type and version (that of the last change under it)
        type: 'list',
        version: second.version,
        children: [
          { name: added.name, type: 'i64', id: added.id, childCount: 0, version: added.version },
          { name: second.name, type: 'object', id: second.id, childCount: 1, version: second.version },
        ],
      });
    });

    it('adds a named, typed child, creating a missing parent', async () => {
      const added = await ok('tree.add', { path: 'add2/here', value: '7', name: 'seven', type: 'u8' });
      expect(added.name).toBe('seven');
      expect(await ok('tree.get', { path: 'add2/here/seven', format: 'typed' })).toEqual({ name: 'seven', type: 'u8', value: 7 });
    });

    it('keeps children that share a name; lookups find the first', async () => {
      await ok('tree.add', { path: 'add3', value: 1, name: 'twin' });
      await ok('tree.add', { path: 'add3', value: 2, name: 'twin' });
      expect((await ok('tree.list', { path: 'add3' })).total).toBe(2);
      expect(await ok('tree.get', { path: 'add3/twin' })).toBe(1);
    });

    it('adds typed JSON: one node, or several in order, naming the last', async () => {
      await ok('tree.set', { path: 'add4', value: [] });
      const one = await ok('tree.add', { path: 'add4', format: 'typed', value: { name: '', type: 'u8', value: 7 } });
      expect(one.name).toBe(`#${one.id}`);
      const many = await ok('tree.add', {
        path: 'add4',
        format: 'typed',
        value: [
          { name: '', type: 'list', children: [{ name: '', type: 'u64', value: '18446744073709551615' }] },
          { name: 'named', type: 'vec3', value: [1, 2, 3] },
        ],
      });
      expect(many).toEqual({ name: 'named', id: expect.any(Number), version: expect.any(Number) });
      expect(await ok('tree.get', { path: 'add4' })).toEqual([7, ['18446744073709551615'], [1, 2, 3]]);
      const types = (await ok('tree.list', { path: 'add4' })).children.map((child: { type: string }) => child.type);
      expect(types).toEqual(['u8', 'list', 'vec3']);
    });

    it('refuses typed JSON it cannot build, adding none of it', async () => {
      await ok('tree.set', { path: 'add5', value: [1] });
      const good = { name: '', type: 'u8', value: 1 };
      const bad = (value: unknown, code: number) => fails('tree.add', { path: 'add5', format: 'typed', value }, code);
      expect((await bad([good, { name: '', type: 'u8', value: 300 }], TypeMismatch)).message).toMatch(/300 is out of range for u8/);
      expect((await bad([good, { name: '', type: 'nope', value: 1 }], InvalidParams)).message).toMatch(/unknown type "nope"/);
      expect((await bad([], InvalidParams)).message).toMatch(/an empty array adds nothing/);
      const named = await fails('tree.add', { path: 'add5', format: 'typed', value: good, name: 'x' }, InvalidParams);
      expect(named.message).toMatch(/the value carries its own name and type/);
      expect(await ok('tree.get', { path: 'add5' })).toEqual([1]);
    });

    it('refuses to add under a leaf', async () => {
      await ok('tree.set', { path: 'add4', value: 1 });
      await fails('tree.add', { path: 'add4', value: 1 }, TypeMismatch);
      expect(await ok('tree.get', { path: 'add4' })).toBe(1);
    });
  });

  describe('tree.delete', () => {
    it('removes the subtree', async () => {
      await ok('tree.set', { path: 'del/a', value: { b: 1 } });
      const { version } = await ok('tree.delete', { path: 'del/a' });
      expect((await ok('station.info')).treeVersion).toBe(version);
      await fails('tree.get', { path: 'del/a' }, NotFound);
      expect(await ok('tree.get', { path: 'del' })).toEqual({});
      await fails('tree.delete', { path: 'del/a' }, NotFound);
    });

    it('removes only at the version given as ifVersion', async () => {
      const { version } = await ok('tree.set', { path: 'del/b', value: 1 });
      const error = await fails('tree.delete', { path: 'del/b', ifVersion: version + 1 }, VersionConflict);
      expect(error.data).toEqual({ path: 'del/b', version });
      expect(await ok('tree.get', { path: 'del/b' })).toBe(1);
      await ok('tree.delete', { path: 'del/b', ifVersion: version });
      await fails('tree.get', { path: 'del/b' }, NotFound);
    });

    it('refuses to delete the root', async () => {
      await fails('tree.delete', { path: '' }, InvalidParams);
    });
  });

  describe('tree.find and tree.sort', () => {
    const people = [
      { name: 'ada', age: 36 },
      { name: 'grace', age: 85 },
      { name: 'nameless' },
      { name: 'alan', age: 41 },
      { name: 'linus', age: 36 },
    ];
    beforeAll(async () => {
      await ok('tree.set', { path: 'people', value: people });
      await ok('tree.set', { path: 'mixed', value: { i: 1, s: 'two', f: 2.5, o: { x: 1 }, j: 3 } });
    });
    const names = (rows: Array<{ value: { name: string } }>) => rows.map((row) => row.value.name);

    it('matches each comparison operator; children lacking the member never match', async () => {
      const where = async (op: string, value: unknown) =>
        names(await ok('tree.find', { path: 'people', where: { member: 'age', op, value } }));
      expect(await where('=', 36)).toEqual(['ada', 'linus']);
      expect(await where('!=', 36)).toEqual(['grace', 'alan']);
      expect(await where('<', 41)).toEqual(['ada', 'linus']);
      expect(await where('>', 41)).toEqual(['grace']);
      expect(await where('<=', 41)).toEqual(['ada', 'alan', 'linus']);
      expect(await where('>=', 41)).toEqual(['grace', 'alan']);
      expect(names(await ok('tree.find', { path: 'people', where: { member: 'name', op: '=', value: 'alan' } }))).toEqual(['alan']);
    });

    it('answers rows of name, id, type and plain value', async () => {
      const [row] = await ok('tree.find', { path: 'people', where: { member: 'name', op: '=', value: 'grace' } });
      const listed = (await ok('tree.list', { path: 'people' })).children[1];
      expect(row).toEqual({ name: listed.name, id: listed.id, type: 'object', value: { name: 'grace', age: 85 } });
    });

    it('filters by type', async () => {
      const rows = await ok('tree.find', { path: 'mixed', type: 'i64' });
      expect(rows.map((row: { name: string }) => row.name)).toEqual(['i', 'j']);
      expect(rows[0]).toEqual({ name: 'i', id: expect.any(Number), type: 'i64', value: 1 });
      const objects = await ok('tree.find', { path: 'mixed', type: 'object' });
      expect(objects.map((row: { value: unknown }) => row.value)).toEqual([{ x: 1 }]);
      await fails('tree.find', { path: 'mixed', type: 'nonsense' }, InvalidParams);
    });

    it('orders by a member, either way, with children lacking it last, and limits after ordering', async () => {
      const order = async (params: object) => names(await ok('tree.find', { path: 'people', orderBy: 'age', ...params }));
      expect(await order({})).toEqual(['ada', 'linus', 'alan', 'grace', 'nameless']);
      expect(await order({ descending: true })).toEqual(['grace', 'alan', 'ada', 'linus', 'nameless']);
      expect(await order({ descending: true, limit: 2 })).toEqual(['grace', 'alan']);
      expect(await order({ where: { member: 'age', op: '<', value: 50 }, descending: true })).toEqual(['alan', 'ada', 'linus']);
    });

    it('limits without ordering too, keeping the list order', async () => {
      expect(names(await ok('tree.find', { path: 'people', limit: 2 }))).toEqual(['ada', 'grace']);
      expect(names(await ok('tree.find', { path: 'people', where: { member: 'age', op: '>', value: 0 }, limit: 3 }))).toEqual([
        'ada',
        'grace',
        'alan',
      ]);
    });

    it('orders 64-bit members by value, not by their decimal strings', async () => {
      const labels = ['10000000000000000000', '9999999999999999999', '5', '18446744073709551615'];
      const children = labels.map((n) => ({
        name: 'item',
        type: 'object',
        children: [
          { name: 'n', type: 'u64', value: BigInt(n) <= 2n ** 53n ? Number(n) : n },
          { name: 'label', type: 'str', value: n },
        ],
      }));
      await ok('tree.set', { path: 'bigs', value: { name: 'bigs', type: 'list', children }, format: 'typed' });
      const rows = await ok('tree.find', { path: 'bigs', orderBy: 'n' });
      expect(rows.map((row: { value: { label: string } }) => row.value.label)).toEqual([
        '5',
        '9999999999999999999',
        '10000000000000000000',
        '18446744073709551615',
      ]);
    });

    it('sorts the children in the tree, stably, lacking members last', async () => {
      await ok('tree.set', { path: 'sorted', value: people });
      const { version } = await ok('tree.sort', { path: 'sorted', member: 'age' });
      expect((await ok('station.info')).treeVersion).toBe(version);
      expect((await ok('tree.get', { path: 'sorted' })).map((p: { name: string }) => p.name)).toEqual([
        'ada',
        'linus',
        'alan',
        'grace',
        'nameless',
      ]);
      await ok('tree.sort', { path: 'sorted', member: 'age', descending: true });
      expect((await ok('tree.get', { path: 'sorted' })).map((p: { name: string }) => p.name)).toEqual([
        'grace',
        'alan',
        'ada',
        'linus',
        'nameless',
      ]);
      await fails('tree.sort', { path: 'sorted/none', member: 'age' }, NotFound);
    });
  });

  describe('tree.increment and tree.cas', () => {
    it('increments by 1, by a given amount, and by a decimal string', async () => {
      await ok('tree.set', { path: 'inc/n', value: 10 });
      expect(await ok('tree.increment', { path: 'inc/n' })).toBe(11);
      expect(await ok('tree.increment', { path: 'inc/n', by: -20 })).toBe(-9);
      await ok('tree.set', { path: 'inc/big', value: '18446744073709551610', type: 'u64' });
      expect(await ok('tree.increment', { path: 'inc/big', by: '5' })).toBe('18446744073709551615');
      await ok('tree.set', { path: 'inc/f', value: 0.5 });
      expect(await ok('tree.increment', { path: 'inc/f', by: 0.25 })).toBe(0.75);
    });

    it('refuses an overflow with -32002 and leaves the value', async () => {
      await ok('tree.set', { path: 'inc/i8', value: 127, type: 'i8' });
      const error = await fails('tree.increment', { path: 'inc/i8' }, TypeMismatch);
      expect(error.message).toContain('overflow');
      expect(await ok('tree.get', { path: 'inc/i8' })).toBe(127);
      await fails('tree.increment', { path: 'inc/big', by: 1 }, TypeMismatch);
      expect(await ok('tree.get', { path: 'inc/big' })).toBe('18446744073709551615');
    });

    it('refuses to increment what is not a number, or not there', async () => {
      await ok('tree.set', { path: 'inc/s', value: 'text' });
      await fails('tree.increment', { path: 'inc/s' }, TypeMismatch);
      await fails('tree.increment', { path: 'inc/none' }, NotFound);
      await fails('tree.increment', { path: 'inc/n', by: true }, InvalidParams);
    });

    it('compares and sets', async () => {
      await ok('tree.set', { path: 'cas/n', value: 1, type: 'u32' });
      expect(await ok('tree.cas', { path: 'cas/n', expect: 2, value: 3 })).toEqual({ ok: false, value: 1 });
      expect(await ok('tree.get', { path: 'cas/n' })).toBe(1);
      expect(await ok('tree.cas', { path: 'cas/n', expect: 1, value: 3 })).toEqual({ ok: true, value: 3 });
      expect(await ok('tree.get', { path: 'cas/n' })).toBe(3);
      await ok('tree.set', { path: 'cas/big', value: '18446744073709551615', type: 'u64' });
      expect(await ok('tree.cas', { path: 'cas/big', expect: '18446744073709551615', value: '9007199254740993' })).toEqual({
        ok: true,
        value: '9007199254740993',
      });
      await ok('tree.set', { path: 'cas/s', value: 'a' });
      expect(await ok('tree.cas', { path: 'cas/s', expect: 'a', value: 'b' })).toEqual({ ok: true, value: 'b' });
    });

    it('refuses a value the node type cannot hold, and structured nodes', async () => {
      await fails('tree.cas', { path: 'cas/n', expect: 3, value: -1 }, TypeMismatch);
      expect(await ok('tree.get', { path: 'cas/n' })).toBe(3);
      await fails('tree.cas', { path: 'cas', expect: null, value: 1 }, TypeMismatch);
    });
  });

  describe('tree.transact', () => {
    beforeAll(async () => {
      await ok('tree.set', { path: 'tx', value: { a: 1, list: [1, 2], small: 0 } });
      await ok('tree.set', { path: 'tx/small', value: 127, type: 'i8' });
    });

    it('applies every op and answers the tree version', async () => {
      const { version } = await ok('tree.transact', {
        ops: [
          { method: 'tree.set', params: { path: 'tx/b', value: { c: 1 } } },
          { method: 'tree.increment', params: { path: 'tx/a', by: 2 } },
          { method: 'tree.add', params: { path: 'tx/list', value: 3 } },
          { method: 'tree.patch', params: { path: 'tx/b', value: { d: 2 } } },
          { method: 'tree.delete', params: { path: 'tx/b/c' } },
        ],
      });
      expect((await ok('station.info')).treeVersion).toBe(version);
      expect(await ok('tree.get', { path: 'tx' })).toEqual({ a: 3, list: [1, 2, 3], small: 127, b: { d: 2 } });
    });

    it('applies none when an op fails: the tree, its hash and its node ids stay as they were', async () => {
      const before = await snapshot();
      const listed = await ok('tree.list', { path: 'tx/list' });
      const error = await fails(
        'tree.transact',
        {
          ops: [
            { method: 'tree.set', params: { path: 'tx/a', value: 'replaced' } },
            { method: 'tree.add', params: { path: 'tx/list', value: 4 } },
            { method: 'tree.set', params: { path: 'tx/new/deep', value: 1 } },
            { method: 'tree.delete', params: { path: 'tx/b' } },
            { method: 'tree.sort', params: { path: 'tx/list', member: 'x', descending: true } },
            { method: 'tree.increment', params: { path: 'tx/small' } },
          ],
        },
        TypeMismatch,
      );
      expect(error.message).toMatch(/^ops\[5\] \(tree.increment\) failed, nothing was applied: /);
      expect(await snapshot()).toEqual(before);
      expect(await ok('tree.list', { path: 'tx/list' })).toEqual(listed);
    });

    it('applies none when a later op names a missing path or has bad params', async () => {
      const before = await snapshot();
      const set = { method: 'tree.set', params: { path: 'tx/a', value: 0 } };
      await fails('tree.transact', { ops: [set, { method: 'tree.delete', params: { path: 'tx/none' } }] }, NotFound);
      await fails('tree.transact', { ops: [set, { method: 'tree.set', params: { path: 'tx/a' } }] }, InvalidParams);
      await fails('tree.transact', { ops: [set, { method: 'tree.get', params: { path: 'tx' } }] }, InvalidParams);
      await fails('tree.transact', { ops: [set, { method: 'tree.set', params: { path: 'tx/a/b', value: 1 } }] }, TypeMismatch);
      await fails('tree.transact', { ops: [] }, InvalidParams);
      expect(await snapshot()).toEqual(before);
    });

    it('checks ifVersions before anything, and ifVersion within an op', async () => {
      const before = await snapshot();
      const { version } = await ok('tree.set', { path: 'tx/guard', value: 1 });
      const after = await snapshot();
      const op = { method: 'tree.set', params: { path: 'tx/guard', value: 2 } };
      const error = await fails('tree.transact', { ops: [op], ifVersions: { 'tx/guard': version - 1 } }, VersionConflict);
      expect(error.data).toEqual({ path: 'tx/guard', version });
      const guarded = { method: 'tree.set', params: { path: 'tx/guard', value: 2, ifVersion: version - 1 } };
      await fails('tree.transact', { ops: [{ method: 'tree.set', params: { path: 'tx/a', value: 0 } }, guarded] }, VersionConflict);
      expect(await snapshot()).toEqual(after);
      await ok('tree.transact', { ops: [op], ifVersions: { 'tx/guard': version, tx: version } });
      expect(await ok('tree.get', { path: 'tx/guard' })).toBe(2);
      expect(before.hash).not.toBe(after.hash);
    });

    it('meets in its rehearsal what a delete uncovers: the next child of the same name', async () => {
      const twins = {
        name: 'twins',
        type: 'object',
        children: [
          { name: 'a', type: 'object', children: [{ name: 'x', type: 'i64', value: 1 }] },
          { name: 'b', type: 'i64', value: 0 },
          { name: 'a', type: 'i64', value: 5 },
        ],
      };
      await ok('tree.set', { path: 'tx/twins', value: twins, format: 'typed' });
      const before = await snapshot();
      const remove = { method: 'tree.delete', params: { path: 'tx/twins/a' } };
      // the second "a" is a leaf: nothing can be set under it
      await fails('tree.transact', { ops: [remove, { method: 'tree.set', params: { path: 'tx/twins/a/y', value: 1 } }] }, TypeMismatch);
      expect(await snapshot()).toEqual(before);
      await ok('tree.transact', { ops: [remove, { method: 'tree.increment', params: { path: 'tx/twins/a', by: 2 } }] });
      expect(await ok('tree.get', { path: 'tx/twins', format: 'typed' })).toEqual({
        name: 'twins',
        type: 'object',
        children: [
          { name: 'b', type: 'i64', value: 0 },
          { name: 'a', type: 'i64', value: 7 },
        ],
      });
    });

    it('works on application types and sorted lists like any other nodes', async () => {
      const count = await ok('tree.get', { path: 'counters/visits/count' });
      await ok('tree.set', { path: 'tx/people', value: [{ age: 3 }, { age: 1 }, { age: 2 }] });
      await ok('tree.transact', {
        ops: [
          { method: 'tree.increment', params: { path: 'counters/visits/count', by: 10 } },
          { method: 'tree.sort', params: { path: 'tx/people', member: 'age' } },
          { method: 'tree.add', params: { path: 'tx/people', value: { age: 0 } } },
        ],
      });
      expect(await ok('tree.get', { path: 'counters/visits/count' })).toBe(count + 10);
      expect(await ok('tree.get', { path: 'tx/people' })).toEqual([{ age: 1 }, { age: 2 }, { age: 3 }, { age: 0 }]);
    });

    it('rolls back a failed transaction that replaced the root', async () => {
      const before = await snapshot();
      await fails(
        'tree.transact',
        {
          ops: [
            { method: 'tree.set', params: { path: '', value: { only: 1 } } },
            { method: 'tree.delete', params: { path: 'tx' } },
          ],
        },
        NotFound,
      );
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('tree.hash', () => {
    it('is a hex SHA-256 that ignores the name and position of the subtree', async () => {
      await ok('tree.set', { path: 'hash/one', value: { a: { x: 1, y: 'x' }, b: { c: true } } });
      await ok('tree.set', { path: 'hash/elsewhere/two', value: { a: { x: 1, y: 'x' }, b: { c: true } } });
      const hash = await ok('tree.hash', { path: 'hash/one' });
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await ok('tree.hash', { path: 'hash/elsewhere/two' })).toBe(hash);
      expect(await ok('tree.hash', { path: 'hash/one' })).toBe(hash);
    });

    it('counts the generated names of list items, which differ between equal lists', async () => {
      await ok('tree.set', { path: 'hash/list1', value: [1] });
      await ok('tree.set', { path: 'hash/list2', value: [1] });
      expect(await ok('tree.hash', { path: 'hash/list1' })).not.toBe(await ok('tree.hash', { path: 'hash/list2' }));
    });

    it('tells types apart where plain JSON does not', async () => {
      await ok('tree.set', { path: 'hash/i', value: 1, type: 'i64' });
      await ok('tree.set', { path: 'hash/u', value: 1, type: 'u8' });
      expect(await ok('tree.get', { path: 'hash/i' })).toBe(await ok('tree.get', { path: 'hash/u' }));
      expect(await ok('tree.hash', { path: 'hash/i' })).not.toBe(await ok('tree.hash', { path: 'hash/u' }));
    });

    it('survives a typed export and re-import', async () => {
      const typed = await ok('tree.get', { path: 'settings', format: 'typed' });
      await ok('tree.set', { path: 'hash/copy', value: typed, format: 'typed' });
      expect(await ok('tree.hash', { path: 'hash/copy' })).toBe(await ok('tree.hash', { path: 'settings' }));
      expect(await ok('tree.get', { path: 'hash/copy', format: 'typed' })).toEqual({ ...typed, name: 'copy' });
    });

    it('changes with any change below, and only above it', async () => {
      const hashes = async () =>
        Promise.all(['', 'hash', 'hash/one', 'hash/one/b', 'hash/elsewhere'].map((path) => ok('tree.hash', { path })));
      const before = await hashes();
      await ok('tree.set', { path: 'hash/one/b/c', value: false });
      const after = await hashes();
      expect(after.slice(0, 4).every((hash, i) => hash !== before[i])).toBe(true);
      expect(after[4]).toBe(before[4]);
      await ok('tree.set', { path: 'hash/one/b/c', value: true });
      expect(await hashes()).toEqual(before);
      await ok('tree.add', { path: 'hash/one/a', value: null });
      expect((await hashes())[2]).not.toBe(before[2]);
    });

    it('answers -32001 for a missing path', async () => {
      await fails('tree.hash', { path: 'hash/none' }, NotFound);
    });
  });

  describe('node.invoke', () => {
    it("runs the demo counter's add", async () => {
      const start = await ok('tree.get', { path: 'counters/visits/count' });
      expect(await ok('node.invoke', { path: 'counters/visits', method: 'add', args: { by: 3 } })).toBe(start + 3);
      expect(await ok('node.invoke', { path: 'counters/visits', method: 'add' })).toBe(start + 4);
      expect(await ok('tree.get', { path: 'counters/visits/count' })).toBe(start + 4);
    });

    it('refuses unknown operations with -32002 naming the ones there are', async () => {
      const error = await fails('node.invoke', { path: 'counters/visits', method: 'reset', args: {} }, TypeMismatch);
      expect(error.message).toBe('a counter node has no operation "reset"; it has add');
      expect(error.data).toEqual({ path: 'counters/visits' });
      await fails('node.invoke', { path: 'settings', method: 'add' }, TypeMismatch);
      await fails('node.invoke', { path: 'counters/none', method: 'add' }, NotFound);
    });
  });

  describe('station.info and rpc.discover', () => {
    it('describes the station', async () => {
      const info = await ok('station.info');
      expect(info).toEqual({
        id: station.context.id,
        version: station.context.version,
        uptime: expect.any(Number),
        treeVersion: station.tree.version,
        nodes: station.tree.root.size - 1,
        connections: expect.any(Number),
        transports: { websocket: expect.any(Number), sse: expect.any(Number), http: expect.any(Number) },
        peers: [],
      });
      expect(info.uptime).toBeGreaterThanOrEqual(0);
    });

    it('lists every method of the table', async () => {
      const document = await ok('rpc.discover');
      expect(document.openrpc).toBe('1.2.6');
      expect(document.methods.map((m: { name: string }) => m.name).sort()).toEqual(
        [
          'auth',
          'node.invoke',
          'rpc.discover',
          'station.info',
          'tree.add',
          'tree.cas',
          'tree.delete',
          'tree.find',
          'tree.get',
          'tree.hash',
          'tree.history',
          'tree.increment',
          'tree.list',
          'tree.patch',
          'tree.plot',
          'tree.set',
          'tree.sort',
          'tree.subscribe',
          'tree.transact',
          'tree.unsubscribe',
        ].sort(),
      );
    });

    it('documents exactly the params the station enforces', async () => {
      const wrongValue: Record<string, unknown> = { string: 5, integer: 'x', number: 'x', boolean: 'x', object: 5, array: 5 };
      const { methods } = await ok('rpc.discover');
      for (const { name, params } of methods as Array<{ name: string; params: Array<{ name: string; required: boolean; schema: any }> }>) {
        const unknown = await call(name, { notAParam: 1 });
        const problems = errorOf(unknown, InvalidParams).data.errors;
        expect(problems, name).toContainEqual({ param: 'notAParam', problem: 'is not accepted' });
        const required = params.filter((param) => param.required).map((param) => param.name);
        expect(
          problems.filter((p: { problem: string }) => p.problem === 'is required').map((p: { param: string }) => p.param),
          name,
        ).toEqual(required);
        for (const param of params) {
          const type = param.schema.type;
          if (typeof type !== 'string') continue;
          const reply = await call(name, { [param.name]: wrongValue[type] });
          const wrong = errorOf(reply, InvalidParams).data.errors;
          expect(wrong, `${name} ${param.name}`).toContainEqual({ param: param.name, problem: `must be ${type}` });
        }
      }
    });
  });
});

describe.each(transports)('tree.set at the root over %s', (_, connect) => {
  let station: Station;
  let call: Caller;
  let close: () => Promise<void>;
  const ok = async (method: string, params?: unknown) => resultOf(await call(method, params));
  beforeAll(async () => {
    station = await openStation({ demo: true });
    ({ call, close } = await connect(station));
  });
  afterAll(async () => {
    await close();
    await station.close();
  });

  it('replaces the root children with the members of the value', async () => {
    const { version } = await ok('tree.set', { path: '', value: { only: { a: 1 }, two: 2 } });
    expect(await ok('tree.get', { path: '' })).toEqual({ only: { a: 1 }, two: 2 });
    expect((await ok('station.info')).treeVersion).toBe(version);
    expect((await ok('station.info')).nodes).toBe(3);
    await ok('tree.set', { path: '/', value: {} });
    expect(await ok('tree.get', { path: '' })).toEqual({});
  });

  it('takes only an object', async () => {
    errorOf(await call('tree.set', { path: '', value: [1] }), TypeMismatch);
    errorOf(await call('tree.set', { path: '', value: 1 }), TypeMismatch);
    errorOf(await call('tree.set', { path: '', value: {}, type: 'list' }), TypeMismatch);
  });

  it('keeps the order and the repeated names of the value', async () => {
    const typed = {
      name: '',
      type: 'object',
      children: [
        { name: 'b', type: 'i64', value: 1 },
        { name: 'a', type: 'i64', value: 2 },
        { name: 'b', type: 'str', value: 'x' },
      ],
    };
    await ok('tree.set', { path: '', value: { a: 0, b: 0, c: 0 } });
    await ok('tree.set', { path: '', value: typed, format: 'typed' });
    expect(await ok('tree.get', { path: '', format: 'typed' })).toEqual(typed);
    await ok('tree.set', { path: '', value: { z: 1, y: 2 } });
    expect(Object.keys(await ok('tree.get', { path: '' }))).toEqual(['z', 'y']);
  });

  it('takes typed JSON, reproducing an exported tree, application types included, and its hash', async () => {
    const source = await openStation({ demo: true });
    const from = httpCaller(source.url);
    try {
      const typed = resultOf(await from('tree.get', { path: '', format: 'typed' }));
      await ok('tree.set', { path: 'stale', value: 1 });
      await ok('tree.set', { path: '', value: typed, format: 'typed' });
      expect(await ok('tree.get', { path: '', format: 'typed' })).toEqual(typed);
      expect(await ok('tree.hash', { path: '' })).toBe(resultOf(await from('tree.hash', { path: '' })));
    } finally {
      await source.close();
    }
  });
});

describe('a failed transaction', () => {
  it('announces nothing to subscribers', async () => {
    const station = await openStation();
    const client = await WsClient.open(station.url);
    try {
      resultOf(await client.call('tree.set', { path: 'tx/n', value: 127, type: 'i8' }));
      resultOf(await client.call('tree.subscribe', { path: 'tx' }));
      const ops = [
        { method: 'tree.set', params: { path: 'tx/m', value: 1 } },
        { method: 'tree.increment', params: { path: 'tx/n' } },
      ];
      errorOf(await client.call('tree.transact', { ops }), TypeMismatch);
      const { version } = resultOf(await client.call('tree.set', { path: 'tx/done', value: true }));
      await expect.poll(() => client.notifications.length).toBeGreaterThan(0);
      expect(client.notifications.map((n) => [n.params.path, n.params.version])).toEqual([['tx/done', version]]);
    } finally {
      await client.close();
      await station.close();
    }
  });
});

describe('node.invoke results beyond 2^53', () => {
  it('answers them as decimal strings', async () => {
    const station = await openStation({ demo: true });
    const call = httpCaller(station.url);
    try {
      resultOf(await call('tree.set', { path: 'counters/visits/count', value: '18446744073709551610', type: 'u64' }));
      expect(resultOf(await call('node.invoke', { path: 'counters/visits', method: 'add', args: { by: 1 } }))).toBe('18446744073709551611');
    } finally {
      await station.close();
    }
  });
});

describe('station.info connections', () => {
  it('counts open WebSocket connections', async () => {
    const station = await openStation();
    const first = await WsClient.open(station.url);
    const second = await WsClient.open(station.url);
    try {
      expect(resultOf(await first.call('station.info')).connections).toBe(2);
      await second.close();
      expect(resultOf(await first.call('station.info')).connections).toBe(1);
    } finally {
      await first.close();
      await second.close();
      await station.close();
    }
  });
});

describe('every acknowledged write is visible to the next read on any connection', () => {
  let station: Station;
  beforeAll(async () => {
    station = await openStation();
  });
  afterAll(() => station.close());

  it('a WebSocket write, read over HTTP, and an HTTP write, read over WebSocket', async () => {
    const ws = await WsClient.open(station.url);
    const http = httpCaller(station.url);
    for (let i = 0; i < 50; i++) {
      const [writer, reader] = i % 2 === 0 ? [ws.call, http] : [http, ws.call];
      resultOf(await writer('tree.set', { path: `seen/n${i % 5}`, value: i }));
      expect(resultOf(await reader('tree.get', { path: `seen/n${i % 5}` }))).toBe(i);
    }
    await ws.close();
  });

  it('through the client on both transports', async () => {
    const http = createClient({ url: station.url });
    const ws = createClient({ url: station.url, transport: 'ws', WebSocket: WebSocket as never });
    try {
      for (let i = 0; i < 20; i++) {
        const [writer, reader] = i % 2 === 0 ? [ws, http] : [http, ws];
        const { version } = await writer.set('client/value', { i, big: `${2n ** 60n + BigInt(i)}` });
        expect(await reader.get('client/value')).toEqual({ i, big: `${2n ** 60n + BigInt(i)}` });
        expect((await reader.info()).treeVersion).toBe(version);
      }
    } finally {
      ws.close();
      http.close();
    }
  });
});
