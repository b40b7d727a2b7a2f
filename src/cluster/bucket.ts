// A local copy of a JetStream key-value bucket, kept current by a watch: the stations
// registry and the owners map read it without a round trip. Entries only move forward by
// revision, so the initial load and the watch may overlap in any order.
import type { KV, KvEntry } from '@nats-io/kv';

export interface BucketEntry<T> {
  key: string;
  value: T;
  revision: number;
  /** When the server stored this revision. */
  created: number;
}

export type BucketListener<T> = (key: string, previous: BucketEntry<T> | undefined, next: BucketEntry<T> | undefined) => void;

export class WatchedBucket<T> {
  readonly kv: KV;
  readonly #entries = new Map<string, BucketEntry<T>>();
  /** The newest revision seen per key, deletes included, so an older put never resurrects a key. */
  readonly #revisions = new Map<string, number>();
  readonly #listeners: BucketListener<T>[] = [];
  #stop: (() => void) | undefined;

  constructor(kv: KV) {
    this.kv = kv;
  }

  /** Loads every key and keeps watching; resolves once the load is complete. */
  async start(): Promise<void> {
    const watch = await this.kv.watch();
    this.#stop = () => watch.stop();
    (async () => {
      for await (const entry of watch) this.#apply(entry);
    })().catch(() => {});
    for (const key of await this.#keys()) await this.refresh(key);
  }

  stop(): void {
    this.#stop?.();
  }

  /**
   * Watches again from scratch: the bucket was created anew (NATS lost its store), so its
   * revisions started over. The entries known stay until the new bucket says otherwise.
   */
  async restart(): Promise<void> {
    this.stop();
    this.#revisions.clear();
    await this.start();
  }

  onChange(listener: BucketListener<T>): void {
    this.#listeners.push(listener);
  }

  get(key: string): BucketEntry<T> | undefined {
    return this.#entries.get(key);
  }

  entries(): BucketEntry<T>[] {
    return [...this.#entries.values()];
  }

  /** Reads `key` from the server now (rather than waiting for the watch). */
  async refresh(key: string): Promise<BucketEntry<T> | undefined> {
    const entry = await this.kv.get(key);
    if (entry) this.#apply(entry);
    return this.#entries.get(key);
  }

  /** Creates `key` only if it does not exist; false when it does. */
  async create(key: string, value: T): Promise<boolean> {
    try {
      const revision = await this.kv.create(key, JSON.stringify(value));
      this.#set(key, { key, value, revision, created: Date.now() });
      return true;
    } catch (error) {
      if (isWrongRevision(error)) return false;
      throw error;
    }
  }

  /** Replaces `key` only if it is still at `revision`; false when someone changed it first. */
  async update(key: string, value: T, revision: number): Promise<boolean> {
    try {
      const next = await this.kv.update(key, JSON.stringify(value), revision);
      this.#set(key, { key, value, revision: next, created: Date.now() });
      return true;
    } catch (error) {
      if (isWrongRevision(error)) return false;
      throw error;
    }
  }

  async put(key: string, value: T): Promise<void> {
    const revision = await this.kv.put(key, JSON.stringify(value));
    this.#set(key, { key, value, revision, created: Date.now() });
  }

  async #keys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    return keys;
  }

  #apply(entry: KvEntry): void {
    if (entry.operation !== 'PUT') {
      if ((this.#revisions.get(entry.key) ?? 0) >= entry.revision) return;
      this.#revisions.set(entry.key, entry.revision);
      const previous = this.#entries.get(entry.key);
      this.#entries.delete(entry.key);
      for (const listener of this.#listeners) listener(entry.key, previous, undefined);
      return;
    }
    let value: T;
    try {
      value = entry.json<T>();
    } catch {
      return; // not ours: a value no station wrote
    }
    this.#set(entry.key, { key: entry.key, value, revision: entry.revision, created: entry.created.getTime() });
  }

  #set(key: string, next: BucketEntry<T>): void {
    if ((this.#revisions.get(key) ?? 0) >= next.revision) return;
    this.#revisions.set(key, next.revision);
    const previous = this.#entries.get(key);
    this.#entries.set(key, next);
    for (const listener of this.#listeners) listener(key, previous, next);
  }
}

/** A compare-and-set that lost: JetStream's "wrong last sequence" (API error 10071). */
/** Whether a create or update failed because the key was changed (or created) first. */
export function isWrongRevision(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return message.includes('wrong last sequence') || (error as { api_error?: { err_code?: number } })?.api_error?.err_code === 10071;
}
