import { GroveConnectionError } from './errors.js';
import type { RpcParams, SubscribeResult, SubscriptionEnded, SubscriptionProgress, TreeChange } from './wire.js';

export type ChangeListener = (change: TreeChange) => void;

export interface SubscribeOptions {
  /** Replay the changes after this version still in the station's change log, then go on live. */
  readonly since?: number;
  /**
   * Errors the listener threw, a failure to resume after a reconnect (such as the station's
   * change log no longer reaching back to the last version seen), and the station ending
   * the subscription for a reason other than a slow reader. After the latter two the
   * subscription has ended.
   */
  readonly onError?: (error: Error) => void;
}

export interface Subscription {
  readonly path: string;
  /** The station's id for it on the current connection; changes on every resubscribe. */
  readonly id: string;
  /**
   * The version up to which every change under the path has been delivered: the last
   * change's, or the station's when it confirmed the subscription, whichever is newer.
   */
  readonly lastVersion: number | undefined;
  unsubscribe(): Promise<void>;
}

type Call = <T>(method: string, params: RpcParams) => Promise<T>;

class Entry implements Subscription {
  id = '';
  ended = false;

  constructor(
    readonly path: string,
    readonly listener: ChangeListener,
    readonly onError: ((error: Error) => void) | undefined,
    public lastVersion: number | undefined,
    readonly unsubscribe: () => Promise<void>,
  ) {}

  deliver(change: TreeChange): void {
    // a resubscribe may replay what this subscription already saw; versions only grow
    if (this.ended || !this.#isNew(change.version)) return;
    this.lastVersion = change.version;
    try {
      this.listener(change);
    } catch (error) {
      this.report(error as Error);
    }
  }

  /** Notes that the station has sent everything up to `version`, touching this path or not. */
  reached(version: number): void {
    if (this.#isNew(version)) this.lastVersion = version;
  }

  #isNew(version: number): boolean {
    return this.lastVersion === undefined || version > this.lastVersion;
  }

  report(error: Error): void {
    if (this.onError) this.onError(error);
    // never swallowed: thrown where the host reports uncaught errors
    else queueMicrotask(() => { throw error; });
  }
}

/**
 * The live subscriptions of one WebSocket client: routes `tree.changed` to them, and
 * resubscribes each from its last version seen after a reconnect or after the station
 * ended it for reading too slowly.
 */
export class Subscriptions {
  readonly #live = new Set<Entry>();
  /** The live subscriptions by the station's id, on the current connection. */
  readonly #byId = new Map<string, Entry>();
  #subscribing = 0;
  /** Changes for ids not known yet: a replay can arrive before the subscribe call's answer. */
  #early: TreeChange[] = [];

  constructor(
    private readonly call: Call,
    private readonly isConnected: () => boolean,
  ) {}

  async subscribe(path: string, listener: ChangeListener, { since, onError }: SubscribeOptions): Promise<Subscription> {
    const entry: Entry = new Entry(path, listener, onError, since, () => this.#unsubscribe(entry));
    await this.#open(entry);
    this.#live.add(entry);
    return entry;
  }

  route(change: TreeChange): void {
    if (change.subscription === undefined) {
      for (const entry of this.#byId.values()) if (covers(entry.path, change.path)) entry.deliver(change);
      return;
    }
    const entry = this.#byId.get(change.subscription);
    if (entry) entry.deliver(change);
    else if (this.#subscribing > 0) this.#early.push(change);
  }

  /** The station says nothing under a subscription's path changed up to a version. */
  progress({ subscription, version }: SubscriptionProgress): void {
    this.#byId.get(subscription)?.reached(version);
  }

  /** After a reconnect: the old connection's ids are gone; subscribe again from the last version seen. */
  resubscribeAll(): void {
    this.#byId.clear();
    for (const entry of this.#live) this.#resume(entry);
  }

  /**
   * The station ended a subscription. One whose reader fell too far behind ("slow") resumes
   * from its last version, now that it has read what was queued; any other ends here too.
   */
  endedByStation({ subscription, reason, message }: SubscriptionEnded): void {
    const entry = this.#byId.get(subscription);
    if (entry === undefined) return;
    this.#byId.delete(subscription);
    if (reason === 'slow') return this.#resume(entry);
    this.#end(entry);
    entry.report(new Error(`the station ended the subscription to "${entry.path}" (${reason}): ${message}`));
  }

  #resume(entry: Entry): void {
    this.#open(entry).catch((error: Error) => {
      // lost again: the next reconnect tries again
      if (error instanceof GroveConnectionError || entry.ended) return;
      this.#end(entry);
      entry.report(error);
    });
  }

  endAll(): void {
    for (const entry of this.#live) this.#end(entry);
  }

  async #open(entry: Entry): Promise<void> {
    const since = entry.lastVersion;
    this.#subscribing++;
    try {
      const result = await this.call<SubscribeResult>('tree.subscribe', { path: entry.path, since });
      entry.id = result.subscription;
      this.#byId.set(entry.id, entry);
      const early = this.#early.filter((change) => change.subscription === entry.id);
      this.#early = this.#early.filter((change) => change.subscription !== entry.id);
      for (const change of early) entry.deliver(change);
      // the station replays everything up to its version before it answers: a resume from
      // there misses nothing, even where nothing under this path has changed for long
      entry.reached(result.version);
      if (entry.ended) await this.#unsubscribe(entry);
    } finally {
      if (--this.#subscribing === 0) this.#early = [];
    }
  }

  async #unsubscribe(entry: Entry): Promise<void> {
    const { id } = entry;
    this.#end(entry);
    // a dropped connection has already ended it on the station
    if (!this.isConnected() || this.#byId.get(id) !== entry) return;
    this.#byId.delete(id);
    try {
      await this.call('tree.unsubscribe', { subscription: id });
    } catch (error) {
      if (!(error instanceof GroveConnectionError)) throw error;
    }
  }

  #end(entry: Entry): void {
    entry.ended = true;
    this.#live.delete(entry);
  }
}

/** Whether a subscription to `path` sees a change at `changed`; the root sees everything. */
function covers(path: string, changed: string): boolean {
  const base = path.replace(/^\/+/, '');
  const target = changed.replace(/^\/+/, '');
  return base === '' || target === base || target.startsWith(`${base}/`);
}
