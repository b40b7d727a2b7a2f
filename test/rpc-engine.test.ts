// The JSON-RPC engine on its own: protocol, validation, limits, error mapping, OpenRPC.
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import {
  type MethodDefinition,
  type RpcLogger,
  ErrorCode,
  RpcError,
  createRpcEngine,
  defineMethod,
} from '../src/rpc/index.js';

const info = { title: 'test', version: '1.0.0' };

function context() {
  return { transport: 'http' as const, connectionId: 'test', log: { error: vi.fn<RpcLogger['error']>() } };
}

const echo = defineMethod<{ value: unknown }, unknown>({
  name: 'echo',
  summary: 'Returns its value.',
  params: { type: 'object', properties: { value: {} }, additionalProperties: false },
  result: {},
  handler: ({ value }) => value,
});

const find = defineMethod<{ path: string; limit: number; where?: { op: string } }, unknown>({
  name: 'find',
  summary: 'Exercises validation.',
  params: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'where to look' },
      limit: { type: 'integer', minimum: 1, default: 10 },
      where: {
        type: 'object',
        properties: { op: { enum: ['=', '<'] } },
        required: ['op'],
        additionalProperties: false,
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  result: { type: 'object', title: 'Found', description: 'what was found' },
  handler: (params) => ({ ...params }),
});

function throwing(error: unknown): MethodDefinition {
  return {
    name: 'throws',
    summary: 'Throws.',
    params: { type: 'object' },
    result: {},
    handler: () => {
      throw error;
    },
  };
}

function engineWith(...methods: MethodDefinition[]) {
  return createRpcEngine({ info, methods: [echo, find, ...methods] });
}

async function ask(engine: ReturnType<typeof engineWith>, request: unknown, ctx = context()) {
  const response = await engine.handle(typeof request === 'string' ? request : JSON.stringify(request), ctx);
  return response && JSON.parse(response.body);
}

const call = (method: string, params?: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', method, params, id });

describe('request objects', () => {
  const engine = engineWith();

  it.each(['abc', '', 0, -7, 2.5, 1e300, null])('echoes the id %j exactly', async (id) => {
    expect(await ask(engine, call('echo', { value: 1 }, id))).toEqual({ jsonrpc: '2.0', result: 1, id });
  });

  it.each([[{}], [[1]], [true]])('refuses the id %j with -32600 and id null', async (id) => {
    const response = await ask(engine, call('echo', {}, id));
    expect(response).toMatchObject({ error: { code: ErrorCode.InvalidRequest }, id: null });
    expect(response.error.message).toMatch(/"id" must be a string, a number or null/);
  });

  it.each([['1.0'], [2], [undefined]])('refuses jsonrpc %j, echoing a valid id', async (jsonrpc) => {
    const response = await ask(engine, { jsonrpc, method: 'echo', id: 'x' });
    expect(response).toMatchObject({
      error: { code: ErrorCode.InvalidRequest, message: expect.stringMatching(/exactly "2.0"/) },
      id: 'x',
    });
  });

  it('refuses a method that is not a string and params that are not structured', async () => {
    expect(await ask(engine, { jsonrpc: '2.0', method: 1, id: 2 })).toMatchObject({ error: { code: ErrorCode.InvalidRequest }, id: 2 });
    expect(await ask(engine, { jsonrpc: '2.0', method: 'echo', params: 'x', id: 3 })).toMatchObject({
      error: { code: ErrorCode.InvalidRequest, message: expect.stringMatching(/"params" must be an object/) },
      id: 3,
    });
  });

  it('answers an unknown method with -32601 naming it', async () => {
    expect(await ask(engine, call('nope'))).toMatchObject({
      error: { code: ErrorCode.MethodNotFound, message: 'Method not found: "nope" (rpc.discover lists the methods)' },
    });
  });

  it('takes params by name: a positional list is -32602, an empty one means none', async () => {
    const response = await ask(engine, call('find', ['a', 1]));
    expect(response.error).toMatchObject({ code: ErrorCode.InvalidParams });
    expect(response.error.message).toMatch(/by name, not by position; send an object with "path", "limit", "where"/);
    expect(await ask(engine, call('echo', []))).toEqual({ jsonrpc: '2.0', result: null, id: 1 });
  });

  it('answers a parse error with -32700 and id null, also for invalid UTF-8', async () => {
    expect(await ask(engine, '{"jsonrpc":')).toMatchObject({ error: { code: ErrorCode.ParseError }, id: null });
    const bad = Buffer.from([0x7b, 0xff, 0x7d]);
    const response = JSON.parse((await engine.handle(bad, context()))!.body);
    expect(response).toMatchObject({ error: { code: ErrorCode.ParseError, message: expect.stringMatching(/UTF-8/) }, id: null });
  });

  it('sends null for a handler that returns nothing', async () => {
    expect(await ask(engine, call('echo', {}))).toEqual({ jsonrpc: '2.0', result: null, id: 1 });
  });
});

describe('params validation', () => {
  const engine = engineWith();

  it('says which param is wrong and why, with details in data', async () => {
    const { error } = await ask(engine, call('find', { path: 3, limit: 0, extra: true, where: { op: '~' } }));
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toBe(
      'Invalid params for find: "extra" is not accepted; "path" must be string; "limit" must be >= 1; ' +
        '"where.op" must be one of "=", "<"',
    );
    expect(error.data.errors).toContainEqual({ param: 'where.op', problem: 'must be one of "=", "<"' });
  });

  it('names missing params, nested ones by their dotted path', async () => {
    const { error } = await ask(engine, call('find', { where: {} }));
    expect(error.message).toBe('Invalid params for find: "path" is required; "where.op" is required');
  });

  it('fills in schema defaults before the handler runs', async () => {
    expect((await ask(engine, call('find', { path: 'a' }))).result).toEqual({ path: 'a', limit: 10 });
  });

  it('caps the message at five problems and says how many more', async () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, i]));
    const { error } = await ask(engine, call('find', many));
    expect(error.message).toMatch(/\(and 26 more\)$/);
    expect(error.data.errors).toHaveLength(20);
  });
});

describe('limits', () => {
  const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);

  it('accepts a param value nested 64 deep and refuses 65 with -32005', async () => {
    const engine = engineWith();
    expect((await ask(engine, call('echo', { value: nest(64) }))).result).toEqual(nest(64));
    expect((await ask(engine, call('echo', { value: nest(65) }))).error).toEqual({
      code: ErrorCode.LimitExceeded,
      message: 'a param of echo nests arrays and objects too deeply (limits.maxDepth is 64)',
      data: { limit: 'maxDepth', max: 64 },
    });
  });

  it('survives a 500,000-deep value', async () => {
    const deep = `{"jsonrpc":"2.0","method":"echo","params":{"value":${'['.repeat(500_000)}${']'.repeat(500_000)}},"id":1}`;
    const engine = createRpcEngine({ info, methods: [echo], limits: { maxBodyBytes: 2_000_000 } });
    expect((await ask(engine, deep)).error).toMatchObject({ code: ErrorCode.LimitExceeded, data: { limit: 'maxDepth' } });
  });

  it('answers batches up to the limit and refuses a longer one as a whole', async () => {
    const engine = createRpcEngine({ info, methods: [echo], limits: { maxBatch: 3 } });
    const batch = (n: number) => Array.from({ length: n }, (_, i) => call('echo', { value: i }, i));
    expect(await ask(engine, batch(3))).toHaveLength(3);
    expect(await ask(engine, batch(4))).toEqual({
      jsonrpc: '2.0',
      error: {
        code: ErrorCode.LimitExceeded,
        message: 'a batch of 4 calls is too large (limits.maxBatch is 3)',
        data: { limit: 'maxBatch', max: 3 },
      },
      id: null,
    });
  });

  it('refuses a request larger than maxBodyBytes', async () => {
    const engine = createRpcEngine({ info, methods: [echo], limits: { maxBodyBytes: 100 } });
    expect((await ask(engine, call('echo', { value: 'x'.repeat(100) }))).error).toMatchObject({
      code: ErrorCode.LimitExceeded,
      data: { limit: 'maxBodyBytes', max: 100 },
    });
  });

  it('refuses nonsense limits', () => {
    expect(() => createRpcEngine({ info, limits: { maxBatch: 0 } })).toThrow(
      /limits.maxBatch must be a positive integer/,
    );
  });
});

describe('errors from handlers', () => {
  it('sends an RpcError as thrown', async () => {
    const engine = engineWith(throwing(new RpcError(ErrorCode.Forbidden, 'no writes to /x', { path: 'x' })));
    expect((await ask(engine, call('throws'))).error).toEqual({
      code: ErrorCode.Forbidden,
      message: 'no writes to /x',
      data: { path: 'x' },
    });
  });

  it.each([
    ['NOT_FOUND', ErrorCode.NotFound],
    ['TYPE_MISMATCH', ErrorCode.TypeMismatch],
    ['VERSION_CONFLICT', ErrorCode.VersionConflict],
    ['FORBIDDEN', ErrorCode.Forbidden],
    ['LIMIT_EXCEEDED', ErrorCode.LimitExceeded],
    ['UNAUTHENTICATED', ErrorCode.Unauthenticated],
    ['INVALID_ARGUMENT', ErrorCode.InvalidParams],
  ])('maps a thrown error with code %s to %i, keeping message, path and data', async (name, code) => {
    const error = Object.assign(new Error(`nothing at a/b`), { code: name, path: 'a/b', data: { version: 7 } });
    expect((await ask(engineWith(throwing(error)), call('throws'))).error).toEqual({
      code,
      message: 'nothing at a/b',
      data: { version: 7, path: 'a/b' },
    });
  });

  it.each([
    ['a plain Error', new Error('secret detail')],
    ['an unknown code', Object.assign(new Error('secret detail'), { code: 'ENOENT' })],
    ['a prototype key as code', Object.assign(new Error('secret detail'), { code: 'toString' })],
    ['a thrown string', 'secret detail'],
  ])('hides %s behind -32603 and logs it', async (_, thrown) => {
    const ctx = context();
    const response = await ask(engineWith(throwing(thrown)), call('throws'), ctx);
    expect(response).toEqual({ jsonrpc: '2.0', error: { code: ErrorCode.InternalError, message: 'Internal error' }, id: 1 });
    expect(JSON.stringify(response)).not.toMatch(/secret|at /);
    expect(ctx.log.error).toHaveBeenCalledWith(
      expect.objectContaining({ err: thrown, method: 'throws' }),
      expect.any(String),
    );
  });

  it('turns a result JSON cannot carry into -32603', async () => {
    expect((await ask(engineWith(), call('echo', { value: 1 }))).result).toBe(1);
    const bigint: MethodDefinition = { ...echo, name: 'big', handler: () => 1n };
    expect((await ask(engineWith(bigint), call('big', {}))).error.code).toBe(ErrorCode.InternalError);
  });

  it('never answers a notification, even a failing one, but still logs bugs', async () => {
    const ctx = context();
    const engine = engineWith(throwing(new Error('bug')));
    expect(await engine.handle(JSON.stringify({ jsonrpc: '2.0', method: 'throws' }), ctx)).toBeUndefined();
    expect(await engine.handle(JSON.stringify({ jsonrpc: '2.0', method: 'nope' }), ctx)).toBeUndefined();
    expect(ctx.log.error).toHaveBeenCalledTimes(1);
  });

  it('checks results against their schema when asked to', async () => {
    const lying: MethodDefinition = { ...find, name: 'lying', handler: () => 'not an object' };
    const ctx = context();
    const strict = createRpcEngine({ info, methods: [lying], validateResults: true });
    expect((await ask(strict, call('lying', { path: 'a' }), ctx)).error.code).toBe(ErrorCode.InternalError);
    expect((ctx.log.error.mock.calls[0]![0] as { err: Error }).err.message).toMatch(
      /lying returned a result its schema refuses: data must be object/,
    );
    const lax = createRpcEngine({ info, methods: [lying] });
    expect((await ask(lax, call('lying', { path: 'a' }))).result).toBe('not an object');
  });
});

describe('batches', () => {
  it('starts calls in order, waits for them together, and answers each in order', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const slow = defineMethod<{ n: number; ms: number }, number>({
      name: 'slow',
      summary: 'Waits.',
      params: { type: 'object', properties: { n: { type: 'integer' }, ms: { type: 'integer' } } },
      result: { type: 'integer' },
      handler: ({ n, ms }) => {
        started.push(n);
        return new Promise((resolve) =>
          setTimeout(() => {
            finished.push(n);
            resolve(n);
          }, ms),
        );
      },
    });
    const response = await ask(engineWith(slow), [call('slow', { n: 1, ms: 20 }, 1), call('slow', { n: 2, ms: 0 }, 2)]);
    // started in order, waited on together, answered in the batch's order
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2, 1]);
    expect(response.map((r: { result: number }) => r.result)).toEqual([1, 2]);
  });
});

describe('registration', () => {
  it('refuses reserved, duplicate and nameless methods', () => {
    const engine = engineWith();
    expect(() => engine.register({ ...echo, name: 'rpc.mine' })).toThrow(/reserved/);
    expect(() => engine.register(echo)).toThrow(/already registered/);
    expect(() => engine.register({ ...echo, name: '' })).toThrow(/non-empty name/);
  });

  it('refuses a schema with a typo, naming the method', () => {
    const typo = { ...echo, name: 'typo', params: { type: 'object' as const, propertes: {} } };
    expect(() => engineWith().register(typo)).toThrow(
      /method typo has an invalid schema: strict mode: unknown keyword: "propertes"/,
    );
  });

  it('calls methods in-process through the same checks', async () => {
    const engine = engineWith();
    expect(await engine.call('find', { path: 'p' }, context())).toEqual({ path: 'p', limit: 10 });
    await expect(engine.call('find', {}, context())).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });
});

/** OpenRPC's meta-schema, its two links to the JSON Schema meta-schema online cut short. */
function offlineMetaSchema(): object {
  // the package's typings declare only the document's TypeScript types, not the schema itself
  const { openrpcDocument } = createRequire(import.meta.url)('@open-rpc/meta-schema');
  const { $schema: _, ...metaSchema } = openrpcDocument;
  return JSON.parse(
    JSON.stringify(metaSchema)
      .replace('{"$ref":"https://meta.json-schema.tools"}', '{"type":["object","boolean"]}')
      .replace(
        '{"$ref":"https://meta.json-schema.tools/#/definitions/JSONSchemaObject/properties/$ref"}',
        '{"type":"string"}',
      ),
  );
}

describe('rpc.discover', () => {
  it('is a valid OpenRPC 1.2.6 document generated from the registered schemas', async () => {
    const engine = engineWith();
    const { result } = await ask(engine, call('rpc.discover'));
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(offlineMetaSchema());
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result).toMatchObject({ openrpc: '1.2.6', info });
    expect(result.methods.map((m: { name: string }) => m.name)).toEqual(['rpc.discover', 'echo', 'find']);
    expect(result.methods[2]).toEqual({
      name: 'find',
      summary: 'Exercises validation.',
      paramStructure: 'by-name',
      params: [
        { name: 'path', description: 'where to look', required: true, schema: find.params.properties!.path },
        { name: 'limit', required: false, schema: find.params.properties!.limit },
        { name: 'where', required: false, schema: find.params.properties!.where },
      ],
      result: { name: 'Found', description: 'what was found', schema: find.result },
    });
  });

  it('follows later registrations and refuses params', async () => {
    const engine = engineWith();
    expect(engine.discover().methods).toHaveLength(3);
    engine.register({ ...echo, name: 'later' });
    expect(engine.discover().methods.map((m) => m.name)).toContain('later');
    expect((await ask(engine, call('rpc.discover', { x: 1 }))).error.message).toBe(
      'Invalid params for rpc.discover: "x" is not accepted',
    );
  });
});
