import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { openStation } from './helpers/station.js';

describe('CORS', () => {
  let station: Station;
  beforeAll(async () => {
    station = await openStation({ corsOrigins: ['https://app.example'] });
  });
  afterAll(() => station.close());

  const preflight = (origin: string) =>
    fetch(`${station.url}/rpc`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('lets a configured origin call /rpc from a browser', async () => {
    const reply = await preflight('https://app.example');
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('gives any other origin no permission', async () => {
    const reply = await preflight('https://elsewhere.example');
    expect(reply.status).toBe(403);
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers by default, and refuses the other origin with 403', async () => {
    const plain = await openStation();
    try {
      const reply = await fetch(`${plain.url}/rpc`, {
        method: 'POST',
        headers: { origin: 'https://app.example', 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'station.info' }),
      });
      expect(reply.status).toBe(403);
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
