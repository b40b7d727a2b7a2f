// The explorer page: connects to the station that served it (over WebSocket, with the token
// kept in this tab's session storage), learns what the token may do, starts the tree at
// `?path=` (or, for a token limited to some prefixes, at the first it may read), subscribes
// to every change there, and wires the tree, the node panel and the station panel together.
import { createClient, RpcErrorCode } from '/client.js';
import { NodePanel } from './details.js';
import { describeError, el } from './format.js';
import { StationPanel } from './station.js';
import { TreeView } from './tree.js';

const TOKEN_KEY = 'grove.token';
const UNAUTHENTICATED = RpcErrorCode.Unauthenticated;
/** Before trying again to reach a station that did not answer. */
const RETRY_MS = 5000;

const byId = (id) => document.getElementById(id);

let client;
/** What the token may do (the auth call's answer), or undefined on an open station (everything). */
let grants;
/** The path the tree starts at. */
let start = '';
let subscription;
/** Why live updates are off, while they are: the subscription failed or ended. */
let notLive;
/** Set once the station refused the token: the socket being open is no news then. */
let refused = false;

function status(message) {
  byId('status').textContent = message;
}

/** Errors stay until dismissed: a refusal that vanished on its own could go unread. */
function showError(message, ...extra) {
  const dismiss = el('button', { type: 'button', className: 'dismiss' }, 'Dismiss');
  const item = el('p', {}, el('span', {}, message), ...extra, ' ', dismiss);
  dismiss.addEventListener('click', () => item.remove());
  byId('messages').append(item);
}

function clearErrors() {
  byId('messages').replaceChildren();
}

const tree = new TreeView(byId('tree'), {
  onSelect: (row) => panel.show(row),
  onChanged: () => panel.refresh(),
  onActivate: () => panel.focusEditor(),
  onDelete: () => panel.requestDelete(),
  onError: showError,
});
const panel = new NodePanel(byId('node-panel'), { tree, status });
const station = new StationPanel(byId('station-panel'));

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

// -- where the tree starts ------------------------------------------------------------------

/** A path as typed or in the URL: without its leading and trailing '/'. */
function cleanPath(text) {
  return (text ?? '').trim().replace(/^\/+|\/+$/g, '');
}

/** The prefixes the token may read ("" for everything). */
function readable() {
  return grants?.read ?? [''];
}

/** Where to start when the URL does not say: the root, or the first prefix a limited token may read. */
function defaultStart() {
  const prefixes = readable();
  return prefixes.includes('') ? '' : (prefixes[0] ?? '');
}

function showStartBox() {
  byId('start-path').value = start === '' ? '/' : `/${start}`;
  const choices = readable().map((prefix) => el('option', { value: prefix === '' ? '/' : `/${prefix}` }));
  byId('start-paths').replaceChildren(...choices);
}

byId('start-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const path = cleanPath(byId('start-path').value);
  const url = new URL(location.href);
  if (path === '') url.searchParams.delete('path');
  else url.searchParams.set('path', path);
  history.pushState(null, '', url);
  openAt(path);
});
window.addEventListener('popstate', () => openAt(cleanPath(new URLSearchParams(location.search).get('path')) || defaultStart()));

/** Links to the subtrees the token may read, for an error that says it may not read where it is. */
function readableLinks() {
  const prefixes = readable();
  if (prefixes.length === 0) return [];
  return [
    ' It may read: ',
    ...prefixes.flatMap((prefix, i) => [
      i > 0 ? ', ' : '',
      el('a', { href: `?path=${encodeURIComponent(prefix)}` }, prefix === '' ? '/' : `/${prefix}`),
    ]),
    '.',
  ];
}

// -- the connection -------------------------------------------------------------------------

const STATE_TEXT = { connecting: 'connecting…', open: 'live', disconnected: 'reconnecting…', closed: 'closed' };

/**
 * The badge: live only while the socket is open and the subscription to the start path is on;
 * otherwise what is wrong (reconnecting, the token refused, updates off and why).
 */
function showState() {
  const shown = byId('connection');
  const socket = client?.state ?? 'connecting';
  let state = socket;
  let text = STATE_TEXT[socket] ?? socket;
  let reason = '';
  if (refused) {
    state = 'needs a token';
    text = state;
  } else if (socket === 'open' && notLive !== undefined) {
    state = 'not live';
    text = 'not live';
    reason = notLive;
  } else if (socket === 'open' && subscription === undefined) {
    state = 'connecting';
    text = 'subscribing…';
  }
  shown.dataset.state = state;
  shown.textContent = text;
  shown.title = reason;
}

async function connect() {
  const token = savedToken();
  byId('token-forget').hidden = token === undefined;
  client?.close();
  station.stop();
  subscription = undefined;
  notLive = undefined;
  refused = false;
  const current = createClient({ url: location.origin, token, transport: 'ws' });
  client = current;
  showState();
  current.onStateChange(() => client === current && showState());

  let info;
  try {
    // what the token may do; an open station (no token) lets everyone do everything
    grants = token === undefined ? undefined : await current.call('auth', { token });
    info = grants === undefined || grants.info ? await current.info() : undefined;
  } catch (error) {
    if (client !== current) return;
    if (error?.code === UNAUTHENTICATED) {
      refused = true;
      showState();
      askForToken(token === undefined ? 'Enter the token this station was started with.' : `The station refused the token: ${describeError(error)}`);
    } else {
      showError(`Cannot reach the station: ${describeError(error)}. Trying again in ${RETRY_MS / 1000} s.`);
      setTimeout(() => client === current && connect(), RETRY_MS);
    }
    return;
  }
  byId('station-name').textContent = info ? `station ${info.id} · grove ${info.version}` : grants ? `signed in as ${grants.name}` : '';
  panel.client = current;
  station.attach(current);
  const asked = cleanPath(new URLSearchParams(location.search).get('path'));
  if (asked === '' && !readable().includes('')) {
    status(`This token may read ${readable().map((prefix) => `/${prefix}`).join(', ') || 'nothing'} only: the tree starts at what it may read.`);
  }
  await openAt(asked || defaultStart());
}

/** Shows the tree from `path`, with live updates for it. */
async function openAt(path) {
  const current = client;
  start = path;
  showStartBox();
  clearErrors();
  await subscription?.unsubscribe().catch(() => {});
  subscription = undefined;
  notLive = undefined;
  showState();
  // subscribed before the first load, so nothing changes unseen between the two
  await subscribe(current, path);
  try {
    await tree.attach(current, path);
  } catch (error) {
    // one message for a path the token may not read, not one per thing that failed there
    if (client === current && start === path) showError(`Cannot show ${path === '' ? 'the root' : `/${path}`}: ${describeError(error)}.`, ...readableLinks());
    return;
  }
  if (client === current && start === path && notLive !== undefined) showError(`Live updates are off: ${notLive}`);
}

async function subscribe(current, path) {
  try {
    const opened = await current.subscribe(path, (change) => {
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
        if (client !== current || subscription !== opened) return;
        notLive = describeError(error);
        showState();
        status(`Live updates resumed after a gap (${describeError(error)}); reloading.`);
        resubscribe(current, path);
      },
    });
    if (client !== current || start !== path) return opened.unsubscribe().catch(() => {});
    subscription = opened;
  } catch (error) {
    if (client !== current || start !== path) return;
    notLive = describeError(error);
  }
  showState();
}

async function resubscribe(current, path) {
  await subscription?.unsubscribe().catch(() => {});
  subscription = undefined;
  notLive = undefined;
  if (client !== current || start !== path) return;
  await subscribe(current, path);
  await tree.reloadAll();
}

panel.show(undefined);
connect();
