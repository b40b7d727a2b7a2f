// Browser-facing requests checked before anything runs (README "Security"). Any page the user
// visits can make the browser send requests to a station on localhost or the local network;
// two headers tell such requests apart from the station's own pages and from programs:
//
// - Origin: a browser sends it with every WebSocket upgrade and every cross-origin (and
//   every POST) request. A request carrying one that is neither the station's own (the origin
//   of the Host it was sent to, or of --advertise) nor given with --cors is refused with 403.
//   Programs (curl, the CLI, the Node client, other stations) send none and are not affected.
// - Host: a page can point a name it controls at the station's address (DNS rebinding) and
//   then be "same origin" with it; the Host header still carries that name. A request for a
//   host the station does not answer to is refused with 403. It answers to IP addresses (a
//   page can send one only when it was itself loaded from that address), localhost and
//   *.localhost (which browsers resolve to this machine themselves), the name it listens on,
//   the host of --advertise, and every --allow-host.
import { isIP } from 'node:net';

import type { FastifyPluginAsync } from 'fastify';

import { ErrorCode, RpcError, sendRpcError } from '../rpc/index.js';

export interface OriginGuardOptions {
  /** Origins allowed besides the station's own (--cors). */
  cors?: readonly string[];
  /** The host the station listens on. */
  listen?: string;
  /** The URL it is reached at (--advertise): its origin and host are its own too. */
  advertise?: string;
  /** More host names it answers to (--allow-host). */
  allowHosts?: readonly string[];
}

/** What the guard lets in, checked and normalised (a TypeError names a malformed option). */
export interface AllowedRequests {
  origins: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
}

export function allowedRequests({ cors = [], listen, advertise, allowHosts = [] }: OriginGuardOptions): AllowedRequests {
  const advertised = advertise === undefined ? undefined : new URL(originOf(advertise, '--advertise'));
  const origins = [...cors.map((origin) => originOf(origin, '--cors')), ...(advertised ? [advertised.origin] : [])];
  const hosts = [
    ...(listen === undefined ? [] : [allowedHost(listen, '--host')]),
    ...(advertised ? [advertised.hostname] : []),
    ...allowHosts.map((host) => allowedHost(host, '--allow-host')),
  ];
  return { origins: new Set(origins), hosts: new Set(hosts) };
}

export const originGuard: FastifyPluginAsync<{ allowed: AllowedRequests }> = async (app, { allowed: { origins, hosts } }) => {
  const named = [...hosts].filter((host) => !answeredAnyway(host));
  app.addHook('onRequest', async (request, reply) => {
    const { host, origin } = request.headers;
    const name = host === undefined ? undefined : hostnameOf(host);
    if (host !== undefined && (name === undefined || !(answeredAnyway(name) || hosts.has(name)))) {
      const answered = ['IP addresses', 'localhost', ...named.map((known) => `"${known}"`)].join(', ');
      return sendRpcError(
        reply,
        403,
        new RpcError(
          ErrorCode.Forbidden,
          `this station does not answer to the host "${clip(host)}" (it answers to ${answered}), so that no web page can reach it ` +
            `under a name of its own: if that name is meant to reach it, start it with --allow-host ${clip(name ?? host)}`,
          { host },
        ),
      );
    }
    if (origin !== undefined && !origins.has(origin) && !sameOrigin(origin, host)) {
      return sendRpcError(
        reply,
        403,
        new RpcError(
          ErrorCode.Forbidden,
          `a page from ${clip(origin)} may not call this station: it serves pages of its own origin` +
            `${origins.size > 0 ? ` and of ${[...origins].join(', ')}` : ''}; start it with --cors ${clip(origin)} to let that origin in`,
          { origin },
        ),
      );
    }
  });
};
// applies to the whole app rather than to a context of its own (what fastify-plugin does)
(originGuard as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** The origin of a URL as a browser sends it in Origin (scheme://host[:port], default port left out). */
export function originOf(url: string, option: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${option}: "${url}" is not an origin: give scheme://host[:port], e.g. https://app.example`);
  }
  if (parsed.origin === 'null') throw new TypeError(`${option}: "${url}" has no origin: give an http or https URL`);
  return parsed.origin;
}

/** A host name as given to --allow-host or --host, lower case. */
function allowedHost(host: string, option: string): string {
  const name = host.includes(':') && isIP(host) === 6 ? `[${host}]` : host;
  if (name === '' || /[/:@\s]/.test(name.replace(/^\[.*\]$/, ''))) {
    throw new TypeError(`${option}: "${host}" is not a host name: give the name alone, without scheme or port (e.g. grove.example.com)`);
  }
  return name.toLowerCase().replace(/\.$/, '');
}

/** The host name of a Host header ("Example.com.:7070" is "example.com"), or undefined when it is none. */
function hostnameOf(host: string): string | undefined {
  try {
    const { hostname, username, pathname, search } = new URL(`http://${host}`);
    if (username !== '' || pathname !== '/' || search !== '' || hostname === '') return undefined;
    return hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

function answeredAnyway(hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0 || hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** Whether Origin names the host the request was sent to (scheme aside: TLS may end at a proxy in front). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const from = new URL(origin);
    return from.origin === origin && from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

function clip(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text).slice(1, -1);
}
