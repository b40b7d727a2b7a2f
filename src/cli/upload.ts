// Uploads a planned document over JSON-RPC in requests a station accepts (DESIGN "Limits":
// a 1 MiB body, 100 calls a batch). A subtree that fits in one request travels whole, as
// typed JSON (a leaf as its value and type); one that does not is sent as its empty
// container followed by its children, recursively. Calls are packed into batches and the
// batches sent one after another, so the station applies them in document order.

import type { GroveClient, RpcParams } from '../client/index.js';
import type { PlanNode } from '../codec/plan.js';
import { isTypeName } from '../types.js';
import { joinPath } from './remote.js';
import { jsonBytes, toTypedJson, TypedJsonMeasure, typedValue } from './typedJson.js';

export interface UploadLimits {
  /** Bytes of JSON per HTTP request; under the station's body limit, with room to spare. */
  readonly maxRequestBytes: number;
  readonly maxBatchCalls: number;
}

export const DEFAULT_LIMITS: UploadLimits = { maxRequestBytes: 900_000, maxBatchCalls: 100 };

export interface UploadResult {
  /** Nodes created below the target. */
  readonly nodes: number;
  readonly requests: number;
}

// {"jsonrpc":"2.0","method":"tree.set","params":{"path":,"value":,"format":"typed"},"id":123456789}
// and the batch's comma, rounded up; the path and name are added per call
const CALL_FRAME_BYTES = 128;

interface QueuedCall {
  readonly method: 'tree.set' | 'tree.add';
  readonly params: RpcParams;
  readonly bytes: number;
  /** Nodes this call creates, for progress. */
  readonly nodes: number;
}

/** Where a node goes: set at a path, or appended to a parent (unnamed list items, repeated names). */
type Destination = { readonly path: string } | { readonly parent: string; readonly name: string | undefined };

export class Upload {
  readonly #measure = new TypedJsonMeasure();
  #queue: QueuedCall[] = [];
  #queuedBytes = 0;
  #sent = 0;
  #requests = 0;

  constructor(
    private readonly client: GroveClient,
    private readonly limits: UploadLimits,
    /** Hears the count of nodes sent after every request. */
    private readonly onProgress: (sent: number) => void,
  ) {}

  /** Replaces the node at `path` with `root` and everything below it; once per Upload. */
  async run(root: PlanNode, path: string): Promise<UploadResult> {
    // the target node is replaced, not imported: count only the nodes below it
    this.#sent = -1;
    await this.#send({ ...root, name: path.split('/').pop() }, { path });
    await this.#flush();
    return { nodes: this.#sent, requests: this.#requests };
  }

  async #send(node: PlanNode, destination: Destination): Promise<void> {
    const { bytes, nodes } = this.#measure.of(node);
    if (this.#fits(bytes, destination)) {
      await this.#enqueue(destination, node, bytes, nodes);
      return;
    }
    const where = 'path' in destination ? destination.path : joinPath(destination.parent, node.name ?? '(unnamed)');
    if (node.children === undefined) {
      throw new Error(
        `the value at ${where === '' ? 'the root' : where} is ${bytes} bytes of typed JSON, ` +
          'more than one request may carry' +
          ` (--max-request ${this.limits.maxRequestBytes}; a station takes at most 1 MiB unless configured otherwise)`,
      );
    }
    if ('parent' in destination && destination.name !== undefined) {
      throw new Error(
        `${where} is too big for one request, so it must be sent in pieces, but an earlier sibling ` +
          'has the same name and its path would lead there instead',
      );
    }
    await this.#enqueueContainer(destination, node, 1);
    const path = 'path' in destination ? destination.path : await this.#addedPath(destination.parent);
    await this.#sendChildren(node, path);
  }

  async #sendChildren(node: PlanNode, path: string): Promise<void> {
    const named = new Set<string>();
    for (const child of node.children ?? []) {
      // a path finds the first child of a name: later ones, and unnamed list items, are appended
      const addressable = child.name !== undefined && !named.has(child.name);
      if (child.name !== undefined) named.add(child.name);
      await this.#send(child, addressable ? { path: joinPath(path, child.name!) } : { parent: path, name: child.name });
    }
  }

  /** Sends the queue, which ends with a tree.add, and returns the path of the node it added. */
  async #addedPath(parent: string): Promise<string> {
    const results = await this.#flush();
    return joinPath(parent, (results[results.length - 1] as { name: string }).name);
  }

  #fits(valueBytes: number, destination: Destination): boolean {
    return 2 + this.#callBytes(destination, valueBytes) <= this.limits.maxRequestBytes;
  }

  #callBytes(destination: Destination, valueBytes: number): number {
    const address =
      'path' in destination
        ? jsonBytes(destination.path)
        : jsonBytes(destination.parent) + (destination.name === undefined ? 0 : jsonBytes(destination.name) + 8);
    return CALL_FRAME_BYTES + address + valueBytes;
  }

  #enqueueContainer(destination: Destination, node: PlanNode, nodes: number): Promise<void> {
    const container = { ...node, children: [] };
    return this.#enqueue(destination, container, jsonBytes(toTypedJson(container)), nodes);
  }

  /** Queues the call that creates `node` and its subtree; `bytes` is its typed JSON's size. */
  async #enqueue(destination: Destination, node: PlanNode, bytes: number, nodes: number): Promise<void> {
    const callBytes = this.#callBytes(destination, bytes);
    const { maxBatchCalls, maxRequestBytes } = this.limits;
    const full = this.#queue.length === maxBatchCalls || 2 + this.#queuedBytes + callBytes > maxRequestBytes;
    if (full) await this.#flush();
    // the wire's leaf encodings are typed JSON's, so a leaf needs only its type beside it
    const content =
      node.children === undefined
        ? { value: typedValue(node.value ?? null, isTypeName(node.type) ? node.type : undefined), type: node.type }
        : { value: toTypedJson(node), format: 'typed' };
    const params =
      'path' in destination
        ? { path: destination.path, ...content }
        : { path: destination.parent, name: destination.name, ...content };
    this.#queue.push({ method: 'path' in destination ? 'tree.set' : 'tree.add', params, bytes: callBytes, nodes });
    this.#queuedBytes += callBytes;
  }

  /** Sends the queued calls as one batch; the first failure stops the upload. */
  async #flush(): Promise<unknown[]> {
    const calls = this.#queue;
    if (calls.length === 0) return [];
    this.#queue = [];
    this.#queuedBytes = 0;
    let settled: PromiseSettledResult<unknown>[];
    for (;;) {
      settled = await this.client.batch((batch) => {
        for (const { method, params } of calls) void batch.call(method, params);
      });
      this.#requests++;
      // the station refused the whole batch, before running any of it, for its rate limit: wait as told
      const wait = rateLimitWait(settled);
      if (wait === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const failed = settled.findIndex((outcome) => outcome.status === 'rejected');
    if (failed !== -1) {
      const reason = (settled[failed] as PromiseRejectedResult).reason as Error;
      const { method, params } = calls[failed];
      const path = params.path === '' ? 'the root' : String(params.path);
      const what = method === 'tree.add' ? `a child of ${path}` : path;
      const written = Math.max(0, this.#sent);
      throw new Error(`${reason.message}\n  while writing ${what}, after ${written} nodes had been written`);
    }
    this.#sent += calls.reduce((sum, call) => sum + call.nodes, 0);
    this.onProgress(this.#sent);
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value);
  }
}

/** The wait a station asked for when it refused every call of a batch for its rate limit (README "Security"), else undefined. */
function rateLimitWait(settled: readonly PromiseSettledResult<unknown>[]): number | undefined {
  let wait = 0;
  for (const outcome of settled) {
    const data = outcome.status === 'rejected' ? (outcome.reason as { data?: { limit?: unknown; retryAfterMs?: unknown } }).data : undefined;
    if (data?.limit !== 'rateLimit' || typeof data.retryAfterMs !== 'number') return undefined;
    wait = Math.max(wait, data.retryAfterMs);
  }
  return wait;
}
