// The station's view of the tree's change feed: every change, from any thread, becomes an
// event in a bounded in-memory log that subscribers read from, live or replayed from a
// version. A write made through the station is one event (a transaction too) carrying the
// origin that made it; writes made elsewhere (a worker, the local API) are drained every
// few milliseconds with origin "local".
import { GroveError } from '../errors.js';
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

export interface Subscription {
  readonly path: string;
  close(): void;
}

export interface ChangeHubOptions {
  /** Events kept for replay (default 10,000). */
  logSize?: number;
  /** How often writes made outside the station are drained, in ms (default 10). */
  pollMs?: number;
}

export const LOCAL_ORIGIN = 'local';

export class ChangeHub {
  readonly #tree: Tree;
  readonly #logSize: number;
  readonly #log: ChangeEvent[] = [];
  readonly #subscribers = new Set<{ path: string; listener: ChangeListener }>();
  readonly #timer: NodeJS.Timeout;
  /** The newest version no longer in the log: replay is possible from here on. */
  #floor: number;

  constructor(tree: Tree, { logSize = 10_000, pollMs = 10 }: ChangeHubOptions = {}) {
    this.#tree = tree;
    this.#logSize = logSize;
    this.#floor = tree.version;
    tree.setFeed(true);
    this.#timer = setInterval(() => this.flush(), pollMs).unref();
  }

  /** Runs a write for `origin`; whatever it changes is announced as one event. */
  write<T>(origin: string, apply: () => T): T {
    this.flush();
    try {
      return apply();
    } finally {
      const changes = this.#tree.takeChanges();
      if (changes.length > 0) this.#publish(eventOf(changes, origin));
    }
  }

  /** Announces changes made outside write(), one event each. */
  flush(): void {
    for (const change of this.#tree.takeChanges()) this.#publish(eventOf([change], LOCAL_ORIGIN));
  }

  /**
   * Calls `listener` with every event touching `path` (at, under, or above it). With
   * `since`, first replays the logged events newer than that version, or fails when the
   * log no longer reaches back that far, so a subscriber never misses an event silently.
   */
  subscribe(path: string, listener: ChangeListener, since?: number): Subscription {
    this.flush();
    if (since !== undefined && since < this.#floor) {
      throw new GroveError(
        'LIMIT_EXCEEDED',
        `the change log no longer reaches back to version ${since}: it holds versions after ${this.#floor}; ` +
          `read the subtree again and subscribe from its version`,
        path,
      );
    }
    const entry = { path, listener };
    if (since !== undefined) {
      for (const event of this.#log) if (event.version > since && touches(event, path)) listener(event);
    }
    this.#subscribers.add(entry);
    return { path, close: () => this.#subscribers.delete(entry) };
  }

  /** The oldest version a subscriber may resume from. */
  get floor(): number {
    return this.#floor;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#subscribers.clear();
  }

  #publish(event: ChangeEvent): void {
    this.#log.push(event);
    if (this.#log.length > this.#logSize) this.#floor = this.#log.shift()!.version;
    for (const { path, listener } of this.#subscribers) if (touches(event, path)) listener(event);
  }
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
export function related(path: string, prefix: string): boolean {
  if (prefix === '' || path === '') return true;
  const [short, long] = path.length <= prefix.length ? [path, prefix] : [prefix, path];
  return long === short || long.startsWith(short + '/');
}

function touches(event: ChangeEvent, path: string): boolean {
  return event.changes ? event.changes.some((c) => related(c.path, path)) : related(event.path, path);
}
