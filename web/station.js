// The station panel: who the station is and how busy, from station.info once a second, and
// on a station of a cluster two tables from cluster.info: the stations (alive, heartbeat age
// against the lease, writes per second, version, what each holds) and the owned prefixes
// (owner, replicas, the version applied here, replication lag).
// Writes per second are the tree version's growth between two samples, divided by the
// uptime between them: every write takes one version, whoever makes it, so this counts
// writes by workers and other clients as well as this page's, and needs no event stream.
// A station of a cluster is shown by its version's growth between two of its heartbeats:
// its own writes and those it applies from the others (cluster.info has no load of its own).
import { RpcErrorCode } from '/client.js';
import { RateChart } from './chart.js';
import { describeError, el, formatCount, formatDuration } from './format.js';

const POLL_MS = 1000;
const RECENT_CHANGES = 8;
const FORBIDDEN = RpcErrorCode.Forbidden;

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
  #refusal = el('p', { className: 'muted', hidden: true });
  #details = el('div');
  #cluster = el('section', { className: 'cluster', 'aria-label': 'Cluster', hidden: true });
  /** Each station's last two heartbeats seen, for its writes per second: id → { version, at, rate }. */
  #heartbeats = new Map();

  constructor(element) {
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
    this.#details.append(dl, this.#cluster, el('h3', {}, 'Writes per second: ', this.#rate), chartHolder);
    element.append(this.#refusal, this.#details, el('h3', {}, 'Recent changes'), this.#changeList);
    this.#chart = new RateChart(chartHolder, { samples: 60, width: Math.max(240, element.clientWidth - 28 || 340) });
  }

  attach(client) {
    this.stop();
    this.#client = client;
    this.#previous = undefined;
    this.#heartbeats.clear();
    this.#refusal.hidden = true;
    this.#details.hidden = false;
    const poll = async () => {
      const goOn = await this.#sample();
      if (goOn && this.#client === client) this.#timer = setTimeout(poll, POLL_MS);
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

  /** One sample; false when polling should stop (the token may not see the station). */
  async #sample() {
    const client = this.#client;
    let info;
    let cluster;
    try {
      info = await client.info();
      // on a station of a cluster, the cluster as it sees it
      if (Array.isArray(info.owners)) cluster = await client.clusterInfo();
    } catch (error) {
      if (client !== this.#client) return false;
      if (error?.code === FORBIDDEN) {
        // said once, not every second: the token's rules decide it, not the moment
        this.#details.hidden = true;
        this.#refusal.hidden = false;
        this.#refusal.textContent = `The station's own figures are not shown: ${describeError(error)}`;
        return false;
      }
      this.#fields.get('uptime').textContent = `unavailable: ${describeError(error)}`;
      return true;
    }
    if (client !== this.#client) return false;
    for (const [key, element] of this.#fields) element.textContent = shown(key, info);
    this.#cluster.hidden = cluster === undefined;
    if (cluster) this.#renderCluster(cluster, info);
    const previous = this.#previous;
    this.#previous = info;
    if (previous !== undefined && info.uptime > previous.uptime) {
      const rate = Math.max(0, Math.round((info.treeVersion - previous.treeVersion) / (info.uptime - previous.uptime)));
      this.#rate.textContent = formatCount(rate);
      this.#chart.push(Date.now(), rate);
    }
    return true;
  }

  #renderCluster(cluster, info) {
    const now = Date.now();
    const stations = cluster.peers;
    for (const peer of stations) this.#noteHeartbeat(peer, now);
    const held = (id) => cluster.owners.filter((owner) => owner.owner === id).map((owner) => `/${owner.path}`);
    const replication = new Map(cluster.replication.map((entry) => [entry.station, entry]));
    const stationRows = stations.map((peer) => {
      const owned = held(peer.id);
      const rate = this.#heartbeats.get(peer.id)?.rate;
      return el(
        'tr',
        { dataset: { station: peer.id } },
        el('th', { scope: 'row' }, peer.url ? el('a', { href: peer.url }, peer.id) : peer.id, peer.id === cluster.station ? el('span', { className: 'muted' }, ' (this one)') : undefined),
        el('td', { className: peer.alive ? 'alive' : 'error-text' }, peer.alive ? 'alive' : 'silent'),
        el('td', { title: `a station silent for the lease (${cluster.leaseMs} ms) loses its prefixes to a replica` }, `${seconds(peer.silentMs)} of ${seconds(cluster.leaseMs)}`),
        el('td', { className: 'number', title: 'growth of its tree version between two heartbeats: its own writes and those it applies' }, rate === undefined ? '—' : formatCount(rate)),
        el('td', { className: 'number' }, `v${peer.version}`),
        // every station follows every other's stream (README "Cluster"): a copy of the rest
        el('td', {}, owned.length > 0 ? `owns ${owned.join(', ')}; a copy of the rest` : 'a copy of everything'),
      );
    });
    const ownerRows = cluster.owners.map(({ path, owner, epoch }) => {
      const replicas = stations.filter((peer) => peer.id !== owner).map((peer) => peer.id);
      const here = owner === cluster.station ? undefined : replication.get(owner);
      const ownerVersion = stations.find((peer) => peer.id === owner)?.version;
      const applied =
        owner === cluster.station ? `owner here (v${info.treeVersion})` : here ? `v${here.appliedVersion}${ownerVersion === undefined ? '' : ` of v${ownerVersion}`}` : 'not followed yet';
      const lag = here && here.lagMs.samples > 0 ? `${milliseconds(here.lagMs.p50)} / ${milliseconds(here.lagMs.p99)}` : '—';
      return el(
        'tr',
        { dataset: { prefix: path } },
        el('th', { scope: 'row', className: 'mono' }, `/${path}`),
        el('td', {}, owner, el('span', { className: 'muted' }, ` (epoch ${epoch})`)),
        el('td', {}, replicas.length > 0 ? replicas.join(', ') : 'none'),
        el('td', { className: 'number' }, applied),
        el('td', { className: 'number' }, lag),
      );
    });
    const header = (...names) => el('thead', {}, el('tr', {}, names.map((name) => el('th', { scope: 'col' }, name))));
    this.#cluster.replaceChildren(
      el('h3', {}, 'Cluster', el('span', { className: cluster.connected ? 'muted' : 'error-text' }, cluster.connected ? ' · NATS reached' : ' · NATS not reached: writes are refused')),
      el(
        'table',
        { className: 'cluster-table', 'aria-label': 'Stations' },
        el('caption', {}, 'Stations'),
        header('Station', 'State', 'Heartbeat age (of lease)', 'Versions/s', 'Version', 'Holds'),
        el('tbody', {}, stationRows),
      ),
      el(
        'table',
        { className: 'cluster-table', 'aria-label': 'Owned prefixes' },
        el('caption', {}, `Owned prefixes, as ${cluster.station} sees them`),
        header('Prefix', 'Owner', 'Replicas', `Applied on ${cluster.station}`, 'Lag p50 / p99'),
        el('tbody', {}, ownerRows),
      ),
    );
  }

  /** A station's versions per second, from the growth of its version between two of its heartbeats. */
  #noteHeartbeat(peer, now) {
    const at = now - peer.silentMs;
    const last = this.#heartbeats.get(peer.id);
    // the same heartbeat seen again (heartbeats come every lease/4, samples every second)
    if (last && Math.abs(at - last.at) < 50) return;
    const rate = last && at > last.at ? Math.max(0, Math.round(((peer.version - last.version) * 1000) / (at - last.at))) : undefined;
    this.#heartbeats.set(peer.id, { version: peer.version, at, rate });
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

/** A station.info field as the panel shows it. */
function shown(key, info) {
  const value = info[key];
  if (key === 'uptime') return formatDuration(value);
  if (key === 'connections' && info.transports) {
    const { websocket, sse, http } = info.transports;
    return `${formatCount(websocket)} WebSocket · ${formatCount(sse)} SSE · ${formatCount(http)} HTTP`;
  }
  return typeof value === 'number' ? formatCount(value) : String(value ?? '—');
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function milliseconds(ms) {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}
