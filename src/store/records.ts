// What the write-ahead log (and the cluster's change streams) hold of one write call: the
// record ops of its changes, made by the tree's feed (include/grove/record.h), which name
// every node they change by id and replay exactly: Tree.applyRecord.
import type { Change } from '../tree.js';

/** One write call's record. */
export interface LogRecord {
  /** The version of its last op. */
  v: number;
  origin: string;
  /** Each op's JSON text, in version order. */
  ops: string[];
  /** The record as JSON text: {"v","origin","ops":[...]}, what is logged and published. */
  text: string;
  /** Where each op is seen (its change's path): the cluster's ownership rules read them; replay does not. */
  paths: string[];
}

/** The record of changes made by one writer, in version order; they must carry their record ops (feed 'records'). */
export function recordOf(changes: readonly Change[], origin: string): LogRecord {
  const ops: string[] = [];
  for (const change of changes) {
    if (change.record === undefined) throw new Error(`change ${change.version} has no record: turn the feed to 'records'`);
    ops.push(change.record);
  }
  const v = changes[changes.length - 1]!.version;
  return { v, origin, ops, text: recordText(v, origin, ops), paths: changes.map((c) => c.path) };
}

/** A record's JSON text. */
export function recordText(v: number, origin: string, ops: readonly string[]): string {
  return `{"v":${v},"origin":${JSON.stringify(origin)},"ops":[${ops.join(',')}]}`;
}
