// The station's authorization on its own: tokens, path rules, owner signatures, rules files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as secp from '@noble/secp256k1';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuthorizerOptions,
  type Identity,
  type RulesFile,
  Authorizer,
  canonicalJson,
  loadAuthConfig,
  MemoryNonces,
  signWrite,
  writeOps,
} from '../src/auth/index.js';

const admin = 'admin-token-0123456789';
const aliceToken = 'alice-token-0123456789';
const readerToken = 'reader-token-0123456789';

const ownerKey = new Uint8Array(32).fill(1);
const otherKey = new Uint8Array(32).fill(2);
const ownerPublic = secp.etc.bytesToHex(secp.getPublicKey(ownerKey));

const rules: RulesFile = {
  tokens: {
    [aliceToken]: { name: 'alice', read: ['users'], write: ['users/alice'] },
    [readerToken]: { name: 'reader', read: [''] },
  },
  owners: { 'users/alice': ownerPublic, 'apps/shared': ownerPublic },
};

function authorizer(options: AuthorizerOptions = { tokens: [admin], rules }): Authorizer {
  return new Authorizer(options);
}

/** The error `run` throws, for asserting its code, message and path together. */
function caught(run: () => unknown): { code?: string; message: string; path?: string } {
  try {
    run();
  } catch (err) {
    return err as { code?: string; message: string; path?: string };
  }
  throw new Error('expected a throw');
}

describe('authenticate', () => {
  it('refuses a call without a token, saying how to send one', () => {
    const err = caught(() => authorizer().authenticate(undefined));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toContain('Authorization: Bearer <token>');
    expect(err.message).toContain('call auth first on WebSocket');
  });

  it('refuses a wrong token', () => {
    for (const token of ['wrong', '', `${admin}x`, admin.slice(0, -1)]) {
      const err = caught(() => authorizer().authenticate(token));
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toContain('unknown token');
    }
  });

  it('knows --token tokens by their place, never by anything derived from the token', () => {
    const identity = authorizer().authenticate(admin);
    expect(identity.token).toBe(admin);
    expect(identity.name).toBe('token #1');
    expect(identity.write).toEqual(['']);
    expect(identity.info).toBe(true);
    const second = new Authorizer({ tokens: ['first-token', 'second-token'] }).authenticate('second-token');
    expect(second.name).toBe('token #2');
  });

  it('knows rules tokens by their name, unnamed ones by their entry', () => {
    expect(authorizer().authenticate(aliceToken).name).toBe('alice');
    const unnamed = new Authorizer({ rules: { tokens: { 'tok-a': { name: 'a' }, 'tok-b': { read: ['x'] } } } });
    expect(unnamed.authenticate('tok-b').name).toBe('tokens entry #2');
  });

  it('grants station.info to a token given "info", or read access at the root', () => {
    const grants = new Authorizer({
      rules: { tokens: { 'tok-info': { name: 'ops', info: true }, 'tok-root': { name: 'reader', read: [''] }, 'tok-part': { name: 'part', read: ['a'] } } },
    });
    expect(() => grants.checkInfo(grants.authenticate('tok-info'), 'station.info')).not.toThrow();
    expect(() => grants.checkInfo(grants.authenticate('tok-root'), 'station.info')).not.toThrow();
    const refused = caught(() => grants.checkInfo(grants.authenticate('tok-part'), 'cluster.info'));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe('token "part" may not call cluster.info: give it "info": true in the rules file, or read access to the root');
  });

  it('lets everyone in when no token is configured (open mode)', () => {
    const open = authorizer({ rules: { owners: rules.owners } });
    expect(open.open).toBe(true);
    const identity = open.authenticate(undefined);
    expect(identity.name).toBe('open');
    expect(open.authenticate('anything')).toBe(identity);
    expect(() => open.check(identity, 'write', 'anything/at/all')).not.toThrow();
    // owned subtrees still need their owner's signature
    const unsigned = { method: 'tree.set', params: { path: 'users/alice', value: 1 } };
    expect(caught(() => open.verifyWrite(unsigned)).message).toMatch(/^missing signature/);
    expect(authorizer().open).toBe(false);
  });
});

describe('check', () => {
  const auth = authorizer();
  const alice = auth.authenticate(aliceToken);
  const reader = auth.authenticate(readerToken);
  const allowed = (identity: Identity, access: 'read' | 'write', path: string) => {
    try {
      auth.check(identity, access, path);
      return true;
    } catch (err) {
      expect((err as { code: string }).code).toBe('FORBIDDEN');
      return false;
    }
  };

  it('refuses a read-only token writing, naming the token, the access and the path', () => {
    const err = caught(() => auth.check(reader, 'write', 'users/bob'));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toBe('token "reader" may not write "users/bob": it has no write access');
    expect(err.path).toBe('users/bob');
    expect(allowed(reader, 'read', 'users/bob')).toBe(true);
  });

  it('matches prefixes by whole names', () => {
    expect(allowed(alice, 'write', 'users/alice')).toBe(true);
    expect(allowed(alice, 'write', 'users/alice/settings/theme')).toBe(true);
    expect(allowed(alice, 'write', '/users/alice')).toBe(true);
    expect(allowed(alice, 'write', 'users/al')).toBe(false);
    expect(allowed(alice, 'write', 'users/alicex')).toBe(false);
    expect(allowed(alice, 'write', 'users')).toBe(false);
    expect(allowed(alice, 'write', '')).toBe(false);
    expect(allowed(alice, 'read', 'users/bob')).toBe(true);
    expect(allowed(alice, 'read', 'usersx')).toBe(false);
    expect(allowed(alice, 'read', '')).toBe(false);
    expect(caught(() => auth.check(alice, 'write', 'users/bob')).message).toBe(
      'token "alice" may not write "users/bob": it may write "users/alice"',
    );
  });

  it('lets write imply read', () => {
    const writer = authorizer({ rules: { tokens: { t0123: { write: ['logs'] } } } }).authenticate('t0123');
    expect(writer.read).toEqual(['logs']);
    expect(allowed(writer, 'read', 'logs/today')).toBe(true);
    expect(allowed(writer, 'read', 'other')).toBe(false);
  });

  it('reads "" and "/" as everything', () => {
    for (const root of ['', '/']) {
      const everywhere = authorizer({ rules: { tokens: { t0123: { write: [root] } } } }).authenticate('t0123');
      for (const path of ['', '/', 'a', 'a/b/c']) expect(allowed(everywhere, 'write', path)).toBe(true);
    }
  });

  it('refuses paths a lenient reading could move past a prefix', () => {
    for (const path of ['users/alice/../bob', 'users/alice/./x', 'users//alice', 'users/alice/']) {
      expect(caught(() => auth.check(alice, 'write', path)).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('verifyWrite', () => {
  const set = { path: 'users/alice/name', value: 'Alice' };
  const otherPublic = secp.etc.bytesToHex(secp.getPublicKey(otherKey));

  /** The error verifyWrite throws, or undefined when the write may go ahead. */
  function refusal(auth: Authorizer, method: string, params: Record<string, unknown>) {
    try {
      auth.verifyWrite({ method, params });
      return undefined;
    } catch (err) {
      return err as { code: string; message: string; path?: string };
    }
  }

  it('lets unsigned writes outside owned subtrees through', () => {
    const auth = authorizer();
    for (const path of ['users/bob', 'users/al', 'users/alicex', 'apps/sharedx', 'apps/other/shared']) {
      expect(refusal(auth, 'tree.set', { path, value: 1 })).toBeUndefined();
    }
  });

  it('refuses a missing signature', () => {
    const err = refusal(authorizer(), 'tree.set', set);
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.message).toMatch(/^missing signature: tree\.set reaches "users\/alice"/);
    expect(err?.path).toBe('users/alice/name');
  });

  it('accepts a valid signature, also after a JSON round trip', () => {
    const auth = authorizer();
    const signed = signWrite(ownerKey, 'tree.set', set, 1);
    expect(signed.signature.sig).toMatch(/^[0-9a-f]{128}$/);
    expect(refusal(auth, 'tree.set', signed)).toBeUndefined();
    // signing replaces a stale signature; the station sees the params as JSON.parse made them
    const reordered = { value: 'Alice', signature: { sig: 'stale', nonce: 2 }, path: set.path };
    const received = JSON.parse(JSON.stringify(signWrite(ownerKey, 'tree.set', reordered, 2)));
    expect(refusal(auth, 'tree.set', received)).toBeUndefined();
  });

  it('accepts an owner given as a 65-byte key', () => {
    const uncompressed = secp.etc.bytesToHex(secp.getPublicKey(ownerKey, false));
    const auth = authorizer({ rules: { owners: { users: uncompressed } } });
    expect(refusal(auth, 'tree.set', signWrite(ownerKey, 'tree.set', set, 7))).toBeUndefined();
  });

  it('refuses a bad signature', () => {
    const { sig } = signWrite(ownerKey, 'tree.set', set, 1).signature;
    const flipped = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
    const err = refusal(authorizer(), 'tree.set', { ...set, signature: { nonce: 1, sig: flipped } });
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.message).toMatch(/^bad signature: /);
  });

  it('refuses a signature by another key', () => {
    const err = refusal(authorizer(), 'tree.set', signWrite(otherKey, 'tree.set', set, 1));
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.message).toMatch(/^bad signature: /);
  });

  it('refuses a tampered param, method or nonce', () => {
    const auth = authorizer();
    const signed = signWrite(ownerKey, 'tree.set', set, 1);
    const tampered: [string, Record<string, unknown>][] = [
      ['tree.set', { ...signed, value: 'Mallory' }],
      ['tree.set', { ...signed, ifVersion: 3 }],
      ['tree.patch', signed],
      ['tree.set', { ...signed, signature: { ...signed.signature, nonce: 2 } }],
    ];
    for (const [method, params] of tampered) {
      expect(refusal(auth, method, params)?.message).toMatch(/^bad signature: /);
    }
  });

  it('refuses a high-S twin of a valid signature', () => {
    const signed = signWrite(ownerKey, 'tree.set', set, 1);
    const { r, s } = secp.Signature.fromBytes(secp.etc.hexToBytes(signed.signature.sig));
    const highS = secp.etc.bytesToHex(new secp.Signature(r, secp.Point.CURVE().n - s).toBytes());
    const err = refusal(authorizer(), 'tree.set', { ...signed, signature: { nonce: 1, sig: highS } });
    expect(err?.message).toMatch(/^bad signature: /);
  });

  it('refuses a replayed and a lower nonce, per owner key', () => {
    const auth = authorizer();
    const at = (nonce: number, path = set.path) => signWrite(ownerKey, 'tree.set', { ...set, path }, nonce);
    expect(refusal(auth, 'tree.set', at(10))).toBeUndefined();
    for (const params of [at(10), at(9), at(10, 'apps/shared/x')]) {
      const err = refusal(auth, 'tree.set', params);
      expect(err?.code).toBe('FORBIDDEN');
      expect(err?.message).toMatch(/^replayed nonce: \d+ is not greater than 10/);
    }
    // a refused write does not consume its nonce; one number per key covers both its subtrees
    expect(refusal(auth, 'tree.set', at(11, 'apps/shared/x'))).toBeUndefined();
    expect(refusal(auth, 'tree.set', at(11))?.message).toMatch(/^replayed nonce/);
  });

  it('keeps nonces in the store it is given, so a restart cannot replay', () => {
    const nonces = new MemoryNonces();
    const signed = signWrite(ownerKey, 'tree.set', set, 5);
    expect(refusal(authorizer({ rules, nonces }), 'tree.set', signed)).toBeUndefined();
    expect(nonces.last(ownerPublic)).toBe(5);
    expect(refusal(authorizer({ rules, nonces }), 'tree.set', signed)?.message).toMatch(/^replayed nonce/);
  });

  it('refuses a malformed signature as an invalid argument', () => {
    const auth = authorizer();
    const { sig } = signWrite(ownerKey, 'tree.set', set, 1).signature;
    const malformed = ['abc', { nonce: 1 }, { nonce: 0, sig }, { nonce: 1.5, sig }, { nonce: 1, sig: sig.slice(1) }];
    for (const signature of malformed) {
      expect(refusal(auth, 'tree.set', { ...set, signature })?.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('requires the owner to sign writes at an ancestor that may replace the owned subtree', () => {
    const auth = authorizer();
    const needsSignature = (method: string, params: Record<string, unknown>) =>
      refusal(auth, method, params)?.message.startsWith('missing signature') ?? false;
    expect(needsSignature('tree.set', { path: '', value: {} })).toBe(true);
    expect(needsSignature('tree.set', { path: '/', value: {} })).toBe(true);
    expect(needsSignature('tree.delete', { path: 'users' })).toBe(true);
    expect(needsSignature('tree.patch', { path: 'users', value: { bob: 1 } })).toBe(true);
    expect(needsSignature('tree.add', { path: 'users', name: 'alice', value: {} })).toBe(true);
    // these leave every existing child as it is
    expect(needsSignature('tree.sort', { path: 'users', member: 'age' })).toBe(false);
    expect(needsSignature('tree.add', { path: 'users', value: {} })).toBe(false);
    expect(needsSignature('tree.add', { path: 'users', name: 'bob', value: {} })).toBe(false);
    expect(refusal(auth, 'tree.delete', signWrite(ownerKey, 'tree.delete', { path: 'users' }, 1))).toBeUndefined();
  });

  it('signs a tree.transact once for all its ops, and refuses one reaching two owners', () => {
    const auth = authorizer({ rules: { owners: { 'users/alice': ownerPublic, 'users/bob': otherPublic } } });
    const ops = [
      { method: 'tree.set', params: { path: 'users/carol', value: 1 } },
      { method: 'tree.increment', params: { path: 'users/alice/visits', by: 1 } },
    ];
    expect(refusal(auth, 'tree.transact', { ops })?.message).toMatch(/^missing signature/);
    expect(refusal(auth, 'tree.transact', signWrite(ownerKey, 'tree.transact', { ops }, 1))).toBeUndefined();
    const both = [...ops, { method: 'tree.set', params: { path: 'users/bob/x', value: 1 } }];
    const err = refusal(auth, 'tree.transact', signWrite(ownerKey, 'tree.transact', { ops: both }, 2));
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.message).toContain('owned by different keys');
    expect(refusal(auth, 'tree.set', { path: '', value: {} })?.message).toContain('owned by different keys');
  });

  it('lists the writes of a call, refusing ones without a path', () => {
    expect(writeOps('tree.set', { path: '/a/b', value: 1 }).map((op) => op.path)).toEqual(['a/b']);
    const ops = [
      { method: 'tree.delete', params: { path: 'x' } },
      { method: 'tree.set', params: { path: 'y', value: 2 } },
    ];
    expect(writeOps('tree.transact', { ops }).map((op) => `${op.method} ${op.path}`)).toEqual([
      'tree.delete x',
      'tree.set y',
    ]);
    expect(caught(() => writeOps('tree.transact', { ops: [{ method: 'tree.set', params: {} }] })).message).toBe(
      'params.ops.0.params.path must be a string',
    );
    expect(caught(() => writeOps('tree.set', { path: 'a/../b' })).code).toBe('INVALID_ARGUMENT');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }, 'x'], '10': 0, '9': 0 })).toBe(
      '{"10":0,"9":0,"a":[{"c":null,"d":true},"x"],"b":1}',
    );
    expect(canonicalJson({ z: 'é\n"', y: 1e21, x: -0, w: undefined })).toBe('{"x":0,"y":1e+21,"z":"é\\n\\""}');
  });

  it('writes a bigint (an integer past 2^53 from a request) as its integer literal', () => {
    expect(canonicalJson({ big: 18446744073709551615n, small: -(2n ** 63n) })).toBe('{"big":18446744073709551615,"small":-9223372036854775808}');
  });

  it('refuses what is not a JSON value', () => {
    for (const value of [Number.NaN, Infinity, Symbol('x'), undefined, new Date(0), [() => 1]]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });
});

describe('rules files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-auth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  const file = (text: string) => {
    const path = join(dir, `rules-${count++}.json`);
    writeFileSync(path, text);
    return path;
  };
  const loadError = (text: string, tokens: string[] = []) => {
    const rulesFile = file(text);
    const err = caught(() => loadAuthConfig({ tokens, rulesFile }));
    expect(err.message.startsWith(rulesFile)).toBe(true);
    return err.message.slice(rulesFile.length + 2);
  };

  it('loads a valid file', () => {
    const auth = loadAuthConfig({ tokens: [admin], rulesFile: file(JSON.stringify(rules)) });
    expect(auth.authenticate(aliceToken).write).toEqual(['users/alice']);
    const params = { path: 'users/alice', value: 1 };
    expect(() => auth.verifyWrite({ method: 'tree.set', params })).toThrow(/missing signature/);
    expect(loadAuthConfig({ tokens: [] }).open).toBe(true);
  });

  it('refuses bad JSON and a missing file', () => {
    expect(loadError('{"tokens": {')).toMatch(/^not valid JSON: /);
    const missing = join(dir, 'missing.json');
    expect(() => loadAuthConfig({ tokens: [], rulesFile: missing })).toThrow(`cannot read rules file ${missing}`);
  });

  it('refuses unknown keys', () => {
    expect(loadError('{"token": {}}')).toBe('unknown key "token" (expected "tokens" and "owners")');
    expect(loadError('{"tokens": {"t0123": {"name": "bob", "writes": ["a"]}}}')).toBe(
      'tokens entry #1 ("bob"): unknown key "writes" (expected "name", "read", "write" and "info")',
    );
  });

  it('refuses prefixes that are not arrays of path prefixes', () => {
    expect(loadError('{"tokens": {"t0123": {"read": "users"}}}')).toBe(
      'tokens entry #1: "read" must be an array of path prefixes, got "users"',
    );
    expect(loadError('{"tokens": {"a1": {}, "t0123": {"name": "bob", "write": [1]}}}')).toBe(
      'tokens entry #2 ("bob"): "write" has 1, which is not a path prefix string',
    );
    expect(loadError('{"tokens": {"t0123": {"write": ["users/"]}}}')).toBe(
      'tokens entry #1: "write": path "users/" has an empty name',
    );
    expect(loadError('[]')).toBe('the rules must be a JSON object with "tokens" and/or "owners"');
    expect(loadError('{"tokens": []}')).toBe('"tokens" must be an object mapping each token to its rule');
    expect(loadError('{"tokens": {"t0123": {"name": ""}}}')).toBe(
      'tokens entry #1: "name" must be a non-empty string',
    );
  });

  it('refuses tokens that cannot be sent, or repeat a --token, without printing them', () => {
    expect(loadError('{"tokens": {"has space": {"name": "bob"}}}')).toBe(
      'tokens entry #1 ("bob"): a token must be printable ASCII without spaces, as a bearer token is',
    );
    const message = loadError(`{"tokens": {"${admin}": {"read": []}}}`, [admin]);
    expect(message).toBe('the token of tokens entry #1 is also given by --token, which grants everything');
    expect(() => new Authorizer({ tokens: [''] })).toThrow('--token: a token must not be empty');
  });

  it('refuses invalid public keys and nested owners', () => {
    const offCurve = `02${'00'.repeat(32)}`;
    for (const key of ['abc', ownerPublic.slice(2), offCurve, 42]) {
      expect(loadError(JSON.stringify({ owners: { apps: key } }))).toBe(
        `owners entry "apps": ${JSON.stringify(key)} is not a secp256k1 public key (33 or 65 bytes in hex)`,
      );
    }
    expect(loadError(JSON.stringify({ owners: { apps: ownerPublic, 'apps/x': ownerPublic } }))).toBe(
      'owners entry "apps/x" lies inside owned "apps"; a subtree has one owner',
    );
    expect(loadError(JSON.stringify({ owners: { '/apps': ownerPublic, apps: ownerPublic } }))).toBe(
      'owners lists "apps" twice (a leading "/" is ignored)',
    );
  });
});
