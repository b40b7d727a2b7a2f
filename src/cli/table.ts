// Plain-text layouts for people reading a terminal; every command also has a JSON form.

import type { ListResult } from '../client/index.js';

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** A page of `tree.list`, with a note on how to see the rest. */
export function formatChildren({ total, children }: ListResult, offset: number): string {
  if (children.length === 0) {
    return total === 0 ? '(no children)\n' : `(no children from offset ${offset}; there are ${total})\n`;
  }
  const table = formatTable(
    ['NAME', 'TYPE', 'ID', 'CHILDREN'],
    children.map(({ name, type, id, childCount }) => [name, type, String(id), String(childCount)]),
  );
  const end = offset + children.length;
  if (offset === 0 && end >= total) return table;
  const more = end < total ? `; --offset ${end} for more` : '';
  return `${table}(${offset + 1}–${end} of ${total}${more})\n`;
}

/** One `name  value` line per field; nested values as compact JSON. */
export function formatFields(record: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(record).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n') + '\n';
}
