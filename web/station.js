// The station panel: who the station is and how busy, from station.info once a second,
// and in a cluster which station owns which subtree and which peers are heard from.
// Operations per second are the tree version's growth between two samples, divided by the
// uptime between them: every write takes one version, whoever makes it, so this counts
// writes by workers and other clients as well as this page's, and needs no event stream.
import { RateChart } from './chart.js';
import { describeError, el, formatCount, formatDuration } from './format.js';

const POLL_MS = 1000;
const RECENT_CHANGES = 8;

export class StationPanel {
  #client;
  #timer;
  #previous;
  #fields = new Map();
  #rate = el('span', { className: 'rate-now' }, '0');
  #chart;
  #changes = [];
  #changeList = el('ol', { className: 'changes', 'aria-label': 'Recent changes' });
  #changesDirty = false;
  #cluster = el('section', { className: 'cluster', 'aria-label': 'Cluster', hidden: true });
  /** `onInfo(info)` after every sample (the tree shows the root's version from it). */
  constructor(element, { onInfo } = {}) {
    this.onInfo = onInfo;
    const dl = el('dl');
    for (const [key, label] of [
      ['id', 'Station'],
      ['version', 'Software'],
      ['uptime', 'Uptime'],
      ['nodes', 'Nodes'],
      ['connections', 'Connections'],
      ['treeVersion', 'Tree version'],
    ]) {
      const value = el('dd', { dataset: { field: key } }, '…');
      this.#fields.set(key, value);
      dl.append(el('dt', {}, label), value);
    }
    const chartHolder = el('div', { className: 'chart' });
    element.append(
      dl,
      this.#cluster,
      el('h3', {}, 'Operations per second: ', this.#rate),
      chartHolder,
      el('h3', {}, 'Recent changes'),
      this.#changeList,
    );
    this.#chart = new RateChart(chartHolder, { samples: 60 });
  }

  attach(client) {
    this.stop();
    this.#client = client;
    this.#previous = undefined;
    const poll = async () => {
      await this.#sample();
      if (this.#client === client) this.#timer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  stop() {
    clearTimeout(this.#timer);
    this.#client = undefined;
  }

  /** A change from the page's subscription, for the recent changes list. */
  noteChange(change) {
    this.#changes.unshift(change);
    this.#changes.length = Math.min(this.#changes.length, RECENT_CHANGES);
    // many changes a second redraw the list once a frame, not once a change
    if (!this.#changesDirty) {
      this.#changesDirty = true;
      requestAnimationFrame(() => this.#renderChanges());
    }
  }

  async #sample() {
    const client = this.#client;
    let info;
    try {
      info = await client.info();
    } catch (error) {
      this.#fields.get('uptime').textContent = `unavailable: ${describeError(error)}`;
      return;
    }
    if (client !== this.#client) return;
    for (const [key, element] of this.#fields) {
      const value = info[key];
      element.textContent = key === 'uptime' ? formatDuration(value) : typeof value === 'number' ? formatCount(value) : String(value ?? '—');
    }
    this.#renderCluster(info);
    const previous = this.#previous;
    this.#previous = info;
    this.onInfo?.(info);
    if (previous === undefined || info.uptime <= previous.uptime) return;
    const rate = Math.max(0, Math.round((info.treeVersion - previous.treeVersion) / (info.uptime - previous.uptime)));
    this.#rate.textContent = formatCount(rate);
    this.#chart.push(rate);
  }

  /** Owners and peers, for a station of a cluster (station.info has `owners` there). */
  #renderCluster(info) {
    this.#cluster.hidden = !Array.isArray(info.owners);
    if (this.#cluster.hidden) return;
    this.#cluster.replaceChildren(
      el('h3', {}, 'Cluster'),
      el(
        'ul',
        { 'aria-label': 'Owners' },
        info.owners.map(({ path, owner }) => el('li', {}, el('span', { className: 'mono' }, `/${path}`), ` owned by ${owner}`)),
      ),
      el(
        'ul',
        { 'aria-label': 'Peers' },
        info.peers.map(({ id, url, alive }) =>
          el('li', {}, url ? el('a', { href: url }, id) : id, alive ? '' : el('span', { className: 'muted' }, ' (silent)')),
        ),
      ),
    );
  }

  #renderChanges() {
    this.#changesDirty = false;
    this.#changeList.replaceChildren(
      ...this.#changes.map((change) =>
        el(
          'li',
          {},
          el('span', { className: 'version' }, `v${change.version}`),
          ` ${change.op} `,
          el('span', { className: 'mono' }, `/${change.path}`),
          el('span', { className: 'muted' }, ` by ${change.origin}`),
        ),
      ),
    );
  }
}
