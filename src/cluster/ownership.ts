// Who owns what (README "Cluster"): the owners bucket maps path prefixes to the station that
// owns them, the longest prefix winning, changed only by compare-and-set. This file reads the
// map for one station: the owner of a path, of a write, and the fences its records carry.
import { reaches, writeOps } from '../auth/index.js';
import { isWithin } from '../paths.js';
import type { BucketEntry, WatchedBucket } from './bucket.js';
import { prefixOfKey } from './names.js';
import type { Fence } from './records.js';

/**
 * Who owns a prefix, and who owned it before: each earlier owner with the version it handed
 * over at (oldest first, the last few). The last one fences the owner's records behind that
 * station's stream; the list says whose stream a version of the prefix is in (minVersion).
 */
export interface OwnerEntry {
  owner: string;
  epoch: number;
  history?: Fence[];
}

/** An owned prefix, as cluster.info lists it. */
export interface OwnedPrefix {
  path: string;
  owner: string;
  epoch: number;
}

/** Earlier owners an entry remembers. */
const HISTORY = 16;

/** The fence on an owner's records: the previous owner's stream, up to where it handed over. */
export function fenceOf(entry: OwnerEntry): Fence | undefined {
  return entry.history?.at(-1);
}

/** The entry after `current` hands over to `owner` at `fence`. */
export function handedOver(current: OwnerEntry | undefined, owner: string, fence: Fence): OwnerEntry {
  return { owner, epoch: (current?.epoch ?? 0) + 1, history: [...(current?.history ?? []), fence].slice(-HISTORY) };
}

/** The owners map as station `self` sees it; a path no prefix covers is its own. */
export class Ownership {
  constructor(
    readonly self: string,
    readonly bucket: WatchedBucket<OwnerEntry>,
  ) {}

  /** The entry of the longest owned prefix of `path`. */
  entryOf(path: string): BucketEntry<OwnerEntry> | undefined {
    let best: BucketEntry<OwnerEntry> | undefined;
    let bestLength = -1;
    for (const entry of this.bucket.entries()) {
      const prefix = prefixOfKey(entry.key);
      if (prefix.length > bestLength && isWithin(path, prefix)) {
        best = entry;
        bestLength = prefix.length;
      }
    }
    return best;
  }

  /** The station owning `path`: the owner of its longest owned prefix. */
  ownerOf(path: string): string {
    return this.entryOf(path)?.value.owner ?? this.self;
  }

  /** The station whose stream holds version `version` of `path`: its owner then (an earlier one, before a hand-over at or after it). */
  ownerAt(path: string, version: number): string {
    const entry = this.entryOf(path)?.value;
    const era = entry?.history?.find((fence) => version <= fence.version);
    return era?.station ?? entry?.owner ?? this.self;
  }

  /** The owners a write call reaches: of each path it writes, and of owned prefixes it would replace. */
  writeOwners(method: string, params: Record<string, unknown>): Set<string> {
    const owners = new Set<string>();
    for (const op of writeOps(method, params)) {
      owners.add(this.ownerOf(op.path));
      // the same rule as for subtrees owned by a key: a write at an ancestor may replace it, an add may stand beside it
      for (const entry of this.bucket.entries()) {
        const prefix = prefixOfKey(entry.key);
        if (prefix !== op.path && isWithin(prefix, op.path) && reaches(op, prefix)) owners.add(entry.value.owner);
      }
    }
    return owners;
  }

  /** For the publisher: which paths are this station's to publish, and the fences of their ownership. */
  claim(paths: string[]): { owned: boolean[]; fences: Fence[] } {
    const fences = new Map<string, Fence>();
    const owned = paths.map((path) => {
      const entry = this.entryOf(path);
      if (entry === undefined) return true;
      if (entry.value.owner !== this.self) return false;
      const after = fenceOf(entry.value);
      if (after && (fences.get(after.station)?.version ?? -1) < after.version) fences.set(after.station, after);
      return true;
    });
    return { owned, fences: [...fences.values()] };
  }

  /** The prefixes `station` owns. */
  prefixesOf(station: string): string[] {
    return this.bucket
      .entries()
      .filter((entry) => entry.value.owner === station)
      .map((entry) => prefixOfKey(entry.key));
  }

  /** The prefixes strictly under `prefix` that a station other than `station` owns. */
  nestedOthers(prefix: string, station: string): string[] {
    return this.bucket
      .entries()
      .filter((entry) => entry.value.owner !== station)
      .map((entry) => prefixOfKey(entry.key))
      .filter((nested) => nested !== prefix && isWithin(nested, prefix));
  }

  /** The owned prefixes, by path. */
  list(): OwnedPrefix[] {
    return this.bucket
      .entries()
      .map((entry) => ({ path: prefixOfKey(entry.key), owner: entry.value.owner, epoch: entry.value.epoch }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }
}
