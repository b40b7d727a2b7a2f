// The station's view of the tree's change feed: every change, from any thread, becomes an
// event in a bounded in-memory log that subscribers read from, live or replayed from a
// version. A write made through the station is one record and one event (a transaction
// too) carrying the origin that made it; writes made elsewhere (a worker, the local API)
// keep records and events of their own, with origin "local", also when they land while a
// station write runs. The feed hands each change's texts over once (the value's plain JSON
// for events, the record op for the log and the cluster); nothing here exports a node again.
import { GroveError } from '../errors.js';
import { type LogRecord, recordOf } from '../store/records.js';
import { type Change, Tree } from '../tree.js';

export type EventOp = 'set' | 'add' | 'remove' | 'sort' | 'transact';

/** One change as subscribers see it; values are JSON text, sent as they are. */
export interface ChangeEntry {
  path: string;
  op: Exclude<EventOp, 'transact'>;
  valueJson?: string;
  oldValueJson?: string;
  /** The value (or old value) is left out: past 1 MiB of JSON an event carries no subtree, the subscriber reads it. */
  valueOmitted?: true;
  oldValueOmitted?: true;
}

export interface ChangeEvent extends Omit<ChangeEntry, 'op'> {
  op: EventOp;
  version: number;
  origin: string;
  /** For 'transact': each change, in order; `path` is then the paths' common prefix. */
  changes?: ChangeEntry[];
}

export type ChangeListener = (event: ChangeEvent) => void;

export interface SubscribeOptions {
  /** Replay the logged events after this version first. */
  since?: number;
  /**
   * Whether the subscriber may read a path; events above its own path then carry no values
   * from paths it may not read. Default: it may read everything.
   */
  mayRead?: (path: string) => boolean;
  /**
   * Called with the latest version when the log is about to forget the last version this
   * subscriber was told of, so that a quiet subscriber can still resume from the log.
   */
  onProgress?: (version: number) => void;
  /** Called if the hub ends the subscription because the listener threw. */
  onEnd?: (error: unknown) => void;
}

export interface Subscription {
  readonly path: string;
  close(): void;
}

export interface ChangeHubOptions {
  /** Events kept for replay (default 10,000). */
  logSize?: number;
  /** Bytes of event JSON kept for replay, so that large values cannot fill memory (default 64 MiB). */
  logBytes?: number;
  /** How often writes made outside the station are drained, in ms (default 10). */
  pollMs?: number;
  /** The store, the cluster's publisher: write() then resolves only once every one holds the write. */
  durable?: DurableConsumer[];
  /** Subscriptions open at once in the whole station, every connection's and stream's (default 50,000). */
  maxSubscriptions?: number;
}

export const LOCAL_ORIGIN = 'local';

/**
 * Something that must hold every write before it is acknowledged (the store, the cluster's
 * stream): it sees each write call's record before subscribers see its event.
 */
export interface DurableConsumer {
  /** Called before a write for `origin` is applied; throws to refuse it (the disk is failing, NATS is away). */
  check(origin: string): void;
  /**
   * One write call's record (or one of writes made elsewhere), made right after the call;
   * returns a promise that settles once it is held, or undefined when there is nothing to wait for.
   */
  record(record: LogRecord): Promise<void> | undefined;
}

interface Subscriber extends Omit<SubscribeOptions, 'since'> {
  readonly path: string;
  readonly listener: ChangeListener;
  /** The newest version this subscriber knows about, from an event or a progress call. */
  toldVersion: number;
}

export class ChangeHub {
  readonly #tree: Tree;
  readonly #log: ChangeLog;
  /** Subscribers by path: a change finds those at, above and under it without looking at the others. */
  readonly #subscribers = new PathIndex();
  /**
   * Subscribers that want progress, oldest told version first (re-inserted when told): a
   * publish looks only at those the log is about to forget.
   */
  readonly #byTold = new Set<Subscriber>();
  readonly #maxSubscriptions: number;
  readonly #timer: NodeJS.Timeout;
  readonly #durable: DurableConsumer[];
  /** Every change up to this version has been published. */
  #version = 0;

  /** The tag of this thread's changes: those a write() makes are the call's. */
  readonly #writer = Tree.writerTag;

  constructor(tree: Tree, { logSize = 10_000, logBytes = 64 * 2 ** 20, pollMs = 10, durable = [], maxSubscriptions = 50_000 }: ChangeHubOptions = {}) {
    this.#tree = tree;
    this.#durable = durable;
    this.#maxSubscriptions = maxSubscriptions;
    // a feed already on holds what changed since an earlier hub (a station restarted on this
    // tree) last drained it: those are announced, so replay reaches back to before them
    const pending = this.#take();
    tree.setFeed(durable.length > 0 ? 'records' : 'events');
    this.#log = new ChangeLog(logSize, logBytes, pending.length > 0 ? pending[0]!.version - 1 : this.#version);
    for (const change of pending) {
      const event = eventOf([change], LOCAL_ORIGIN);
      if (event) this.#publish(event);
    }
    this.#timer = setInterval(() => this.flush(), pollMs).unref();
  }

  /**
   * Runs a write for `origin`; whatever it changes is announced as one event. With a
   * durable consumer (the store), the write is refused up front while the store cannot
   * take writes, and the result is a promise that resolves once the write is durable (or
   * rejects when it cannot be made so); without one, it is the write's result itself.
   */
  write<T>(origin: string, apply: () => T): T | Promise<T> {
    this.flush();
    for (const consumer of this.#durable) consumer.check(origin);
    let durable: Promise<void> | undefined;
    let result: T;
    let failed = false;
    try {
      result = apply();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const changes = this.#take();
      if (changes.length > 0) {
        durable = this.#commit(changes, origin);
        // a write that threw after changing something is logged as far as it went; no one waits for it
        if (failed) durable?.catch(() => {});
      }
    }
    return durable === undefined ? result : durable.then(() => result);
  }

  /** Announces changes made outside write(), one event each. */
  flush(): void {
    this.#commit(this.#take(), undefined);
  }

  /**
   * The subtrees at `paths` in record form (a cluster snapshot), taken with other threads'
   * writes held back: the changes not yet drained are logged and announced first, so the
   * subtrees hold exactly the records handed out before them.
   */
  exportFrozen(paths: string[]): { nodes: (string | undefined)[]; nonces: Record<string, number> } {
    const { changes, nodes, nonces } = this.#tree.exportFrozen(paths);
    this.#commit(changes, undefined);
    return { nodes, nonces };
  }

  /**
   * Calls `listener` with every event touching `path` (at, under, or above it), as seen from
   * `path`: a transaction's changes elsewhere are left out. With `since`, first replays the
   * logged events newer than that version, or fails when the log no longer reaches back
   * that far (or `since` is newer than anything here), so a subscriber never misses an
   * event silently.
   */
  subscribe(path: string, listener: ChangeListener, { since, ...options }: SubscribeOptions = {}): Subscription {
    if (this.#subscribers.size >= this.#maxSubscriptions) {
      throw Object.assign(
        new GroveError(
          'LIMIT_EXCEEDED',
          `the station already has ${this.#subscribers.size} subscriptions, the most allowed (maxStationSubscriptions); try again later or on another station`,
          path,
        ),
        { data: { limit: 'maxStationSubscriptions', max: this.#maxSubscriptions } },
      );
    }
    this.flush();
    if (since !== undefined) this.#checkReplay(since, path);
    const { mayRead } = options;
    const subscriber: Subscriber = { path, listener, ...options, toldVersion: this.#version };
    if (since !== undefined) {
      for (const event of this.#log.after(since)) {
        const view = viewOf(event, path, mayRead);
        if (view) listener(view);
      }
    }
    this.#subscribers.add(subscriber);
    if (subscriber.onProgress) this.#byTold.add(subscriber);
    return { path, close: () => this.#drop(subscriber) };
  }

  #drop(subscriber: Subscriber): void {
    this.#subscribers.delete(subscriber);
    this.#byTold.delete(subscriber);
  }

  /**
   * The newest logged events touching `path`, as a subscriber at `path` sees them (at, under
   * or above it; `mayRead` as for subscribe), newest first, at most `limit`. The log holds
   * the events after `floor` only.
   */
  history(path: string, limit: number, mayRead?: (path: string) => boolean): ChangeEvent[] {
    this.flush();
    const seen: ChangeEvent[] = [];
    for (const event of this.#log.after(this.#log.floor)) {
      const view = viewOf(event, path, mayRead);
      if (view) seen.push(view);
    }
    return seen.slice(-limit).reverse();
  }

  /** The version every published event is at or below: a subscriber that saw it missed nothing before. */
  get version(): number {
    return this.#version;
  }

  /**
   * Throws a version conflict unless every change up to `version` has been published here
   * (a read's minVersion, on the station whose versions they are).
   */
  assertReached(version: number, path: string): void {
    this.flush();
    if (this.#version >= version) return;
    throw Object.assign(new GroveError('VERSION_CONFLICT', `minVersion ${version} is newer than this station's version ${this.#version}`, path), {
      data: { version: this.#version },
    });
  }

  /** How many subscriptions are open. */
  get subscriptionCount(): number {
    return this.#subscribers.size;
  }

  /** The oldest version a subscriber may resume from. */
  get floor(): number {
    return this.#log.floor;
  }

  /**
   * Stops draining the feed, and leaves it on: a station started again on this tree then
   * announces what changed in between. A tree that no station will serve again should
   * turn it off (tree.setFeed('off')), or its feed keeps growing.
   */
  close(): void {
    clearInterval(this.#timer);
    this.#subscribers.clear();
    this.#byTold.clear();
  }

  /**
   * Logs and announces drained changes. Those this thread made while a write for `origin`
   * ran are that call's: one event, and one record (split only where another thread's
   * change falls between, so that replay keeps the order they were made in). Every other
   * change is a write made elsewhere: a record and an event of its own, origin "local".
   * Returns once every durable consumer holds the call's records.
   */
  #commit(changes: Change[], origin: string | undefined): Promise<void> | undefined {
    if (changes.length === 0) return undefined;
    const writer = this.#writer;
    const isCall = (change: Change) => origin !== undefined && change.writer === writer;
    // the common case, a call whose changes are all its own: one record, one event
    if (origin !== undefined && changes.every(isCall)) {
      const held = this.#record(changes, origin);
      const event = eventOf(changes, origin);
      if (event) this.#publish(event);
      return held;
    }
    const pending: Promise<void>[] = [];
    for (let start = 0; start < changes.length; ) {
      const call = isCall(changes[start]!);
      let end = start + 1;
      while (end < changes.length && isCall(changes[end]!) === call && (call || changes[end]!.writer === changes[start]!.writer)) end++;
      const held = this.#record(changes.slice(start, end), call ? origin! : LOCAL_ORIGIN);
      // writes from elsewhere: no one waits for them to be durable
      if (held) call ? pending.push(held) : held.catch(() => {});
      start = end;
    }
    const events = changes.filter((change) => !isCall(change)).map((change) => eventOf([change], LOCAL_ORIGIN));
    events.push(eventOf(changes.filter(isCall), origin!));
    const published = events.filter((event) => event !== undefined);
    published.sort((a, b) => a.version - b.version);
    for (const event of published) this.#publish(event);
    if (pending.length === 0) return undefined;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined);
  }

  /** Hands one writer's record to every durable consumer; settles once all hold it. */
  #record(changes: Change[], origin: string): Promise<void> | undefined {
    if (this.#durable.length === 0) return undefined;
    const record = recordOf(changes, origin);
    if (this.#durable.length === 1) return this.#durable[0]!.record(record);
    const held = this.#durable.map((consumer) => consumer.record(record)).filter((p) => p !== undefined);
    if (held.length === 0) return undefined;
    return held.length === 1 ? held[0] : Promise.all(held).then(() => undefined);
  }

  #take(): Change[] {
    // the feed takes versions in order under its lock, so every version read here is in it
    const through = this.#tree.version;
    const changes = this.#tree.takeChanges();
    this.#version = Math.max(this.#version, through, changes.at(-1)?.version ?? 0);
    return changes;
  }

  #checkReplay(since: number, path: string): void {
    const { floor } = this.#log;
    if (since < floor) {
      throw replayError(
        `the change log no longer reaches back to version ${since}: it holds versions after ${floor}; ` +
          'subscribe without since, then read the subtree again',
        path,
        { since, floor },
      );
    }
    if (since > this.#version) {
      throw replayError(
        `version ${since} is newer than this station's latest (${this.#version}): it came from another ` +
          'station or an earlier tree; subscribe without since, then read the subtree again',
        path,
        { since, version: this.#version },
      );
    }
  }

  #publish(event: ChangeEvent): void {
    this.#log.push(event);
    if (this.#subscribers.size > 0) this.#tellSubscribers(event);
    // the quiet ones whose last version the log no longer holds learn how far they are up to date
    const { floor } = this.#log;
    for (const subscriber of this.#byTold) {
      if (subscriber.toldVersion >= floor) break;
      this.#tell(subscriber, event.version, () => subscriber.onProgress!(event.version));
    }
  }

  #tellSubscribers(event: ChangeEvent): void {
    // a view is made once per subscribed path (and reader), however many subscribe there
    const views = new Map<string, Map<SubscribeOptions['mayRead'], ChangeEvent | undefined>>();
    for (const subscriber of this.#subscribers.related(event)) {
      let byReader = views.get(subscriber.path);
      if (byReader === undefined) views.set(subscriber.path, (byReader = new Map()));
      let view = byReader.get(subscriber.mayRead);
      if (view === undefined && !byReader.has(subscriber.mayRead)) byReader.set(subscriber.mayRead, (view = viewOf(event, subscriber.path, subscriber.mayRead)));
      if (view !== undefined) this.#tell(subscriber, event.version, () => subscriber.listener(view));
    }
  }

  #tell(subscriber: Subscriber, version: number, send: () => void): void {
    subscriber.toldVersion = version;
    if (this.#byTold.delete(subscriber)) this.#byTold.add(subscriber);
    try {
      send();
    } catch (error) {
      // the write was applied whatever a listener does; this subscriber has a gap, so it ends
      this.#drop(subscriber);
      try {
        subscriber.onEnd?.(error);
      } catch {
        // a subscriber that cannot be sent to cannot be told either
      }
    }
  }
}

/** A node of PathIndex: the subscribers at one path, and the names under it that have some. */
interface PathNode {
  readonly subscribers: Set<Subscriber>;
  readonly names: Map<string, PathNode>;
}

/**
 * Subscribers by the names of their paths: an event at a path finds those at each of its
 * ancestors and those under it, in O(depth + matching subscribers).
 */
class PathIndex {
  #root: PathNode = { subscribers: new Set(), names: new Map() };
  size = 0;

  add(subscriber: Subscriber): void {
    let node = this.#root;
    for (const name of names(subscriber.path)) {
      let next = node.names.get(name);
      if (next === undefined) node.names.set(name, (next = { subscribers: new Set(), names: new Map() }));
      node = next;
    }
    node.subscribers.add(subscriber);
    this.size++;
  }

  delete(subscriber: Subscriber): void {
    const trail: PathNode[] = [this.#root];
    for (const name of names(subscriber.path)) {
      const next = trail.at(-1)!.names.get(name);
      if (next === undefined) return;
      trail.push(next);
    }
    if (!trail.at(-1)!.subscribers.delete(subscriber)) return;
    this.size--;
    // nodes left without subscribers and names go, so a walk under a path meets only live ones
    const parts = names(subscriber.path);
    for (let i = trail.length - 1; i > 0 && trail[i]!.subscribers.size === 0 && trail[i]!.names.size === 0; i--) trail[i - 1]!.names.delete(parts[i - 1]!);
  }

  clear(): void {
    this.#root = { subscribers: new Set(), names: new Map() };
    this.size = 0;
  }

  /** Each subscriber at, above or under any path the event changes, once. */
  related(event: ChangeEvent): Set<Subscriber> {
    const found = new Set<Subscriber>();
    for (const path of event.changes === undefined ? [event.path] : event.changes.map((change) => change.path)) {
      let node: PathNode | undefined = this.#root;
      for (const name of names(path)) {
        for (const subscriber of node.subscribers) found.add(subscriber);
        node = node.names.get(name);
        if (node === undefined) break;
      }
      if (node === undefined) continue;
      const under: PathNode[] = [node];
      for (let next = under.pop(); next !== undefined; next = under.pop()) {
        for (const subscriber of next.subscribers) found.add(subscriber);
        for (const child of next.names.values()) under.push(child);
      }
    }
    return found;
  }
}

function names(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

/**
 * The newest events, bounded by count and by bytes of JSON. `floor` is the newest version
 * no longer held: replay can start at any version from there on.
 */
class ChangeLog {
  #events: { event: ChangeEvent; bytes: number }[] = [];
  /** Index of the oldest event still held; the array is compacted once half of it is dropped. */
  #head = 0;
  #bytes = 0;
  floor: number;

  constructor(
    readonly maxEvents: number,
    readonly maxBytes: number,
    floor: number,
  ) {
    this.floor = floor;
  }

  push(event: ChangeEvent): void {
    const bytes = eventBytes(event);
    this.#events.push({ event, bytes });
    this.#bytes += bytes;
    while (this.#events.length - this.#head > this.maxEvents || (this.#bytes > this.maxBytes && this.#head < this.#events.length)) {
      const dropped = this.#events[this.#head++]!;
      this.#bytes -= dropped.bytes;
      this.floor = dropped.event.version;
    }
    if (this.#head > this.#events.length / 2) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The events newer than `version`, oldest first. */
  *after(version: number): Iterable<ChangeEvent> {
    // versions only grow along the log: find the first newer one by bisection
    let low = this.#head;
    let high = this.#events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#events[middle]!.event.version > version) high = middle;
      else low = middle + 1;
    }
    for (let i = low; i < this.#events.length; i++) yield this.#events[i]!.event;
  }
}

function replayError(message: string, path: string, data: Record<string, number>): GroveError {
  return Object.assign(new GroveError('LIMIT_EXCEEDED', message, path), { data });
}

const ENTRY_OPS = { set: 'set', add: 'add', replace: 'set', remove: 'remove', sort: 'sort', nonce: undefined } as const;

/** A change as subscribers see it: a replaced subtree is a 'set' at its path. */
function entryOf({ path, op, valueJson, oldValueJson, valueOmitted, oldValueOmitted }: Change): ChangeEntry {
  return { path, op: ENTRY_OPS[op as Exclude<Change['op'], 'nonce'>], valueJson, oldValueJson, valueOmitted, oldValueOmitted };
}

/**
 * One event for changes in version order: it takes the last one's version. A nonce's
 * acceptance is no news to subscribers (no node changed): none of those, no event.
 */
function eventOf(all: Change[], origin: string): ChangeEvent | undefined {
  const changes = all.some((change) => change.op === 'nonce') ? all.filter((change) => change.op !== 'nonce') : all;
  if (changes.length === 0) return undefined;
  const last = changes[changes.length - 1]!;
  if (changes.length === 1) {
    // written out rather than spread from entryOf: a spread here halved the hub's write rate
    const { path, op, valueJson, oldValueJson, valueOmitted, oldValueOmitted } = entryOf(last);
    return { path, op, valueJson, oldValueJson, valueOmitted, oldValueOmitted, version: last.version, origin };
  }
  const entries = changes.map(entryOf);
  return { path: commonPrefix(entries.map((e) => e.path)), op: 'transact', version: last.version, origin, changes: entries };
}

/**
 * About the bytes of an event's JSON, without writing it (the log's bound on what it keeps;
 * the text itself is made only when a subscriber is sent the event).
 */
function eventBytes(event: ChangeEvent): number {
  const entry = (e: ChangeEntry) => 32 + e.path.length + (e.valueJson?.length ?? 0) + (e.oldValueJson?.length ?? 0);
  let bytes = entry(event as ChangeEntry) + 40 + event.origin.length;
  for (const change of event.changes ?? []) bytes += entry(change);
  return bytes;
}

/** The JSON text of an event's members, written once per event and kept with it. */
const eventTexts = new WeakMap<ChangeEvent, string>();

function entryJson({ path, op, valueJson, oldValueJson, valueOmitted, oldValueOmitted }: ChangeEntry): string {
  const omitted = `${valueOmitted ? ',"valueOmitted":true' : ''}${oldValueOmitted ? ',"oldValueOmitted":true' : ''}`;
  return `"path":${JSON.stringify(path)},"op":"${op}"${omitted}${valueJson === undefined ? '' : `,"value":${valueJson}`}${
    oldValueJson === undefined ? '' : `,"oldValue":${oldValueJson}`
  }`;
}

/**
 * The event as a JSON object's members ({"path","op","value","oldValue","version",
 * "origin","changes"} without the braces), made once per event: a notification puts its
 * own members before them.
 */
export function eventMembers(event: ChangeEvent): string {
  let text = eventTexts.get(event);
  if (text === undefined) {
    text = `${entryJson(event as ChangeEntry)},"version":${event.version},"origin":${JSON.stringify(event.origin)}`;
    if (event.changes) text += `,"changes":[${event.changes.map((change) => `{${entryJson(change)}}`).join(',')}]`;
    eventTexts.set(event, text);
  }
  return text;
}

/** The event as JSON text. */
export function eventJson(event: ChangeEvent): string {
  return `{${eventMembers(event)}}`;
}

/**
 * `event` as a subscriber at `path` sees it, or undefined when it does not touch `path`: a
 * transaction keeps only its changes related to `path`, and a change above `path` loses
 * the values of a path the subscriber may not read.
 */
function viewOf(event: ChangeEvent, path: string, mayRead?: (path: string) => boolean): ChangeEvent | undefined {
  if (event.changes === undefined) {
    if (!related(event.path, path)) return undefined;
    return hidden(event, path, mayRead) ? withoutValues(event) : event;
  }
  const seen = event.changes.filter((change) => related(change.path, path));
  if (seen.length === 0) return undefined;
  const changes = seen.map((change) => (hidden(change, path, mayRead) ? withoutValues(change) : change));
  if (changes.length === event.changes.length && changes.every((change, i) => change === event.changes![i])) return event;
  return { ...event, path: commonPrefix(changes.map((c) => c.path)), changes };
}

function hidden(change: { path: string }, path: string, mayRead: ((path: string) => boolean) | undefined): boolean {
  return mayRead !== undefined && change.path.length < path.length && !mayRead(change.path);
}

function withoutValues<T extends ChangeEntry | ChangeEvent>(change: T): T {
  const { valueJson: _value, oldValueJson: _oldValue, valueOmitted: _omitted, oldValueOmitted: _oldOmitted, ...rest } = change;
  return rest as T;
}

function commonPrefix(paths: string[]): string {
  let names = paths[0]!.split('/');
  for (const path of paths.slice(1)) {
    const other = path.split('/');
    let i = 0;
    while (i < names.length && i < other.length && names[i] === other[i]) i++;
    names = names.slice(0, i);
  }
  return names.join('/');
}

/** Whether `path` is at, under or above `prefix`, comparing whole names. */
function related(path: string, prefix: string): boolean {
  if (prefix === '' || path === '') return true;
  const [short, long] = path.length <= prefix.length ? [path, prefix] : [prefix, path];
  return long === short || long.startsWith(short + '/');
}
