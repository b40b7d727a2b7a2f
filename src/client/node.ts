// `grove/client` in Node: the same client, with the `ws` package's WebSocket where Node has
// no global one (Node 20), so that callers need not pass one. The only file of src/client
// that imports a Node package; browsers get index.ts.
import WebSocket from 'ws';

import { setFallbackWebSocket } from './client.js';

setFallbackWebSocket(WebSocket);

export * from './index.js';
