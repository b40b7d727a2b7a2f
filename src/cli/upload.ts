// Uploads a document over JSON-RPC as it is read, in requests a station accepts (DESIGN
// "Limits": a 1 MiB body, 100 calls a batch). Nodes arrive in document order (a NodeSink)
// and wait as typed JSON text in a buffer; once the outermost node still waiting would no
// longer fit in one request, it is sent empty and its children follow it: the ones read so
// far, and the rest as they come, appended a request's worth at a time with tree.add. A
// subtree that fits travels whole. So memory holds about two requests' worth, whatever
// the document's size, and the station applies the calls in document order.
//
// The same uploader runs first with no station (a dry run) to check that every node can
// be sent (no leaf too big for a request, no path that would lead elsewhere) before
// anything is written.

import { typedJsonValue } from '../codec/jsonValues.js';
import type { NodeSink, PlanType } from '../codec/plan.js';
import { isTypeName, type LeafValue } from '../types.js';
import type { RawCall } from './bulk.js';
import { joinPath } from './remote.js';

export interface UploadLimits {
  /** Bytes of JSON per HTTP request; under the station's body limit, with room to spare. */
  readonly maxRequestBytes: number;
  readonly maxBatchCalls: number;
}

export const DEFAULT_LIMITS: UploadLimits = { maxRequestBytes: 900_000, maxBatchCalls: 100 };

// {"jsonrpc":"2.0","id":12345,"method":"tree.add","params":{"path":,"value":,"format":"typed"}}
// and the batch's comma, rounded up; the path is added per call
const CALL_FRAME_BYTES = 128;
// a name the station generates: "#" and an id
const GENERATED_NAME_BYTES = 24;

/** A path known now, or once an answer names a node on it (a list item's generated name). */
class PathRef {
  #value: string | undefined;

  constructor(
    value?: string,
    private readonly parent?: PathRef,
    private readonly name?: string,
  ) {
    this.#value = value;
  }

  get value(): string | undefined {
    if (this.#value !== undefined || this.parent === undefined) return this.#value;
    const parent = this.parent.value;
    return parent === undefined ? undefined : joinPath(parent, this.name!);
  }

  /** The answer named the node. */
  resolve(value: string): void {
    this.#value = value;
  }

  /** Its UTF-8 length, or a bound on it while it is not known. */
  get bytes(): number {
    const value = this.value;
    if (value !== undefined) return Buffer.byteLength(value);
    return this.parent === undefined ? GENERATED_NAME_BYTES : this.parent.bytes + 1 + Buffer.byteLength(this.name!);
  }

  /** For messages: the path, or what it will be. */
  toString(): string {
    return this.value ?? `${this.parent?.toString() ?? '(a list item)'}/${this.name}`;
  }
}

interface Call {
  readonly method: 'tree.set' | 'tree.add';
  readonly path: PathRef;
  /** The value's JSON text: a typed node, or (tree.add) an array of them. */
  readonly value: string;
  readonly bytes: number;
  /** Nodes the call creates below the target, for progress. */
  readonly nodes: number;
  /** tree.add of an unnamed node: its path, which the answer names. */
  readonly creates?: PathRef;
}

/** A finished node's typed JSON, waiting to be sent. */
interface Written {
  readonly name: string;
  readonly text: string;
  readonly bytes: number;
  readonly nodes: number;
}

/** A container of the document that is still open: its children are still being read. */
interface Frame {
  readonly name: string;
  /** `{"name":...,"type":...,"children":[`, closed by `]}`. */
  readonly head: string;
  /** Its children so far while it waits (after it is sent, they go to a run). */
  children: Written[];
  /** Bytes of its typed JSON so far, as if closed now; nodes of its subtree so far. */
  bytes: number;
  nodes: number;
  /** Once sent: where it is, and its children's names (a path finds the first of a name); the root replaces by name. */
  sent?: { path: PathRef; names: Set<string> | undefined };
}

/** A sent container's children read since its last call, appended together in its next one. */
interface Run {
  readonly frame: Frame;
  readonly texts: string[];
  /** Bytes of the array of them. */
  bytes: number;
  nodes: number;
}

/** Sends a batch of calls; answers their results in order, or throws the first failure (`failedCall`: its index). */
export type Sender = (calls: readonly RawCall[]) => Promise<unknown[]>;

/**
 * Sends nothing, answering each call as a station would: the uploader's dry run. Its
 * generated names are as long as any (ids up to 2^53), so that no path of the real upload
 * is longer, and no node it sends whole can need splitting there.
 */
export const dryRun: Sender = async (calls) => calls.map(() => ({ name: `#${Number.MAX_SAFE_INTEGER}`, id: 0, version: 0 }));

export interface UploadResult {
  /** Nodes created below the target. */
  readonly nodes: number;
  readonly requests: number;
  /** The document was one value (a typed JSON leaf), set at the target. */
  readonly value: boolean;
}

export class Upload implements NodeSink {
  readonly #target: string;
  readonly #send: Sender;
  readonly #limits: UploadLimits;
  readonly #onProgress: (nodes: number) => void;
  readonly #frames: Frame[] = [];
  /** The index of the outermost frame not sent yet (its subtree is what waits), or -1. */
  #bufferRoot = -1;
  #run: Run | undefined;
  readonly #queue: Call[] = [];
  #inFlight: Promise<void> | undefined;
  #sent = 0;
  #requests = 0;
  #value = false;

  /**
   * Replaces the node at `target` with the document; at the root (always an object), the
   * document's members replace those of the same name and the others stay.
   */
  constructor(target: string, send: Sender, limits: UploadLimits, onProgress: (nodes: number) => void = () => {}) {
    this.#target = target;
    this.#send = send;
    this.#limits = limits;
    this.#onProgress = onProgress;
  }

  open(name: string | undefined, type: PlanType): void {
    const top = this.#frames.length === 0;
    if (top && this.#target === '' && type !== 'object') {
      throw new Error(`the root is an object, and the document holds a ${type}: import it under a path instead`);
    }
    const own = top ? this.#targetName() : (name ?? '');
    const head = `{"name":${JSON.stringify(own)},"type":${JSON.stringify(type)},"children":[`;
    const frame: Frame = { name: own, head, children: [], bytes: Buffer.byteLength(head) + 2, nodes: 1 };
    if (top && this.#target === '') {
      // the root is there already: its members are set one by one
      frame.sent = { path: new PathRef(''), names: undefined };
    } else if (this.#bufferRoot === -1) {
      this.#bufferRoot = this.#frames.length;
    }
    this.#frames.push(frame);
    this.#spillWhileTooBig();
  }

  leaf(name: string | undefined, type: PlanType, value: LeafValue): void {
    const top = this.#frames.length === 0;
    const own = top ? this.#targetName() : (name ?? '');
    const json = JSON.stringify(typedJsonValue(value, isTypeName(type) ? type : undefined));
    const text = `{"name":${JSON.stringify(own)},"type":${JSON.stringify(type)},"value":${json}}`;
    const written = { name: own, text, bytes: Buffer.byteLength(text), nodes: 1 };
    if (!top) return this.#child(written);
    if (this.#target === '') {
      throw new Error(`the root is an object, and the document holds a ${type} value: import it under a path instead`);
    }
    const path = new PathRef(this.#target);
    this.#checkFits(written.bytes, path, this.#target);
    this.#value = true;
    this.#queue.push({ method: 'tree.set', path, value: text, bytes: this.#callBytes(path, written.bytes), nodes: 0 });
  }

  close(): void {
    const frame = this.#frames.pop()!;
    if (frame.sent !== undefined) {
      if (this.#run?.frame === frame) this.#endRun();
      return;
    }
    if (this.#bufferRoot === this.#frames.length) this.#bufferRoot = -1;
    const text = `${frame.head}${frame.children.map((child) => child.text).join(',')}]}`;
    if (this.#frames.length > 0) return this.#child({ name: frame.name, text, bytes: frame.bytes, nodes: frame.nodes });
    // the whole document fits in one call
    const path = new PathRef(this.#target);
    this.#queue.push({ method: 'tree.set', path, value: text, bytes: this.#callBytes(path, frame.bytes), nodes: frame.nodes - 1 });
  }

  /**
   * Sends what waits, a batch at a time, with one batch in flight while reading goes on.
   * The reader awaits it after each piece it reads, so that memory stays bounded.
   */
  async pump(): Promise<void> {
    while (this.#batchReady()) await this.#sendNext();
  }

  /** Sends everything left, once the document has been read. */
  async finish(): Promise<UploadResult> {
    while (this.#queue.length > 0) await this.#sendNext();
    await this.#inFlight;
    return { nodes: this.#sent, requests: this.#requests, value: this.#value };
  }

  #targetName(): string {
    return this.#target.slice(this.#target.lastIndexOf('/') + 1);
  }

  /** A finished child of the innermost open frame: into the frame's buffer, or on its way if the frame was sent. */
  #child(child: Written): void {
    const parent = this.#frames[this.#frames.length - 1]!;
    if (parent.sent !== undefined) return this.#toSent(parent, child);
    if (parent.children.length > 0) parent.bytes++;
    parent.children.push(child);
    parent.bytes += child.bytes;
    parent.nodes += child.nodes;
    this.#spillWhileTooBig();
  }

  /** A finished child of a sent frame: set on its own (a member of the root), or into the frame's run. */
  #toSent(parent: Frame, child: Written): void {
    const sent = parent.sent!;
    if (sent.names === undefined) {
      // a member of the root replaces the member of its name
      const path = new PathRef(child.name);
      this.#checkFits(child.bytes, path, child.name);
      this.#queue.push({ method: 'tree.set', path, value: child.text, bytes: this.#callBytes(path, child.bytes), nodes: child.nodes });
      return;
    }
    this.#checkFits(child.bytes + 2, sent.path, `${sent.path}/${child.name || '(unnamed)'}`);
    sent.names.add(detached(child.name));
    let run = this.#run;
    if (run !== undefined && (run.frame !== parent || run.bytes + 1 + child.bytes > this.#room(sent.path))) {
      this.#endRun();
      run = undefined;
    }
    if (run === undefined) run = this.#run = { frame: parent, texts: [], bytes: 1, nodes: 0 };
    run.texts.push(child.text);
    run.bytes += child.bytes + 1;
    run.nodes += child.nodes;
  }

  /** Sends the waiting frames that no longer fit in one call, outermost first. */
  #spillWhileTooBig(): void {
    while (this.#bufferRoot !== -1) {
      let bytes = 0;
      for (let i = this.#bufferRoot; i < this.#frames.length; i++) bytes += this.#frames[i]!.bytes + 1;
      const parent = this.#frames[this.#bufferRoot - 1];
      const room = this.#room(parent?.sent?.path ?? new PathRef(this.#target));
      if (bytes + 2 <= room) return;
      this.#spill(this.#frames[this.#bufferRoot]!, parent);
      this.#bufferRoot = this.#bufferRoot + 1 < this.#frames.length ? this.#bufferRoot + 1 : -1;
    }
  }

  /** Sends `frame` empty, and its children read so far after it, and takes it as sent. */
  #spill(frame: Frame, parent: Frame | undefined): void {
    const header = `${frame.head}]}`;
    const bytes = Buffer.byteLength(header);
    let path: PathRef;
    if (parent === undefined || parent.sent!.names === undefined) {
      // the top replaces the target, a member of the root replaces its namesake
      path = new PathRef(parent === undefined ? this.#target : frame.name);
      this.#queue.push({ method: 'tree.set', path, value: header, bytes: this.#callBytes(path, bytes), nodes: parent === undefined ? 0 : 1 });
    } else {
      const sent = parent.sent!;
      if (this.#run?.frame === parent) this.#endRun();
      if (frame.name !== '' && sent.names!.has(frame.name)) {
        throw new Error(
          `${sent.path}/${frame.name} is too big for one request, so it must be sent in pieces, but an earlier ` +
            'sibling has the same name and its path would lead there instead',
        );
      }
      sent.names!.add(detached(frame.name));
      path = frame.name === '' ? new PathRef() : new PathRef(undefined, sent.path, frame.name);
      const add: Call = { method: 'tree.add', path: sent.path, value: `[${header}]`, bytes: this.#callBytes(sent.path, bytes + 2), nodes: 1 };
      this.#queue.push(frame.name === '' ? { ...add, creates: path } : add);
    }
    const children = frame.children;
    frame.sent = { path, names: new Set() };
    frame.children = [];
    frame.bytes = bytes;
    for (const child of children) this.#toSent(frame, child);
  }

  /** Queues the run's tree.add, if it holds anything. */
  #endRun(): void {
    const run = this.#run;
    this.#run = undefined;
    if (run === undefined || run.texts.length === 0) return;
    const path = run.frame.sent!.path;
    this.#queue.push({ method: 'tree.add', path, value: `[${run.texts.join(',')}]`, bytes: this.#callBytes(path, run.bytes), nodes: run.nodes });
  }

  /** The most bytes of value one call to `path` may carry. */
  #room(path: PathRef): number {
    return this.#limits.maxRequestBytes - 2 - CALL_FRAME_BYTES - path.bytes;
  }

  #checkFits(bytes: number, path: PathRef, where: string): void {
    if (bytes <= this.#room(path)) return;
    throw new Error(
      `the value at ${where === '' ? 'the root' : where} is ${bytes} bytes of typed JSON, more than one request may carry` +
        ` (--max-request ${this.#limits.maxRequestBytes}; a station takes at most 1 MiB unless configured otherwise)`,
    );
  }

  #callBytes(path: PathRef, valueBytes: number): number {
    return CALL_FRAME_BYTES + path.bytes + valueBytes;
  }

  /** Whether the queue's front makes a full batch: the next call would not fit, or must wait for an answer. */
  #batchReady(): boolean {
    let bytes = 2;
    for (let i = 0; i < this.#queue.length; i++) {
      const call = this.#queue[i]!;
      if (i === this.#limits.maxBatchCalls || bytes + call.bytes > this.#limits.maxRequestBytes) return true;
      if (i > 0 && call.path.value === undefined) return true;
      bytes += call.bytes + 1;
    }
    return false;
  }

  /** Waits for the batch in flight, then sends the next one without waiting for it. */
  async #sendNext(): Promise<void> {
    await this.#inFlight;
    const batch: Call[] = [];
    let bytes = 2;
    while (this.#queue.length > 0 && batch.length < this.#limits.maxBatchCalls) {
      const call = this.#queue[0]!;
      if (batch.length > 0 && (bytes + call.bytes > this.#limits.maxRequestBytes || call.path.value === undefined)) break;
      batch.push(this.#queue.shift()!);
      bytes += call.bytes + 1;
    }
    const sending = this.#sendBatch(batch);
    // a failure reaches whoever waits next; meanwhile it is not unhandled
    sending.catch(() => {});
    this.#inFlight = sending;
  }

  async #sendBatch(batch: Call[]): Promise<void> {
    const calls = batch.map(({ method, path, value }) => ({
      method,
      params: `{"path":${JSON.stringify(path.value!)},"value":${value},"format":"typed"}`,
    }));
    let results: unknown[];
    try {
      results = await this.#send(calls);
    } catch (error) {
      const { method, path } = batch[(error as { failedCall?: number }).failedCall ?? 0]!;
      const at = path.value === '' ? 'the root' : path.value!;
      // the same error, so that what to do about it can still be told from its kind
      (error as Error).message +=
        `\n  while writing ${method === 'tree.add' ? `children of ${at}` : at}, after ${this.#sent} nodes had been written`;
      throw error;
    }
    this.#requests++;
    batch.forEach((call, i) => {
      call.creates?.resolve(joinPath(call.path.value!, (results[i] as { name: string }).name));
      this.#sent += call.nodes;
    });
    this.#onProgress(this.#sent);
  }
}

/**
 * A copy of a name that holds on to nothing else: a name read from the document is a
 * slice of the piece it came in, and keeping it (a sent container's names stay for as long
 * as it is open) would keep the whole piece.
 */
function detached(name: string): string {
  return name.length < 13 ? name : (' ' + name).slice(1);
}
