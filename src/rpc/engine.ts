import type { Ajv, ValidateFunction } from 'ajv';
import { ErrorCode } from '../wire/errors.js';
import { RpcError, toRpcError, wireError } from './errors.js';
import { type RpcLimits, limitExceeded, nestsDeeperThan, resolveLimits } from './limits.js';
import { type OpenRpcDocument, type OpenRpcInfo, openRpcDocument, openRpcDocumentSchema } from './openrpc.js';
import { type Message, type MessageItem, readMessage } from './json.js';
import { type RpcId, errorResponse, isObject, readCall, resultResponse } from './protocol.js';
import { type JsonSchema, type ParamsSchema, createAjv, invalidParams } from './validation.js';

/** Where internal errors are reported; a fastify/pino logger fits. */
export interface RpcLogger {
  error(details: object, message: string): void;
}

/** Who is calling and how to reach them; handlers get it with every call. */
export interface RpcContext {
  /** 'cluster': forwarded by another station of the cluster (src/cluster). */
  readonly transport: 'http' | 'ws' | 'cluster';
  /** How many stations have forwarded this call, for calls that came through the cluster. */
  readonly hops?: number;
  /** One WebSocket connection for its whole life, or one HTTP request. */
  readonly connectionId: string;
  /** The bearer token presented, if any; an in-band `auth` call on WebSocket may set it. */
  token?: string;
  /** The client's network address (HTTP and WebSocket), which rate limits count by. */
  readonly address?: string;
  readonly log: RpcLogger;
  /** Pushes a server notification to this caller (params as an object, or already JSON text); present only where the transport can. */
  readonly notify?: (method: string, params: Record<string, unknown> | RawJson) => void;
  /** Runs `cleanup` when the connection ends (at once if it already has); persistent transports only. */
  readonly onClose?: (cleanup: () => void) => void;
  /** Bytes sent to this caller that the network has not taken yet; persistent transports only. */
  readonly queuedBytes?: () => number;
}

/** One method, defined once: the engine validates with these schemas and documents them. */
export interface MethodDefinition<P = any, R = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** An object schema: params are by name. Its defaults are filled in before the handler runs. */
  readonly params: ParamsSchema;
  readonly result: JsonSchema;
  // method syntax keeps definitions with different param types assignable to one table
  handler(params: P, context: RpcContext): R | Promise<R>;
}

/**
 * A result that is already JSON text (a subtree the tree exported natively): sent as it is,
 * without a parse and a stringify in between.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Helps TypeScript type a handler's params and result at the definition. */
export function defineMethod<P, R>(definition: MethodDefinition<P, R>): MethodDefinition<P, R> {
  return definition;
}

export interface RpcEngineOptions {
  info: OpenRpcInfo;
  methods?: readonly MethodDefinition[];
  limits?: Partial<RpcLimits>;
  /** Check every result against its schema (a failure is an internal error); for tests and development. */
  validateResults?: boolean;
  /**
   * Admits a message of `calls` calls (a batch of 100 is 100) before any of them runs, or
   * returns the error that refuses every one of them (a rate limit's -32005, whose `data`
   * may say `retryAfterMs`).
   */
  admit?: (calls: number, context: RpcContext) => RpcError | undefined;
}

/** What an observer learns of each call (engine.onCall). */
export interface CallRecord {
  /** The method called; "(unknown)" for a name no method has, "(invalid)" for what is no call (a parse error, a bad request). */
  readonly method: string;
  readonly transport: RpcContext['transport'];
  /** The JSON-RPC error code it was answered with; 0 for a result. */
  readonly code: number;
  readonly seconds: number;
}

export type CallObserver = (call: CallRecord) => void;

/** A serialised response. `errorCode` is set when the whole response is one error object. */
export interface RpcResponse {
  body: string;
  /** Set when the whole response is one error object, or when every call was refused by `admit`. */
  errorCode?: number;
  /** Set when `admit` refused the message and said when to retry. */
  retryAfterMs?: number;
}

interface Entry {
  definition: MethodDefinition;
  validateParams: ValidateFunction;
  validateResult: ValidateFunction;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The transport-independent JSON-RPC 2.0 engine: a method table and the protocol around it. */
export class RpcEngine {
  readonly limits: Readonly<RpcLimits>;
  readonly #ajv: Ajv = createAjv();
  readonly #entries = new Map<string, Entry>();
  readonly #info: OpenRpcInfo;
  readonly #validateResults: boolean;
  readonly #observers = new Set<CallObserver>();
  readonly #admit: NonNullable<RpcEngineOptions['admit']>;
  #document: OpenRpcDocument | undefined;

  constructor({ info, methods = [], limits, validateResults = false, admit = () => undefined }: RpcEngineOptions) {
    this.limits = resolveLimits(limits);
    this.#info = info;
    this.#validateResults = validateResults;
    this.#admit = admit;
    this.#add({
      name: 'rpc.discover',
      summary: 'Describes every method of this service as an OpenRPC document.',
      params: { type: 'object', additionalProperties: false },
      result: openRpcDocumentSchema,
      handler: () => this.discover(),
    });
    for (const definition of methods) this.register(definition);
  }

  /** Adds a method; its schemas are compiled now, so a bad schema fails here, naming the method. */
  register(definition: MethodDefinition): this {
    const { name } = definition;
    if (typeof name !== 'string' || name === '') throw new TypeError('a method needs a non-empty name');
    // the spec reserves rpc.* for the protocol itself
    if (name.startsWith('rpc.')) throw new TypeError(`method names starting with "rpc." are reserved: ${name}`);
    if (this.#entries.has(name)) throw new TypeError(`method ${name} is already registered`);
    this.#add(definition);
    return this;
  }

  /** The OpenRPC document of every registered method, rpc.discover included. */
  discover(): OpenRpcDocument {
    this.#document ??= openRpcDocument(
      this.#info,
      Array.from(this.#entries.values(), (entry) => entry.definition),
    );
    return this.#document;
  }

  /** Calls `observer` after every call, from any transport (metrics); returns what stops it. */
  onCall(observer: CallObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /**
   * Calls a method as a request would: limits, then params validation, then the handler.
   * Throws an RpcError for anything the caller got wrong; other throws are the handler's own.
   */
  async call(method: string, params: unknown, context: RpcContext): Promise<unknown> {
    const started = this.#observers.size > 0 ? performance.now() : undefined;
    let code = 0;
    try {
      const { entry, named } = this.#check(method, params);
      const result = await entry.definition.handler(named, context);
      if (this.#validateResults && !entry.validateResult(result instanceof RawJson ? JSON.parse(result.text) : result)) {
        throw new Error(
          `${method} returned a result its schema refuses: ${this.#ajv.errorsText(entry.validateResult.errors)}`,
        );
      }
      return result;
    } catch (err) {
      code = toRpcError(err)?.code ?? ErrorCode.InternalError;
      throw err;
    } finally {
      if (started !== undefined) this.#observe(this.#entries.has(method) ? method : '(unknown)', context, code, started);
    }
  }

  #observe(method: string, context: RpcContext, code: number, started: number): void {
    const call = { method, transport: context.transport, code, seconds: (performance.now() - started) / 1000 };
    for (const observer of this.#observers) observer(call);
  }

  /** The answer to what is no call at all (a parse error, a bad request), observed as "(invalid)". */
  #refuse(id: RpcId, error: RpcError, context: RpcContext): RpcResponse {
    if (this.#observers.size > 0) this.#observe('(invalid)', context, error.code, performance.now());
    return failure(id, error);
  }

  /**
   * The params a call of `method` would get, after the same checks (limits, schema,
   * defaults), without calling it; throws an RpcError as call() would.
   */
  validate(method: string, params: unknown): Record<string, unknown> {
    return this.#check(method, params).named;
  }

  #check(method: string, params: unknown): { entry: Entry; named: Record<string, unknown> } {
    const entry = this.#entries.get(method);
    if (entry === undefined) {
      throw wireError('MethodNotFound', `${clip(method)} (rpc.discover lists the methods)`);
    }
    const named = byName(entry.definition, params);
    const { maxDepth } = this.limits;
    if (Object.values(named).some((value) => nestsDeeperThan(value, maxDepth))) {
      throw limitExceeded('maxDepth', maxDepth, `a param of ${method} nests arrays and objects too deeply`);
    }
    if (!entry.validateParams(named)) throw invalidParams(method, entry.validateParams.errors ?? []);
    return { entry, named };
  }

  /**
   * Answers one HTTP body or WebSocket message: a request, a notification or a batch.
   * Resolves to undefined when nothing must be sent back; never rejects.
   */
  async handle(raw: string | Uint8Array, context: RpcContext): Promise<RpcResponse | undefined> {
    const { maxBodyBytes, maxBatch, maxDepth } = this.limits;
    const refuse = (id: RpcId, error: RpcError) => this.#refuse(id, error, context);
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
    let message: Message | undefined;
    let unread: RpcError | undefined;
    if (size > maxBodyBytes) {
      unread = limitExceeded('maxBodyBytes', maxBodyBytes, `a request of ${size} bytes is too large`);
    } else {
      try {
        message = readMessage(typeof raw === 'string' ? raw : utf8.decode(raw), maxDepth);
      } catch (err) {
        if (err instanceof RpcError) unread = err;
        else unread = wireError('ParseError', err instanceof SyntaxError ? err.message : 'the request is not valid UTF-8');
      }
    }
    // counted before anything runs, and whether or not it can be read: every message costs
    const items = message === undefined ? [] : message.batch ? message.items : [message.item];
    const refusal = this.#admit(Math.max(items.length, 1), context);
    if (refusal !== undefined) return refused(items, message?.batch ?? false, refusal);
    if (message === undefined) return refuse(null, unread!);
    // what the answer holds counts against maxUnsentBytes as it is made: past it, results are refused
    const answer = { bytes: 0 };
    if (!message.batch) return this.#answer(message.item, context, answer);
    if (items.length === 0) {
      return refuse(null, wireError('InvalidRequest', 'a batch must not be empty'));
    }
    if (items.length > maxBatch) {
      return refuse(null, limitExceeded('maxBatch', maxBatch, `a batch of ${items.length} calls is too large`));
    }
    // Started in order, each call's handler runs up to its first wait before the next one
    // starts, so a batch's writes are applied (and seen by its later reads) in order; their
    // answers are awaited together, so the writes of a batch share one durable commit.
    const responses = await Promise.all(items.map((item) => this.#answer(item, context, answer)));
    const bodies = responses.filter((response) => response !== undefined).map((response) => response.body);
    return bodies.length === 0 ? undefined : { body: `[${bodies.join(',')}]` };
  }

  #add(definition: MethodDefinition): void {
    const { name, params, result } = definition;
    try {
      const validateParams = this.#ajv.compile(params);
      const validateResult = this.#ajv.compile(result);
      this.#entries.set(name, { definition, validateParams, validateResult });
      this.#document = undefined;
    } catch (err) {
      throw new TypeError(`method ${name} has an invalid schema: ${(err as Error).message}`, { cause: err });
    }
  }

  async #answer(item: MessageItem, context: RpcContext, answer: { bytes: number }): Promise<RpcResponse | undefined> {
    if ('error' in item) return this.#refuse(item.id, item.error, context);
    const read = readCall(item.value);
    if ('error' in read) return this.#refuse(read.id, read.error, context);
    const { id, method, params } = read.call;
    // a notification is never answered, not even with an error
    const notification = !Object.hasOwn(read.call, 'id');
    try {
      const result = await this.call(method, params, context);
      // a handler returning nothing still owes JSON-RPC a result member
      const text = result instanceof RawJson ? result.text : (JSON.stringify(result) ?? 'null');
      if (notification) return undefined;
      const { maxUnsentBytes } = this.limits;
      // about the bytes it will take (a UTF-16 length; what matters is how large, not the last byte)
      if (answer.bytes + text.length > maxUnsentBytes) {
        return failure(
          id ?? null,
          limitExceeded(
            'maxUnsentBytes',
            maxUnsentBytes,
            `the answer to this ${method} (${text.length} bytes, after ${answer.bytes} for the message's other calls) is too large to send at once; ` +
              'ask for less per message (depth, tree.list pages, fewer calls per batch) or read it with GET /export',
          ),
        );
      }
      answer.bytes += text.length;
      return { body: resultResponse(id ?? null, text) };
    } catch (err) {
      const error = toRpcError(err, pathParam(params)) ?? internal(err, method, context);
      return notification ? undefined : failure(id ?? null, error);
    }
  }
}

export function createRpcEngine(options: RpcEngineOptions): RpcEngine {
  return new RpcEngine(options);
}

function failure(id: RpcId, error: RpcError): RpcResponse {
  return { body: errorResponse(id, error), errorCode: error.code };
}

/**
 * The answer to a message `admit` refused: the error for each of its requests, with its id
 * (notifications get none), or one error with id null for a message that could not be read.
 */
function refused(items: readonly MessageItem[], batch: boolean, error: RpcError): RpcResponse | undefined {
  const retryAfterMs = (error.data as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (items.length === 0) return { ...failure(null, error), retryAfterMs };
  const ids = items.flatMap((item): RpcId[] => {
    if ('error' in item) return [item.id];
    const read = readCall(item.value);
    if ('error' in read) return [read.id];
    return Object.hasOwn(read.call, 'id') ? [read.call.id ?? null] : [];
  });
  if (ids.length === 0) return undefined;
  const bodies = ids.map((id) => errorResponse(id, error));
  return { body: batch ? `[${bodies.join(',')}]` : bodies[0]!, errorCode: error.code, retryAfterMs };
}

/** Logs a bug with its stack for the operator; the caller learns only that it happened. */
function internal(err: unknown, method: string, context: RpcContext): RpcError {
  context.log.error({ err, method, connectionId: context.connectionId }, 'JSON-RPC method failed');
  return wireError('InternalError');
}

function byName(definition: MethodDefinition, params: unknown): Record<string, unknown> {
  if (params === undefined) return {};
  if (isObject(params)) return params;
  // an empty list names nothing, so it means the same as no params
  if (Array.isArray(params) && params.length === 0) return {};
  const names = Object.keys(definition.params.properties ?? {}).map((name) => JSON.stringify(name));
  throw new RpcError(
    ErrorCode.InvalidParams,
    `Invalid params for ${definition.name}: params are taken by name, not by position; ` +
      `send an object${names.length > 0 ? ` with ${names.join(', ')}` : ''}`,
  );
}

/** A call's `path` param, as the station reads it (a leading "/" is ignored), if it has one. */
function pathParam(params: unknown): string | undefined {
  const path = isObject(params) ? params.path : undefined;
  return typeof path === 'string' ? path.replace(/^\//, '') : undefined;
}

/** Keeps an echoed client string short enough for a message. */
function clip(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
