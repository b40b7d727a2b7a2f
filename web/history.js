// The history of the selected node: the recent changes that touched it (at, under or above
// it), from the station's change log (tree.history), newest first, each with its version,
// what it did, the value it wrote and who made it.
import { describeError, el, formatCount, isWithin } from './format.js';

const SHOWN = 10;
/** Characters of a written value shown in a cell; the whole value is its title. */
const VALUE_TEXT = 48;

const OP_TEXT = { set: 'set', add: 'added', remove: 'removed', sort: 'sorted', transact: 'transaction' };

export class HistoryView {
  #element;
  #path;
  #client;
  #seq = 0;

  constructor(element, { path, client }) {
    this.#element = element;
    this.#path = path;
    this.#client = client;
    element.replaceChildren(el('h3', {}, 'History'), el('p', { className: 'muted' }, 'loading…'));
  }

  async load() {
    const seq = ++this.#seq;
    let history;
    try {
      history = await this.#client.history(this.#path, { limit: SHOWN });
    } catch (error) {
      if (seq === this.#seq) this.#element.replaceChildren(el('h3', {}, 'History'), el('p', { className: 'error-text' }, `Could not read the history: ${describeError(error)}`));
      return;
    }
    if (seq === this.#seq) this.#render(history);
  }

  #render({ changes, floor }) {
    const reach = `The station's change log holds the changes after version ${formatCount(floor)}; it starts afresh when the station does.`;
    if (changes.length === 0) {
      this.#element.replaceChildren(el('h3', {}, 'History'), el('p', { className: 'muted' }, `No changes to this node in the log. ${reach}`));
      return;
    }
    const rows = changes.map((change) =>
      el(
        'tr',
        { dataset: { version: String(change.version) } },
        el('td', { className: 'version' }, `v${change.version}`),
        el('td', {}, this.#what(change)),
        el('td', { className: 'mono', title: valueText(change.value) }, clip(valueText(change.value))),
        el('td', {}, change.origin),
      ),
    );
    this.#element.replaceChildren(
      el('h3', {}, 'History'),
      el(
        'table',
        { className: 'history' },
        el('caption', { className: 'muted' }, `The last ${changes.length === 1 ? 'change' : `${changes.length} changes`} that touched it, newest first. ${reach}`),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Version'), el('th', { scope: 'col' }, 'Change'), el('th', { scope: 'col' }, 'Value'), el('th', { scope: 'col' }, 'By'))),
        el('tbody', {}, rows),
      ),
    );
  }

  /** What a change did, and where, relative to this node. */
  #what(change) {
    const op = OP_TEXT[change.op] ?? change.op;
    if (change.op === 'transact') return `${op} of ${change.changes?.length ?? 0} changes`;
    if (change.path === this.#path) return `${op} here`;
    const under = this.#path === '' ? change.path : change.path.slice(this.#path.length + 1);
    return isWithin(change.path, this.#path) ? `${op} ${under}` : `${op} /${change.path} (above)`;
  }
}

function valueText(value) {
  return value === undefined ? '' : JSON.stringify(value);
}

function clip(text) {
  return text.length > VALUE_TEXT ? `${text.slice(0, VALUE_TEXT - 1)}…` : text;
}
