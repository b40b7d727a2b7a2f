// The panel for the selected node: what it is, its value in full, a plot of all its numbers
// (a list of numbers, an array), the recent changes that touched it, and the forms that
// change it (edit the value, add a child, delete it), plus paging for its children. The
// forms are built when the selection changes and left alone by live updates, so typing is
// never lost.
import { ValuePlot } from './chart.js';
import { valueInput } from './editor.js';
import { childPath, childRange, describeError, el, formatCount, parentOf } from './format.js';
import { HistoryView } from './history.js';
import { PAGE_SIZE } from './tree.js';
import { renderValue, typeEntry, typeGroups } from './types.js';

export class NodePanel {
  #element;
  #tree;
  #client;
  #status;
  #row;
  #info = el('div', { className: 'node-info' });
  #plotArea = el('div', { className: 'node-plot' });
  #paging = el('div', { className: 'node-paging' });
  #history = el('div', { className: 'node-history' });
  #forms = el('div', { className: 'node-forms' });
  #editor;
  #plot;
  #historyView;
  /** The node's version when its plot and history were last loaded: a newer one reloads them. */
  #shownVersion;

  /** `status(message)` announces what a form did. */
  constructor(element, { tree, status }) {
    this.#element = element;
    this.#tree = tree;
    this.#status = status;
    element.append(this.#info, this.#plotArea, this.#paging, this.#history, this.#forms);
  }

  set client(client) {
    this.#client = client;
  }

  /** A new selection: everything is rebuilt. */
  show(row) {
    this.#row = row;
    this.#renderInfo();
    this.#renderPaging();
    this.#renderForms();
    this.#shownVersion = row?.version;
    this.#renderPlot();
    this.#renderHistory();
  }

  /** The selected node's data changed (a live update, a reload): the forms keep their input. */
  refresh() {
    const current = this.#row && this.#tree.rowOf(this.#row.path);
    if (current === undefined) return;
    const typeChanged = current.type !== this.#row.type || current.structured !== this.#row.structured;
    this.#row = current;
    this.#renderInfo();
    this.#renderPaging();
    if (typeChanged) {
      this.#renderForms();
      this.#renderPlot();
    } else if (current.version !== this.#shownVersion) {
      // what changed at or under it is in its plot and its history
      this.#plot?.refresh();
    }
    if (current.version !== this.#shownVersion) this.#historyView?.load();
    this.#shownVersion = current.version;
  }

  /** Enter in the tree: straight to the value (or, for a structured node, the new child's name). */
  focusEditor() {
    (this.#forms.querySelector('[id^="value-"]:not([type=checkbox])') ?? this.#forms.querySelector('input, textarea, select'))?.focus();
  }

  /** The Delete key in the tree: ask, in the panel, with focus on the confirming button. */
  requestDelete() {
    this.#forms.querySelector('.delete-start')?.click();
  }

  // -- what the node is -----------------------------------------------------------------

  #renderInfo() {
    const row = this.#row;
    if (row === undefined) {
      this.#info.replaceChildren(el('p', { className: 'muted' }, 'Select a node in the tree.'));
      return;
    }
    const entry = typeEntry(row.type);
    const facts = [
      ['Type', el('span', { className: 'type' }, row.type)],
      ...(row.inList ? [['Index', formatCount(row.index)]] : []),
      ['Id', row.id === undefined ? '—' : String(row.id)],
      ['Version', row.version === undefined ? '—' : String(row.version)],
    ];
    if (row.structured) facts.push(['Children', formatCount(this.#tree.pageOf(row.path)?.total ?? row.childCount)]);
    else if (row.valueError !== undefined) facts.push(['Value', el('span', { className: 'error-text' }, row.valueError)]);
    else if ('value' in row) facts.push(['Value', renderValue(row.type, row.value, { full: true })]);

    const copy = !row.structured && 'value' in row && entry.copy ? copyButton(() => entry.copy(row.value), this.#status) : undefined;
    this.#info.replaceChildren(
      ...present(
        el('p', { className: 'node-path mono' }, row.path === '' ? '/ (the root)' : `/${row.path}`),
        el('dl', {}, ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)])),
        copy,
      ),
    );
  }

  // -- the plot and the history -----------------------------------------------------------

  /** A list or an array gets a plot of all its numbers (from tree.plot), shown once it has some. */
  #renderPlot() {
    this.#plot = undefined;
    this.#plotArea.replaceChildren();
    const row = this.#row;
    const array = row !== undefined && /array$/.test(row.type);
    if (row === undefined || (row.type !== 'list' && !array) || row.shadowed) return;
    const path = row.path;
    const plot = new ValuePlot({
      load: (range) => this.#client.plot(path, range),
      noun: array ? 'element' : 'item',
      valueLabel: array ? `value (${row.type.replace(/array$/, '')})` : 'value',
      width: Math.max(240, Math.floor(this.#element.clientWidth - 28) || 340),
      // a list of anything but numbers has nothing to plot
      onResult: (result) => {
        this.#plotArea.hidden = result.plotted === 0;
      },
    });
    this.#plot = plot;
    this.#plotArea.hidden = true;
    this.#plotArea.replaceChildren(el('h3', {}, array ? 'Elements, plotted' : 'Items, plotted'), plot.element);
    plot.show();
  }

  #renderHistory() {
    const row = this.#row;
    this.#historyView = row === undefined || row.shadowed ? undefined : new HistoryView(this.#history, { path: row.path, client: this.#client });
    if (this.#historyView === undefined) this.#history.replaceChildren();
    else this.#historyView.load();
  }

  // -- paging -----------------------------------------------------------------------------

  #renderPaging() {
    const row = this.#row;
    if (row === undefined || !row.structured) return this.#paging.replaceChildren();
    const page = this.#tree.pageOf(row.path);
    const path = row.path;
    if (page === undefined) {
      const show = el('button', { type: 'button', onclick: () => this.#tree.expand(path) }, 'Show children');
      return this.#paging.replaceChildren(show);
    }
    const { offset, total, rows } = page;
    if (total === 0) return this.#paging.replaceChildren(el('p', { className: 'muted' }, 'No children yet.'));
    // one page holds them all: nothing to page through
    if (total <= PAGE_SIZE && offset === 0) return this.#paging.replaceChildren();
    const last = Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE;
    const button = (label, target, disabled) =>
      el('button', { type: 'button', disabled, onclick: () => this.#tree.showPage(path, target) }, label);
    // a list's children by index from 0, as its rows are labelled; anything else's by position from 1
    const inList = row.type === 'list';
    const first = inList ? 0 : 1;
    const goInput = el('input', { id: 'goto-index', type: 'number', min: first, max: total - 1 + first, step: 1, inputmode: 'numeric', required: true });
    const go = el(
      'form',
      {
        className: 'goto',
        onsubmit: (event) => {
          event.preventDefault();
          const index = Number(goInput.value) - first;
          if (!Number.isInteger(index) || index < 0 || index >= total) return goInput.reportValidity();
          this.#tree.revealIndex(path, index);
        },
      },
      el('label', { for: 'goto-index' }, inList ? 'Go to index' : 'Go to child number'),
      goInput,
      el('button', { type: 'submit' }, 'Go'),
    );
    this.#paging.replaceChildren(
      el(
        'nav',
        { 'aria-label': 'Pages of children' },
        el('p', {}, `Showing ${childRange(inList, offset, offset + rows.length)} of ${formatCount(total)}`),
        el(
          'div',
          { className: 'buttons' },
          button('First page', 0, offset === 0),
          button('Previous page', offset - PAGE_SIZE, offset === 0),
          button('Next page', offset + PAGE_SIZE, offset >= last),
          button('Last page', last, offset >= last),
        ),
        total > PAGE_SIZE ? go : undefined,
      ),
    );
  }

  // -- forms --------------------------------------------------------------------------------

  #renderForms() {
    const row = this.#row;
    if (row === undefined || row.shadowed) return this.#forms.replaceChildren();
    this.#forms.replaceChildren(
      ...present(
        row.structured ? undefined : this.#editForm(row),
        row.structured ? this.#addForm(row) : undefined,
        row.path === this.#tree.start ? undefined : this.#deleteControl(row),
      ),
    );
  }

  #editForm(row) {
    const error = formError();
    const holder = el('div');
    const typeSelect = typePicker('edit-type', row.type, { leavesOnly: true });
    const rebuild = () => {
      const same = typeSelect.value === row.type;
      this.#editor = valueInput(typeSelect.value, { label: 'New value', initial: row.value, hasInitial: same && 'value' in row });
      holder.replaceChildren(this.#editor.element);
    };
    typeSelect.addEventListener('change', rebuild);
    rebuild();
    const save = el('button', { type: 'submit' }, 'Save');
    // the version the form was built at: a station that reports versions refuses to overwrite a newer value
    const baseVersion = row.version;
    const form = el(
      'form',
      { className: 'edit', 'aria-labelledby': 'edit-heading' },
      el('h3', { id: 'edit-heading' }, 'Edit value'),
      el('div', { className: 'field' }, el('label', { for: 'edit-type' }, 'Type'), typeSelect),
      holder,
      el('div', { className: 'buttons' }, save),
      error.element,
    );
    sendOnSubmit(form, {
      button: save,
      error,
      read: () => this.#editor.read(),
      send: async (value) => {
        const { version } = await this.#client.set(row.path, value, { type: typeSelect.value, ifVersion: baseVersion });
        this.#tree.noteOwnWrite(version, row.path);
        this.#status(`Saved /${row.path} at version ${version}.`);
      },
    });
    return form;
  }

  #addForm(row) {
    const error = formError();
    const holder = el('div');
    const nameInput = el('input', { id: 'add-name', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'add-name-hint' });
    const typeSelect = typePicker('add-type', row.type === 'list' ? 'f64' : 'str', {});
    let input;
    const rebuild = () => {
      input = valueInput(typeSelect.value, { label: 'Value' });
      holder.replaceChildren(input.element);
    };
    typeSelect.addEventListener('change', rebuild);
    rebuild();
    const add = el('button', { type: 'submit' }, 'Add child');
    const form = el(
      'form',
      { className: 'add', 'aria-labelledby': 'add-heading' },
      el('h3', { id: 'add-heading' }, 'Add a child'),
      el(
        'div',
        { className: 'field' },
        el('label', { for: 'add-name' }, 'Name'),
        nameInput,
        el('span', { id: 'add-name-hint', className: 'hint' }, 'leave empty and the station names it #<id>'),
      ),
      el('div', { className: 'field' }, el('label', { for: 'add-type' }, 'Type'), typeSelect),
      holder,
      el('div', { className: 'buttons' }, add),
      error.element,
    );
    sendOnSubmit(form, {
      button: add,
      error,
      read: () => input.read(),
      send: async (value) => {
        const name = nameInput.value === '' ? undefined : nameInput.value;
        const added = await this.#client.add(row.path, value, { name, type: typeSelect.value });
        this.#tree.noteOwnWrite(added.version, childPath(row.path, added.name), 'add');
        this.#status(`Added /${childPath(row.path, added.name)} at version ${added.version}.`);
        nameInput.value = '';
        await this.#tree.revealAdded(row.path, added.name);
      },
    });
    return form;
  }

  #deleteControl(row) {
    const error = formError();
    const area = el('div', { className: 'delete' });
    const start = el('button', { type: 'button', className: 'delete-start danger-outline' }, 'Delete…');
    const ask = () => {
      const confirm = el('button', { type: 'button', className: 'danger' }, `Delete /${row.path}`);
      const cancel = el('button', { type: 'button' }, 'Cancel');
      const question = el('p', { id: 'delete-question' }, `Delete /${row.path}${row.structured ? ' and everything under it' : ''}?`);
      confirm.setAttribute('aria-describedby', 'delete-question');
      cancel.addEventListener('click', () => {
        area.replaceChildren(start, error.element);
        start.focus();
      });
      confirm.addEventListener('click', () =>
        busy(confirm, async () => {
          try {
            const { version } = await this.#client.delete(row.path);
            this.#tree.noteOwnWrite(version, row.path, 'remove');
            this.#status(`Deleted /${row.path} at version ${version}.`);
            this.#tree.focusItem(`row:${parentOf(row.path)}`);
          } catch (failure) {
            error.show(describeError(failure));
          }
        }),
      );
      area.replaceChildren(question, el('div', { className: 'buttons' }, confirm, cancel), error.element);
      confirm.focus();
    };
    start.addEventListener('click', ask);
    area.append(start, error.element);
    return el('section', { 'aria-label': 'Delete this node' }, area);
  }
}

/** The nodes given, without the absent ones (replaceChildren would write "undefined"). */
function present(...nodes) {
  return nodes.filter((node) => node !== undefined);
}

/** A form's error line: an alert, so a refusal is announced as well as shown. */
function formError() {
  const element = el('p', { className: 'form-error', role: 'alert' });
  return {
    element,
    show(message) {
      element.textContent = message;
    },
  };
}

/**
 * Wires a value form's submit: the value is read first (one that does not parse is reported and
 * not sent), then `send(value)` runs with the button busy; a refusal shows in the form's error line.
 */
function sendOnSubmit(form, { button, error, read, send }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.show('');
    let value;
    try {
      value = read();
    } catch (invalid) {
      return error.show(`Not sent: ${invalid.message}`);
    }
    await busy(button, async () => {
      try {
        await send(value);
      } catch (failure) {
        error.show(describeError(failure));
      }
    });
  });
}

/** Disables a button while its action runs, so a slow station does not get the same write twice. */
async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function typePicker(id, selected, { leavesOnly }) {
  const select = el('select', { id });
  for (const [group, names] of typeGroups()) {
    const shown = names.filter((name) => !(leavesOnly && typeEntry(name).structured));
    if (shown.length > 0) select.append(el('optgroup', { label: group }, ...shown.map((name) => el('option', { value: name }, name))));
  }
  // a type this page has no entry for still shows, and stays selectable
  if (![...select.options].some((option) => option.value === selected)) {
    select.append(el('optgroup', { label: 'this node' }, el('option', { value: selected }, selected)));
  }
  select.value = selected;
  return select;
}

function copyButton(text, status) {
  return el(
    'button',
    {
      type: 'button',
      className: 'copy',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text());
          status('Copied the value to the clipboard.');
        } catch (error) {
          status(`Could not copy: ${describeError(error)}`);
        }
      },
    },
    'Copy value',
  );
}
