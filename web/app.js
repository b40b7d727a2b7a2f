// The explorer page: connects to the station that served it (over WebSocket, with the token
// kept in this tab's session storage), subscribes to every change, and wires the tree, the
// node panel and the station panel together.
import { createClient } from '/client.js';
import { NodePanel } from './details.js';
import { describeError, el } from './format.js';
import { StationPanel } from './station.js';
import { TreeView } from './tree.js';

const TOKEN_KEY = 'grove.token';
const UNAUTHENTICATED = -32006;
/** Before trying again to reach a station that did not answer. */
const RETRY_MS = 5000;

const byId = (id) => document.getElementById(id);

let client;
let subscription;

function status(message) {
  byId('status').textContent = message;
}

/** Errors stay until dismissed: a refusal that vanished on its own could go unread. */
function showError(message) {
  const dismiss = el('button', { type: 'button', className: 'dismiss' }, 'Dismiss');
  const item = el('p', {}, el('span', {}, message), ' ', dismiss);
  dismiss.addEventListener('click', () => item.remove());
  byId('messages').append(item);
}

const tree = new TreeView(byId('tree'), {
  onSelect: (row) => panel.show(row),
  onChanged: () => panel.refresh(),
  onActivate: () => panel.focusEditor(),
  onDelete: () => panel.requestDelete(),
  onError: showError,
});
const panel = new NodePanel(byId('node-panel'), { tree, status });
const station = new StationPanel(byId('station-panel'), { onInfo: (info) => tree.setRootVersion(info.treeVersion) });

// -- the token ------------------------------------------------------------------------------

function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

function askForToken(reason) {
  const form = byId('token-form');
  byId('token-reason').textContent = reason;
  form.hidden = false;
  byId('token-input').focus();
}

byId('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, byId('token-input').value);
  byId('token-input').value = '';
  byId('token-form').hidden = true;
  connect();
});
byId('token-cancel').addEventListener('click', () => {
  byId('token-form').hidden = true;
});
byId('token-change').addEventListener('click', () => askForToken('The new token replaces the one in use.'));
byId('token-forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  status('The token is forgotten.');
  connect();
});

// -- the connection -------------------------------------------------------------------------

const STATE_TEXT = { connecting: 'connecting…', open: 'live', disconnected: 'reconnecting…', closed: 'closed' };

/** The socket's state, or (while the station refuses this page) why it is not live. */
function showState(state) {
  const shown = byId('connection');
  shown.dataset.state = state;
  shown.textContent = STATE_TEXT[state] ?? state;
}

async function connect() {
  const token = savedToken();
  byId('token-forget').hidden = token === undefined;
  client?.close();
  station.stop();
  const current = createClient({ url: location.origin, token, transport: 'ws' });
  client = current;
  showState(current.state);
  // once the station has refused this page, the socket being open is no news
  let refused = false;
  current.onStateChange((state) => client === current && !refused && showState(state));

  let info;
  try {
    info = await current.info();
  } catch (error) {
    if (client !== current) return;
    if (error?.code === UNAUTHENTICATED) {
      refused = true;
      showState('needs a token');
      askForToken(token === undefined ? 'Enter the token this station was started with.' : `The station refused the token: ${describeError(error)}`);
    } else {
      showError(`Cannot reach the station: ${describeError(error)}. Trying again in ${RETRY_MS / 1000} s.`);
      setTimeout(() => client === current && connect(), RETRY_MS);
    }
    return;
  }
  byId('station-name').textContent = `station ${info.id} · grove ${info.version}`;
  panel.client = current;
  // subscribed before the first load, so nothing changes unseen between the two
  await subscribe(current);
  await tree.attach(current);
  station.attach(current);
}

async function subscribe(current) {
  try {
    subscription = await current.subscribe('', (change) => {
      try {
        tree.applyChange(change);
        station.noteChange(change);
      } catch (error) {
        // a bug drawing one change must not end the subscription (onError below is for gaps)
        console.error('could not show a change', change, error);
      }
    }, {
      // the client resumes by itself after a reconnect or a slow spell; this is when it could
      // not (the station's change log no longer reaches back): start afresh with a full reload
      onError: (error) => {
        status(`Live updates resumed after a gap (${describeError(error)}); reloading.`);
        resubscribe(current);
      },
    });
  } catch (error) {
    showError(`Live updates are off: ${describeError(error)}`);
  }
}

async function resubscribe(current) {
  await subscription?.unsubscribe().catch(() => {});
  if (client !== current) return;
  await subscribe(current);
  await tree.reloadAll();
}

panel.show(undefined);
connect();
