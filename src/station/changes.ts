// The station's view of the tree's change feed: every change, from any thread, becomes an
// event in a bounded in-memory log that subscribers read from, live or replayed from a
// version. A write made through the station is one event (a transaction too) carrying the
// origin that made it; writes made elsewhere (a worker, the local API) are drained every
// few milliseconds with origin "local".
import { GroveError } from '../errors.js';
import { type LogRecord, opsOf } from '../store/ops.js';
import type { Change, Tree } from '../tree.js';
import type { JsonValue } from '../types.js';
import { leafToJson } from './wire.js';

export type EventOp = 'set' | 'add' | 'remove' | 'sort' | 'transact';

export interface ChangeEntry {
  path: string;
  op: Exclude<EventOp, 'transact'>;
  value?: JsonValue;
  oldValue?: JsonValue;
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
  /** The version the subscriber has been told of, by an event or by progress. */
  told: number;
}

export class ChangeHub {
  readonly #tree: Tree;
  readonly #log: ChangeLog;
  readonly #subscribers = new Set<Subscriber>();
  readonly #timer: NodeJS.Timeout;
  readonly #durable: DurableConsumer[];
  /** Every change up to this version has been published. */
  #version = 0;

  constructor(tree: Tree, { logSize = 10_000, logBytes = 64 * 2 ** 20, pollMs = 10, durable = [] }: ChangeHubOptions = {}) {
    this.#tree = tree;
    this.#durable = durable;
    tree.setFeed(true);
    // a feed already on holds what changed since an earlier hub (a station restarted on this
    // tree) last drained it: those are announced, so replay reaches back to before them
    const pending = this.#take();
    this.#log = new ChangeLog(logSize, logBytes, pending.length > 0 ? pending[0]!.version - 1 : this.#version);
    for (const change of pending) this.#publish(eventOf([change], LOCAL_ORIGIN));
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
        durable = this.#record(changes, origin);
        // a write that threw after changing something is logged as far as it went; no one waits for it
        if (failed) durable?.catch(() => {});
        this.#publish(eventOf(changes, origin));
      }
    }
    return durable === undefined ? result : durable.then(() => result);
  }

  /** Announces changes made outside write(), one event each. */
  flush(): void {
    const changes = this.#take();
    if (changes.length === 0) return;
    // writes from elsewhere are logged as one record; no one waits for them to be durable
    this.#record(changes, LOCAL_ORIGIN)?.catch(() => {});
    for (const change of changes) this.#publish(eventOf([change], LOCAL_ORIGIN));
  }

  /**
   * Calls `listener` with every event touching `path` (at, under, or above it), as seen from
   * `path`: a transaction's changes elsewhere are left out. With `since`, first replays the
   * logged events newer than that version, or fails when the log no longer reaches back
   * that far (or `since` is newer than anything here), so a subscriber never misses an
   * event silently.
   */
  subscribe(path: string, listener: ChangeListener, { since, ...options }: SubscribeOptions = {}): Subscription {
    this.flush();
    if (since !== undefined) this.#checkReplay(since, path);
    const { mayRead } = options;
    const subscriber: Subscriber = { path, listener, ...options, told: this.#version };
    if (since !== undefined) {
      for (const event of this.#log.after(since)) {
        const view = viewOf(event, path, mayRead);
        if (view) listener(view);
      }
    }
    this.#subscribers.add(subscriber);
    return { path, close: () => this.#subscribers.delete(subscriber) };
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
   * turn it off (tree.setFeed(false)), or its feed keeps growing.
   */
  close(): void {
    clearInterval(this.#timer);
    this.#subscribers.clear();
  }

  /** Hands one call's record to every durable consumer; settles once all hold it. */
  #record(changes: Change[], origin: string): Promise<void> | undefined {
    if (this.#durable.length === 0) return undefined;
    // the ops read the changed nodes now, before anything else changes the tree
    const record: LogRecord = { v: changes[changes.length - 1]!.version, origin, ops: opsOf(this.#tree, changes) };
    const pending = this.#durable.map((consumer) => consumer.record(record)).filter((p) => p !== undefined);
    if (pending.length === 0) return undefined;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined);
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
    const { floor } = this.#log;
    for (const subscriber of this.#subscribers) {
      const view = viewOf(event, subscriber.path, subscriber.mayRead);
      if (view === undefined && (subscriber.told >= floor || subscriber.onProgress === undefined)) continue;
      subscriber.told = event.version;
      try {
        if (view === undefined) subscriber.onProgress!(event.version);
        else subscriber.listener(view);
      } catch (error) {
        // the write was applied whatever a listener does; this subscriber has a gap, so it ends
        this.#subscribers.delete(subscriber);
        try {
          subscriber.onEnd?.(error);
        } catch {
          // a subscriber that cannot be sent to cannot be told either
        }
      }
    }
  }
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
    const bytes = JSON.stringify(event).length;
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

/** A change as subscribers see it: a replaced subtree is a 'set' at its path. */
function entryOf(change: Change): ChangeEntry {
  const { op, path, node, replaced } = change;
  const entry: ChangeEntry =
    op === 'set'
      ? { path, op, value: leafToJson(change.value ?? null), oldValue: leafToJson(change.oldValue ?? null) }
      : op === 'add'
        ? { path, op, value: node.toJSON() }
        : op === 'replace'
          ? { path, op: 'set', value: node.toJSON(), oldValue: replaced!.toJSON() }
          : op === 'remove'
            ? { path, op, oldValue: node.toJSON() }
            : { path, op };
  node.release();
  replaced?.release();
  return entry;
}

/** One event for changes in version order: it takes the last one's version. */
function eventOf(changes: Change[], origin: string): ChangeEvent {
  const version = changes[changes.length - 1]!.version;
  const entries = changes.map(entryOf);
  if (entries.length === 1) return { ...entries[0]!, version, origin };
  return { path: commonPrefix(entries.map((e) => e.path)), op: 'transact', version, origin, changes: entries };
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
  const { value: _value, oldValue: _oldValue, ...rest } = change;
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
