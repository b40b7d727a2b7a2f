// Crash test (issue 5, "Done means"): a station in a child process takes single writes and
// transactions from concurrent clients that record what was acknowledged; it is killed with
// SIGKILL at a random moment, 20 times in a row. After each restart every acknowledged write
// is there, no transaction is half there, and versions only go up.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = 'dist/src/cli/main.js';
const ROUNDS = 20;
const WRITERS = 6;

const data = mkdtempSync(join(tmpdir(), 'grove-crash-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

function start(): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stderr!.on('data', (chunk) => (errors += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /grove station listening on (http:\/\/\S+)\n/.exec(output);
      if (match) resolve({ child, url: match[1]!, exited });
    });
    child.on('exit', () => reject(new Error(`the station exited before listening: ${output}${errors}`)));
  });
}

async function rpc(url: string, method: string, params: unknown): Promise<any> {
  const response = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = await response.json();
  if (reply.error) throw Object.assign(new Error(reply.error.message), { rpc: reply.error });
  return reply.result;
}

describe('store: crash recovery', () => {
  it(`keeps every acknowledged write through ${ROUNDS} SIGKILLs`, async () => {
    /** Per writer: the last counter acknowledged for its single key and its transaction. */
    const single = new Array<number>(WRITERS).fill(0);
    const transacted = new Array<number>(WRITERS).fill(0);
    let highest = 0; // the highest version acknowledged so far
    let acknowledged = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { child, url, exited } = await start();
      // after the restart: everything acknowledged is there, whole
      const tree = await rpc(url, 'tree.get', { path: '' }).catch(() => ({}));
      for (let w = 0; w < WRITERS; w++) {
        const s = tree.s?.[`w${w}`] ?? 0;
        expect(s, `round ${round}: writer ${w}'s single write`).toBeGreaterThanOrEqual(single[w]!);
        const t = tree.t?.[`w${w}`] ?? { a: 0, b: 0, c: 0 };
        expect(t.a, `round ${round}: writer ${w}'s transaction is whole`).toBe(t.b);
        expect(t.b).toBe(t.c);
        expect(t.a).toBeGreaterThanOrEqual(transacted[w]!);
        single[w] = s;
        transacted[w] = t.a;
      }
      const info = await rpc(url, 'station.info', {});
      expect(info.treeVersion, `round ${round}: versions only go up`).toBeGreaterThanOrEqual(highest);
      // writes until the kill
      let killed = false;
      const writer = async (w: number) => {
        while (!killed) {
          try {
            if (Math.random() < 0.5) {
              const n = single[w]! + 1;
              const { version } = await rpc(url, 'tree.set', { path: `s/w${w}`, value: n });
              expect(version).toBeGreaterThan(highest - 1_000_000); // sanity
              highest = Math.max(highest, version);
              single[w] = n;
            } else {
              const n = transacted[w]! + 1;
              const { version } = await rpc(url, 'tree.transact', {
                ops: ['a', 'b', 'c'].map((m) => ({ method: 'tree.set', params: { path: `t/w${w}/${m}`, value: n } })),
              });
              highest = Math.max(highest, version);
              transacted[w] = n;
            }
            acknowledged++;
          } catch {
            return; // the station is gone
          }
        }
      };
      const writing = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 250));
      child.kill('SIGKILL');
      killed = true;
      await exited;
      await Promise.all(writing);
    }
    expect(acknowledged).toBeGreaterThan(ROUNDS * 10);
  }, 90_000);
});
