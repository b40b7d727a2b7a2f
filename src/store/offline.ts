// A data directory used offline, by `grove export --data` and `grove import --data`: the
// directory is locked for the duration, so a station cannot be using it at the same time.
import type { ImportFormat } from '../codec/import.js';
import { Tree } from '../tree.js';
import { recordOf } from './records.js';
import { Store } from './store.js';

const quiet = () => {};

/** The subtree at `path` of the tree a data directory holds, as JSON text. */
export async function exportDataDir(dir: string, path: string, format: 'typed' | 'plain'): Promise<string> {
  const tree = Tree.create();
  try {
    const { store } = Store.open(dir, tree, { log: quiet });
    await store.close();
    return tree.exportJSON(path, format);
  } finally {
    tree.close();
  }
}

/**
 * Replaces the subtree at `path` of a data directory's tree with a document, durably (one
 * log record, then a snapshot). Returns the nodes imported and the version.
 */
export async function importIntoDataDir(dir: string, path: string, text: string, format: ImportFormat): Promise<{ nodes: number; version: number }> {
  const tree = Tree.create();
  try {
    const { store } = Store.open(dir, tree, { log: quiet });
    try {
      tree.setFeed('records');
      const { nodes, version } = tree.importJSON(path, text, { format });
      const changes = tree.takeChanges();
      if (changes.length > 0) await store.record(recordOf(changes, 'import'));
      tree.setFeed('off');
      await store.snapshot();
      return { nodes, version };
    } finally {
      await store.close();
    }
  } finally {
    tree.close();
  }
}
