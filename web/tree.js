// The tree browser: an ARIA tree whose expanded nodes each show one page of children,
// loaded with tree.list when expanded, so a node with a million children costs one page.
// Leaf values on a page come in one JSON-RPC batch. Live changes mark the pages they touch
// for a reload, coalesced, and the rows they changed flash. The tree starts at a path (the
// root, or the subtree a token may read) and shows nothing above it.
import { RpcErrorCode } from '/client.js';
import { childPath, childRange, describeError, el, formatCount, isWithin, parentOf, selfAndAncestors } from './format.js';
import { isStructured, renderValue } from './types.js';

export const PAGE_SIZE = 50;
/** How long a changed row stays highlighted (the CSS animation lasts as long). */
const FLASH_MS = 1600;
/** Changes arriving within this window share one reload of each page they touch. */
const COALESCE_MS = 100;
const NOT_FOUND = RpcErrorCode.NotFound;

/** Names the station gives children added without one: "#<id>" (README "The station"). */
const isGeneratedName = (name, id) => name === `#${id}`;

/**
 * A row: { path, name, type, id, childCount, structured, index, inList, generated, version?, value?, valueError? }.
 * A group: the children shown under an expanded row, { offset, total, rows, error?, seq }.
 */
export class TreeView {
  #element;
  #client;
  #root = startRow('', { type: 'object', total: 0 });
  #groups = new Map();
  #rows = new Map();
  #selected = '';
  /** The key of the item that takes Tab focus: "row:<path>", "prev:<group>" or "next:<group>". */
  #focused = 'row:';
  #flashes = new Map();
  #dirty = new Set();
  #pendingFlashes = [];
  #flushTimer;
  #ownVersions = new Set();
  #labelIds = 0;

  /**
   * `onSelect(row)` when the selection moves, `onChanged()` after rows reload, `onActivate(row)`
   * on Enter, `onDelete(row)` on the Delete key, `onError(message)` for failures to load.
   */
  constructor(element, { onSelect, onChanged, onActivate, onDelete, onError }) {
    this.#element = element;
    Object.assign(this, { onSelect, onChanged, onActivate, onDelete, onError });
    element.addEventListener('keydown', (event) => this.#onKey(event));
    element.addEventListener('click', (event) => this.#onClick(event));
    element.addEventListener('dblclick', (event) => this.#onDoubleClick(event));
  }

  /**
   * Starts over against a (new) client at `start` (a path; "" is the root): that node
   * expanded, nothing else. Throws what the station answered when it cannot be read.
   */
  async attach(client, start = '') {
    this.#client = client;
    this.#groups.clear();
    this.#rows.clear();
    // its type, child count and version from the node itself: a limited token may not list its parent
    const own = await client.list(start, { limit: 0 });
    this.#root = startRow(start, own);
    if (!this.#root.structured) this.#root.value = await client.get(start);
    this.#selected = start;
    this.#focused = `row:${start}`;
    this.#render();
    await this.expand(start);
    this.onSelect?.(this.#root);
  }

  /** The path the tree starts at. */
  get start() {
    return this.#root.path;
  }

  get selected() {
    return this.rowOf(this.#selected) ?? this.#root;
  }

  rowOf(path) {
    return path === this.#root.path ? this.#root : this.#rows.get(path);
  }

  /** The page shown under an expanded node: { offset, total }, or undefined when collapsed. */
  pageOf(path) {
    const group = this.#groups.get(path);
    return group && { offset: group.offset, total: group.total, rows: group.rows };
  }

  async expand(path) {
    const row = this.rowOf(path);
    if (row === undefined || !row.structured || this.#groups.has(path)) return;
    const group = { offset: 0, total: row.childCount, rows: [], seq: 0, loading: true };
    this.#groups.set(path, group);
    this.#render();
    await this.#load(path);
    this.#render();
    this.onChanged?.();
  }

  collapse(path) {
    for (const key of [...this.#groups.keys()]) if (isWithin(key, path)) this.#dropGroup(key);
    if (!this.#itemExists(this.#focused)) this.#focused = `row:${path}`;
    this.#render();
    this.onChanged?.();
  }

  toggle(path) {
    return this.#groups.has(path) ? this.collapse(path) : this.expand(path);
  }

  /** Shows the page of `path`'s children starting at `offset` (past the end: the last page). */
  async showPage(path, offset) {
    if (!this.#groups.has(path)) {
      const row = this.rowOf(path);
      if (row === undefined || !row.structured) return;
      this.#groups.set(path, { offset: 0, total: row.childCount, rows: [], seq: 0 });
    }
    const group = this.#groups.get(path);
    group.offset = Math.max(0, Math.floor(offset / PAGE_SIZE) * PAGE_SIZE);
    group.loading = true;
    this.#render();
    await this.#load(path);
    this.#render();
    this.onChanged?.();
  }

  /** Shows the child at `index` of `path` and moves focus and selection to it. */
  async revealIndex(path, index) {
    await this.showPage(path, index);
    await this.#settled(path);
    const row = this.#groups.get(path)?.rows.find((candidate) => candidate.index === index) ?? this.#groups.get(path)?.rows.at(-1);
    if (row) this.focusItem(`row:${row.path}`);
  }

  /** Shows a child just added (children are appended, so on the last page) and selects it. */
  async revealAdded(path, name) {
    await this.showPage(path, Number.MAX_SAFE_INTEGER);
    await this.#settled(path);
    if (this.#rows.has(childPath(path, name))) this.focusItem(`row:${childPath(path, name)}`);
  }

  /** Reloads every expanded page, as after a reconnect that may have missed changes. */
  async reloadAll() {
    await Promise.all([...this.#groups.keys()].map((path) => this.#load(path)));
    this.#render();
    this.onChanged?.();
  }

  /** Reloads the pages a write by this page touched, without waiting for its change event. */
  noteOwnWrite(version, path, op = 'set') {
    this.#ownVersions.add(version);
    // a bounded memory of recent own writes is enough: their events arrive within moments
    if (this.#ownVersions.size > 1000) this.#ownVersions.delete(this.#ownVersions.values().next().value);
    this.#touchVersions(path, version);
    this.#markDirty(path, op);
    this.#scheduleFlush();
  }

  /** A tree.changed notification: versions update now, the pages it touches reload shortly. */
  applyChange(change) {
    for (const entry of change.changes ?? [change]) {
      this.#touchVersions(entry.path, change.version);
      this.#markDirty(entry.path, entry.op);
      this.#pendingFlashes.push({ path: entry.path, version: change.version });
    }
    this.#scheduleFlush();
  }

  /** Moves keyboard focus (and, for rows, the selection) to an item by key. */
  focusItem(key) {
    if (!this.#itemExists(key)) return;
    const previous = this.#element.querySelector('[tabindex="0"]');
    previous?.setAttribute('tabindex', '-1');
    this.#focused = key;
    const item = this.#itemElement(key);
    item.setAttribute('tabindex', '0');
    item.focus();
    item.scrollIntoView({ block: 'nearest' });
    if (key.startsWith('row:')) this.#select(key.slice(4));
  }

  // -- loading --------------------------------------------------------------------------

  /** Loads a group's page; `group.latest` is the newest load, which overtakes any earlier one. */
  #load(path) {
    const group = this.#groups.get(path);
    if (group === undefined) return Promise.resolve();
    const load = this.#loadGroup(path, group);
    group.latest = load;
    return load;
  }

  /** Resolves once the newest load of a group has finished (a live reload may overtake a page's). */
  async #settled(path) {
    for (;;) {
      const latest = this.#groups.get(path)?.latest;
      if (latest === undefined) return;
      await latest;
      if (this.#groups.get(path)?.latest === latest) return;
    }
  }

  async #loadGroup(path, group) {
    const seq = ++group.seq;
    try {
      let page = await this.#client.list(path, { offset: group.offset, limit: PAGE_SIZE });
      if (page.total > 0 && group.offset >= page.total) {
        group.offset = Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE;
        page = await this.#client.list(path, { offset: group.offset, limit: PAGE_SIZE });
      }
      const seen = new Set();
      const inList = this.rowOf(path)?.type === 'list';
      const rows = page.children.map((child, i) => this.#rowFrom(path, child, group.offset + i, seen, inList));
      const leaves = rows.filter((row) => !row.structured && !row.shadowed);
      if (leaves.length > 0) {
        const results = await this.#client.batch((batch) => leaves.forEach((row) => batch.get(row.path)));
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') leaves[i].value = result.value;
          else leaves[i].valueError = describeError(result.reason);
        });
      }
      // a newer load of this group (or its collapse) overtook this one
      if (this.#groups.get(path) !== group || seq !== group.seq) return;
      for (const old of group.rows) this.#rows.delete(old.path);
      Object.assign(group, { rows, total: page.total, loading: false, error: undefined });
      for (const row of rows) if (!row.shadowed) this.#rows.set(row.path, row);
      const owner = this.rowOf(path);
      if (owner) {
        owner.childCount = page.total;
        // the station's version of the node: a change seen since may be newer
        owner.version = Math.max(owner.version ?? 0, page.version);
      }
      // expanded children no longer on this page go with it
      for (const key of [...this.#groups.keys()]) {
        if (key !== path && parentOf(key) === path && !this.#rows.has(key)) this.#dropGroup(key);
      }
    } catch (error) {
      if (this.#groups.get(path) !== group || seq !== group.seq) return;
      if (error?.code === NOT_FOUND) {
        // deleted elsewhere: its parent's reload takes the row away
        for (const key of [...this.#groups.keys()]) if (isWithin(key, path)) this.#dropGroup(key);
        if (path !== this.#root.path) this.#markDirty(path, 'remove');
      } else {
        group.loading = false;
        group.error = describeError(error);
        this.onError?.(`Could not load the children of ${path || 'the root'}: ${group.error}`);
      }
    }
  }

  #rowFrom(parent, child, index, seen, inList) {
    const path = childPath(parent, child.name);
    // names may repeat; a path reaches the first child of that name only (DESIGN "The node")
    const shadowed = seen.has(child.name);
    seen.add(child.name);
    return {
      path,
      name: child.name,
      type: child.type,
      id: child.id,
      childCount: child.childCount,
      structured: !shadowed && isStructured(child.type, child.childCount),
      shadowed,
      index,
      inList,
      generated: isGeneratedName(child.name, child.id),
      // the station's own version of the node (tree.list); live changes move it on
      version: child.version,
    };
  }

  #dropGroup(path) {
    const group = this.#groups.get(path);
    if (group === undefined) return;
    for (const row of group.rows) this.#rows.delete(row.path);
    this.#groups.delete(path);
  }

  // -- live changes ---------------------------------------------------------------------

  /** A change's version is the version of its node and of every ancestor (DESIGN "The node"). */
  #touchVersions(path, version) {
    for (const at of selfAndAncestors(path)) {
      const row = this.rowOf(at);
      if (row !== undefined) row.version = Math.max(row.version ?? 0, version);
    }
  }

  #markDirty(path, op) {
    const parent = parentOf(path);
    for (const key of this.#groups.keys()) {
      // a set at or above an expanded node may have replaced what it shows
      if (isWithin(key, path)) this.#dirty.add(key);
    }
    // at or above the start: its own row has no page above it to reload
    if (isWithin(this.#root.path, path)) return;
    // a page reloads when a row on it changed, or when positions and totals moved
    if (this.#groups.has(parent) && (op !== 'set' || this.#rows.has(path))) this.#dirty.add(parent);
    // a collapsed parent's child count sits in its own row, on the page above
    if ((op === 'add' || op === 'remove' || op === 'transact') && !this.#groups.has(parent)) {
      const above = parentOf(parent);
      if (parent !== this.#root.path && this.#groups.has(above)) this.#dirty.add(above);
    }
  }

  #scheduleFlush() {
    this.#flushTimer ??= setTimeout(() => this.#flush(), COALESCE_MS);
  }

  async #flush() {
    const dirty = [...this.#dirty];
    const flashes = this.#pendingFlashes;
    this.#dirty.clear();
    this.#pendingFlashes = [];
    await Promise.all(dirty.map((path) => this.#load(path)));
    // cleared only now, so changes arriving during the reload wait for the next one
    this.#flushTimer = undefined;
    const now = performance.now();
    for (const { path, version } of flashes) {
      // this page's own writes are no news to its user
      if (this.#ownVersions.has(version)) continue;
      const shown = [...selfAndAncestors(path)].find((at) => this.#isShown(at));
      if (shown !== undefined) this.#flashes.set(shown, now);
    }
    if (flashes.length > 0) setTimeout(() => this.#expireFlashes(), FLASH_MS + 50);
    this.#render();
    this.onChanged?.();
    if (this.#dirty.size > 0 || this.#pendingFlashes.length > 0) this.#scheduleFlush();
  }

  #isShown(path) {
    return path === this.#root.path || (this.#rows.has(path) && this.#groups.has(parentOf(path)));
  }

  #expireFlashes() {
    const now = performance.now();
    for (const [path, since] of this.#flashes) {
      if (now - since < FLASH_MS) continue;
      this.#flashes.delete(path);
      this.#itemElement(`row:${path}`)?.classList.remove('flash');
    }
  }

  // -- rendering ------------------------------------------------------------------------

  #render() {
    const hadFocus = this.#element.contains(document.activeElement);
    if (!this.#itemExists(this.#focused)) this.#focused = this.#nearestExisting(this.#focused);
    if (!this.#rows.has(this.#selected) && this.#selected !== this.#root.path) {
      this.#select(this.#nearestExisting(`row:${this.#selected}`).slice(4));
    }
    this.#labelIds = 0;
    const tree = el(
      'ul',
      { role: 'tree', className: 'tree', 'aria-label': 'Station tree' },
      this.#renderRow(this.#root, 1, 1, 1),
    );
    this.#element.replaceChildren(tree);
    if (hadFocus) this.#itemElement(this.#focused)?.focus();
  }

  #renderRow(row, level, position, setSize) {
    const key = row.shadowed ? `dup:${row.id}` : `row:${row.path}`;
    const group = this.#groups.get(row.path);
    const labelId = `tree-label-${++this.#labelIds}`;
    const line = el(
      'div',
      { className: 'line', id: labelId },
      el('span', { className: 'twisty', 'aria-hidden': 'true' }, row.structured ? (group ? '▾' : '▸') : ''),
      // a list's children by index, with their names where someone chose them
      row.inList ? el('span', { className: 'index', title: `index ${row.index}` }, `[${formatCount(row.index)}]`) : undefined,
      row.inList && row.generated ? undefined : el('span', { className: 'name' }, row.name),
      el('span', { className: 'type' }, row.type),
      this.#renderContent(row, group),
      row.version === undefined ? undefined : el('span', { className: 'version', title: `version ${row.version}` }, `v${row.version}`),
    );
    const flashedAt = this.#flashes.get(row.path);
    const flashing = flashedAt !== undefined && performance.now() - flashedAt < FLASH_MS;
    const item = el(
      'li',
      {
        role: 'treeitem',
        className: `item${flashing ? ' flash' : ''}`,
        dataset: { key, path: row.path },
        'aria-labelledby': labelId,
        'aria-level': level,
        'aria-posinset': position,
        'aria-setsize': setSize,
        'aria-selected': String(row.path === this.#selected),
        'aria-expanded': row.structured ? String(group !== undefined) : undefined,
        tabindex: key === this.#focused ? '0' : '-1',
      },
      line,
    );
    // re-rendering mid-flash continues the animation where it was rather than restarting it
    if (flashing) item.style.animationDelay = `-${Math.round(performance.now() - flashedAt)}ms`;
    if (group && (group.rows.length > 0 || group.offset > 0)) item.append(this.#renderGroup(row.path, group, level + 1));
    return item;
  }

  #renderContent(row, group) {
    if (row.structured) {
      const count = group?.total ?? row.childCount;
      const noun = row.type === 'list' ? 'item' : 'child';
      const plural = noun === 'child' ? 'children' : 'items';
      const parts = [`${formatCount(count)} ${count === 1 ? noun : plural}`];
      if (group?.loading) parts.push('loading…');
      if (group?.error) parts.push(`failed: ${group.error}`);
      return el('span', { className: `count${group?.error ? ' error-text' : ''}` }, parts.join(' · '));
    }
    if (row.shadowed) return el('span', { className: 'value muted' }, 'an earlier child has this name, so no path reaches this one');
    if (row.valueError !== undefined) return el('span', { className: 'value error-text' }, row.valueError);
    if (!('value' in row)) return el('span', { className: 'value muted' }, '…');
    return renderValue(row.type, row.value);
  }

  #renderGroup(path, group, level) {
    const list = el('ul', { role: 'group' });
    const end = group.offset + group.rows.length;
    const inList = this.rowOf(path)?.type === 'list';
    if (group.offset > 0) {
      const from = Math.max(0, group.offset - PAGE_SIZE);
      list.append(this.#renderPager(`prev:${path}`, level, `Previous ${PAGE_SIZE}: ${childRange(inList, from, group.offset)} of ${formatCount(group.total)}`));
    }
    group.rows.forEach((row) => list.append(this.#renderRow(row, level, row.index + 1, group.total)));
    if (end < group.total) {
      const next = Math.min(group.total, end + PAGE_SIZE);
      list.append(this.#renderPager(`next:${path}`, level, `Next ${formatCount(next - end)}: ${childRange(inList, end, next)} of ${formatCount(group.total)}`));
    }
    return list;
  }

  #renderPager(key, level, label) {
    return el(
      'li',
      { role: 'treeitem', className: 'item pager', dataset: { key }, 'aria-level': level, tabindex: key === this.#focused ? '0' : '-1' },
      el('div', { className: 'line' }, el('span', { className: 'twisty', 'aria-hidden': 'true' }, '⋯'), label),
    );
  }

  #itemElement(key) {
    return this.#element.querySelector(`[data-key="${CSS.escape(key)}"]`);
  }

  #itemExists(key) {
    const [kind, ...rest] = key.split(':');
    const path = rest.join(':');
    if (kind === 'row') return this.#isShown(path);
    if (kind === 'dup') return this.#itemElement(key) !== null;
    const group = this.#groups.get(path);
    if (group === undefined || !this.#isShown(path)) return false;
    return kind === 'prev' ? group.offset > 0 : group.offset + group.rows.length < group.total;
  }

  /** The item's own row, or its nearest shown ancestor's: where focus goes when an item vanishes. */
  #nearestExisting(key) {
    const path = key.slice(key.indexOf(':') + 1);
    for (const at of selfAndAncestors(path)) if (this.#isShown(at)) return `row:${at}`;
    return `row:${this.#root.path}`;
  }

  #select(path) {
    if (path === this.#selected) return;
    this.#element.querySelector('[aria-selected="true"]')?.setAttribute('aria-selected', 'false');
    this.#selected = path;
    this.#itemElement(`row:${path}`)?.setAttribute('aria-selected', 'true');
    this.onSelect?.(this.selected);
  }

  // -- keyboard and pointer -------------------------------------------------------------

  #items() {
    return [...this.#element.querySelectorAll('[role="treeitem"]')];
  }

  async #activatePager(key) {
    const [kind, ...rest] = key.split(':');
    const path = rest.join(':');
    const group = this.#groups.get(path);
    if (group === undefined) return;
    const offset = kind === 'prev' ? group.offset - PAGE_SIZE : group.offset + PAGE_SIZE;
    await this.showPage(path, offset);
    // continue reading where the new page begins (or, going back, where it ends)
    const rows = this.#groups.get(path)?.rows ?? [];
    const target = kind === 'prev' ? rows.at(-1) : rows[0];
    if (target) this.focusItem(`row:${target.path}`);
  }

  #onKey(event) {
    const item = event.target.closest?.('[role="treeitem"]');
    if (item === null || item === undefined) return;
    const key = item.dataset.key;
    if (key.startsWith('dup:')) return this.#onShadowedKey(event, item);
    const isRow = key.startsWith('row:');
    const path = key.slice(key.indexOf(':') + 1);
    const row = isRow ? this.rowOf(path) : undefined;
    const items = this.#items();
    const at = items.indexOf(item);
    const move = (target) => target && this.focusItem(target.dataset.key);
    const handled = () => event.preventDefault();

    switch (event.key) {
      case 'ArrowDown':
        handled();
        return move(items[at + 1]);
      case 'ArrowUp':
        handled();
        return move(items[at - 1]);
      case 'Home':
        handled();
        return move(items[0]);
      case 'End':
        handled();
        return move(items.at(-1));
      case 'ArrowRight':
        handled();
        if (!row?.structured) return;
        if (!this.#groups.has(path)) return this.expand(path);
        return this.#focusFirstChild(path);
      case 'ArrowLeft':
        handled();
        if (row?.structured && this.#groups.has(path)) return this.collapse(path);
        // a pager belongs to the row whose children it pages; a row to its parent
        if (!isRow) return this.focusItem(`row:${path}`);
        if (path !== this.#root.path) return this.focusItem(`row:${parentOf(path)}`);
        return;
      case 'PageDown':
      case 'PageUp': {
        handled();
        const owner = this.#pagedBy(key);
        const group = owner === undefined ? undefined : this.#groups.get(owner);
        if (!group) return;
        const forward = event.key === 'PageDown';
        if (forward ? group.offset + group.rows.length < group.total : group.offset > 0) {
          return this.#activatePager(`${forward ? 'next' : 'prev'}:${owner}`);
        }
        return;
      }
      case 'Enter':
      case ' ':
        handled();
        if (!isRow) return this.#activatePager(key);
        this.focusItem(key);
        if (event.key === 'Enter') this.onActivate?.(row);
        return;
      case 'Delete':
        if (!isRow || path === this.#root.path) return;
        handled();
        this.focusItem(key);
        return this.onDelete?.(row);
      default:
    }
  }

  /**
   * Whose children Page Down/Up page through from an item: a pager's node; an expanded row's
   * own when they take more than a page; else those of the row's parent (none above the start).
   */
  #pagedBy(key) {
    const path = key.slice(key.indexOf(':') + 1);
    if (!key.startsWith('row:')) return path;
    const own = this.#groups.get(path);
    if (own && own.total > PAGE_SIZE) return path;
    return path === this.#root.path ? undefined : parentOf(path);
  }

  /** To an expanded row's first child, once its page has loaded: a quick second ArrowRight may come first. */
  async #focusFirstChild(path) {
    await this.#settled(path);
    const first = this.#itemElement(`row:${path}`)?.querySelector(':scope > [role="group"] > [role="treeitem"]');
    if (first) this.focusItem(first.dataset.key);
  }

  /** A shadowed row can be passed over with the arrows, and does nothing else. */
  #onShadowedKey(event, item) {
    const items = this.#items();
    const at = items.indexOf(item);
    const target = { ArrowDown: items[at + 1], ArrowUp: items[at - 1], Home: items[0], End: items.at(-1) }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.focusItem(target.dataset.key);
  }

  #onClick(event) {
    const item = event.target.closest('[role="treeitem"]');
    if (!item || !event.target.closest('.line')) return;
    const key = item.dataset.key;
    if (key.startsWith('dup:')) return this.focusItem(key);
    if (!key.startsWith('row:')) return this.#activatePager(key);
    this.focusItem(key);
    if (event.target.closest('.twisty')) this.toggle(key.slice(4));
  }

  #onDoubleClick(event) {
    const item = event.target.closest('[role="treeitem"]');
    if (!item || !item.dataset.key.startsWith('row:') || event.target.closest('.twisty')) return;
    this.toggle(item.dataset.key.slice(4));
  }
}

/** The row of the node the tree starts at, from its own tree.list answer. */
function startRow(path, { type, total, version }) {
  return { path, name: path === '' ? '(root)' : path, type, childCount: total, version, structured: isStructured(type, total), index: 0 };
}
