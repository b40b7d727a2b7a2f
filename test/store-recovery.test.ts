// The store's recovery from what crashes and damage leave (issue 14): the LOCK taken by
// exactly one of several processes at once, also over a dead holder's; a damaged newest
// snapshot falling back to the one before; every crash shape (a torn record at any
// segment's end, an empty or zeroed new segment, preallocated zeros, garbage after the last
// good record) recovered without --repair, while damage in the middle still stops the start.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { listDir, lockDir, segmentName, snapshotName } from '../src/store/log.js';
import { recordOf } from '../src/store/records.js';
import { Store } from '../src/store/store.js';
import { Tree } from '../src/tree.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-recovery-'));
  dirs.push(dir);
  return dir;
}

/** A store on `dir` with a tree whose writes it logs; `write` resolves once durable. */
function openStore(dir: string, log: (line: string) => void = () => {}) {
  const tree = Tree.create();
  const { store } = Store.open(dir, tree, { log });
  tree.setFeed('records');
  const write = async (apply: () => unknown) => {
    apply();
    await store.record(recordOf(tree.takeChanges(), 't'));
  };
  const snapshot = () => store.snapshot();
  const close = async () => {
    await store.close();
    tree.setFeed('off');
    tree.close();
  };
  return { tree, store, write, snapshot, close };
}

/** The tree a directory holds, as typed JSON, opened and closed again (or the error that stops the start). */
async function recovered(dir: string, log: (line: string) => void = () => {}): Promise<string> {
  const { tree, close } = openStore(dir, log);
  const text = tree.exportJSON('', 'typed');
  await close();
  return text;
}

describe('store: the LOCK', () => {
  /** A process that takes the lock when told to go, says whether it got it, and holds it until told to stop. */
  function locker(dir: string): { child: ChildProcess; ready: Promise<void>; answer: Promise<string> } {
    const script = `
      const { lockDir } = await import(${JSON.stringify(new URL('../dist/src/store/log.js', import.meta.url).href)});
      process.stdout.write('ready\\n');
      let input = '';
      process.stdin.on('data', (chunk) => {
        input += chunk;
        const go = /go (\\d+)/.exec(input);
        if (go && !globalThis.tried) {
          globalThis.tried = true;
          // every process takes the lock at the same moment of the clock
          while (Date.now() < Number(go[1])) {}
          try { lockDir(${JSON.stringify(dir)}); process.stdout.write('held\\n'); } catch (e) { process.stdout.write('refused ' + e.message + '\\n'); }
        }
        if (input.includes('stop')) process.exit(0);
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    const seen = (word: string) =>
      new Promise<string>((resolve) => {
        const check = () => {
          const line = output.split('\n').find((l) => l.startsWith(word));
          if (line !== undefined) resolve(line);
        };
        child.stdout!.on('data', (chunk) => {
          output += chunk;
          check();
        });
        check();
      });
    return {
      child,
      ready: seen('ready').then(() => undefined),
      answer: Promise.race([seen('held'), seen('refused')]),
    };
  }

  /** The pid of a process that has exited (and been reaped). */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    return child.pid!;
  }

  it('is held by exactly one of 4 processes started at once, also over a dead holder\'s lock', async () => {
    const trials = 12;
    for (let trial = 0; trial < trials; trial++) {
      const dir = dataDir();
      // most trials find a dead holder's lock, the others none
      if (trial % 4 !== 3) writeFileSync(join(dir, 'LOCK'), `${await deadPid()}\n`);
      const lockers = Array.from({ length: 4 }, () => locker(dir));
      try {
        await Promise.all(lockers.map((l) => l.ready));
        const at = Date.now() + 100;
        for (const l of lockers) l.child.stdin!.write(`go ${at}\n`);
        const answers = await Promise.all(lockers.map((l) => l.answer));
        expect(answers.filter((a) => a === 'held'), `trial ${trial}: ${answers.join('; ')}`).toHaveLength(1);
        for (const refused of answers.filter((a) => a !== 'held')) expect(refused).toMatch(/is in use by process \d+/);
      } finally {
        for (const l of lockers) l.child.stdin!.end('stop\n');
        await Promise.all(lockers.map((l) => new Promise((resolve) => (l.child.exitCode !== null ? resolve(0) : l.child.on('exit', resolve)))));
      }
    }
  }, 120_000);

  it('is taken over from a dead holder, refused while the holder lives, and free again once released', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'LOCK'), `${await deadPid()}\n`);
    const release = lockDir(dir);
    const other = locker(dir);
    await other.ready;
    other.child.stdin!.write(`go ${Date.now()}\n`);
    expect(await other.answer).toMatch(new RegExp(`in use by process ${process.pid}`));
    other.child.stdin!.end('stop\n');
    release();
    lockDir(dir)();
  });
});

describe('store: a damaged newest snapshot', () => {
  it('falls back to the snapshot before it, with a log line', async () => {
    const dir = dataDir();
    const { tree, write, snapshot, close } = openStore(dir);
    for (let i = 0; i < 20; i++) await write(() => tree.set(`a/${i}`, i));
    await snapshot();
    for (let i = 0; i < 20; i++) await write(() => tree.set(`b/${i}`, `x${i}`));
    await snapshot();
    for (let i = 0; i < 5; i++) await write(() => tree.set(`c/${i}`, i));
    const expected = tree.exportJSON('', 'typed');
    await close();
    const newest = listDir(dir).snapshots.at(-1)!;
    expect(listDir(dir).snapshots).toHaveLength(2);
    const file = join(dir, snapshotName(newest));
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0x20;
    writeFileSync(file, bytes);

    const lines: string[] = [];
    expect(await recovered(dir, (line) => lines.push(line))).toBe(expected);
    expect(lines.join('\n')).toMatch(new RegExp(`snapshot ${file} is damaged.*set aside as .damaged; rebuilding from snapshot-`));
    expect(existsSync(`${file}.damaged`)).toBe(true);
    // and the next start is an ordinary one
    expect(await recovered(dir)).toBe(expected);
  });

  it('falls back to the log from its start when the only snapshot is damaged', async () => {
    const dir = dataDir();
    const { tree, write, snapshot, close } = openStore(dir);
    for (let i = 0; i < 10; i++) await write(() => tree.set(`a/${i}`, i));
    await snapshot();
    await write(() => tree.delete('a/3'));
    const expected = tree.exportJSON('', 'typed');
    await close();
    const file = join(dir, snapshotName(listDir(dir).snapshots[0]!));
    writeFileSync(file, readFileSync(file).subarray(0, 40));
    expect(await recovered(dir)).toBe(expected);
  });

  it('stops the start, naming the snapshot, when the log it needs is gone', async () => {
    const dir = dataDir();
    const { tree, write, snapshot, close } = openStore(dir);
    await write(() => tree.set('a', 1));
    await snapshot();
    await write(() => tree.set('b', 2));
    await close();
    rmSync(join(dir, segmentName(1)));
    const file = join(dir, snapshotName(listDir(dir).snapshots[0]!));
    writeFileSync(file, 'not a snapshot');
    await expect(recovered(dir)).rejects.toThrow(new RegExp(`snapshot ${file} has no readable header.*the log .* is gone`));
  });
});

describe('store: a snapshot written in pieces', () => {
  it('keeps a character whose surrogate pair a piece boundary falls between', async () => {
    // a run of astral characters longer than a piece (2^22 UTF-16 units), once at an even and once
    // at an odd offset: in one of the two the boundary falls between the halves of a pair
    const run = '\u{1F600}'.repeat(2 ** 21 + 7);
    for (const value of [run, `a${run}`]) {
      const dir = dataDir();
      const { tree, write, snapshot, close } = openStore(dir);
      await write(() => tree.set('s', value));
      await snapshot();
      const expected = tree.exportJSON('', 'typed');
      await close();
      expect(listDir(dir).snapshots).toHaveLength(1);
      // the log's records up to the snapshot's version are skipped: the value is the snapshot's
      expect(await recovered(dir)).toBe(expected);
    }
  });
});

describe('store: every shape a crash leaves', () => {
  /** A directory whose first segment holds 12 records (a/0..a/11), and the tree after each. */
  async function logged(): Promise<{ dir: string; states: string[]; file: string; ends: number[] }> {
    const dir = dataDir();
    const { tree, write, close } = openStore(dir);
    const states = [tree.exportJSON('', 'typed')];
    const ends: number[] = [0];
    const file = join(dir, segmentName(1));
    for (let i = 0; i < 12; i++) {
      await write(() => tree.set(`a/${i}`, 'v'.repeat(i * 7)));
      states.push(tree.exportJSON('', 'typed'));
      ends.push(readFileSync(file).length);
    }
    await close();
    return { dir, states, file, ends };
  }

  it('a torn last record in the older segment and an empty newer one (a crash at a segment switch)', async () => {
    const { dir, states, file, ends } = await logged();
    truncateSync(file, ends[12]! - 5);
    writeFileSync(join(dir, segmentName(2)), '');
    const lines: string[] = [];
    expect(await recovered(dir, (line) => lines.push(line))).toBe(states[11]);
    expect(lines.join('\n')).toMatch(new RegExp(`dropped a torn last record in ${file} at offset ${ends[11]}`));
    // writes go on, and come back
    const { tree, write, close } = openStore(dir);
    await write(() => tree.set('after', true));
    const after = tree.exportJSON('', 'typed');
    await close();
    expect(await recovered(dir)).toBe(after);
  });

  it('a torn record in the older segment and a newer one of preallocated zeros', async () => {
    const { dir, states, file, ends } = await logged();
    truncateSync(file, ends[9]! + 3);
    writeFileSync(join(dir, segmentName(2)), Buffer.alloc(8192));
    expect(await recovered(dir)).toBe(states[9]);
  });

  it('preallocated zeros after the last record', async () => {
    const { dir, states, file } = await logged();
    appendFileSync(file, Buffer.alloc(65536));
    expect(await recovered(dir)).toBe(states[12]);
  });

  it('non-zero garbage after the last good record of the last segment', async () => {
    const { dir, states, file, ends } = await logged();
    truncateSync(file, ends[10]!);
    appendFileSync(file, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) % 251 | 1)));
    const lines: string[] = [];
    expect(await recovered(dir, (line) => lines.push(line))).toBe(states[10]);
    expect(lines.join('\n')).toMatch(/dropped a torn last record/);
  });

  it('still stops the start on damage with good records after it, naming file and offset', async () => {
    const { dir, file, ends } = await logged();
    const bytes = readFileSync(file);
    bytes[ends[5]! + 14] ^= 0x01;
    writeFileSync(file, bytes);
    await expect(recovered(dir)).rejects.toThrow(new RegExp(`the log is damaged: ${file} at offset ${ends[5]} has a record whose checksum does not match`));
  });

  it('still stops the start on a torn older segment when a newer one holds records', async () => {
    const dir = dataDir();
    const { tree, write, store, close } = openStore(dir);
    for (let i = 0; i < 4; i++) await write(() => tree.set(`a/${i}`, i));
    await store.snapshot();
    await write(() => tree.set('b', 1));
    await close();
    const older = join(dir, segmentName(1));
    truncateSync(older, readFileSync(older).length - 3);
    // the snapshot holds segment 1: without it, segment 1 is read again from the start
    for (const v of listDir(dir).snapshots) rmSync(join(dir, snapshotName(v)));
    await expect(recovered(dir)).rejects.toThrow(new RegExp(`the log is damaged: ${older} at offset \\d+`));
  });

  it('random tails: whatever a crash leaves after any record is dropped, and every record before it kept', async () => {
    const shapes = ['cut', 'zeros', 'garbage', 'cut+empty', 'cut+zeros'] as const;
    const { dir, states, file, ends } = await logged();
    const whole = readFileSync(file);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 200 }), fc.constantFrom(...shapes), async (kept, cut, shape) => {
        rmSync(join(dir, segmentName(2)), { force: true });
        // a record torn `cut` bytes into it (cut short of its end), or a tail of zeros or garbage after record `kept`
        const tornAt = Math.min(ends[kept]! + cut, ends[kept + 1]! - 1);
        const start = shape.startsWith('cut') ? whole.subarray(0, tornAt) : whole.subarray(0, ends[kept]);
        const tail = shape === 'zeros' ? Buffer.alloc(cut * 10) : shape === 'garbage' ? Buffer.from(Array.from({ length: cut * 10 }, (_, i) => ((i + cut) * 97) % 255 | 1)) : Buffer.alloc(0);
        writeFileSync(file, Buffer.concat([start, tail]));
        if (shape === 'cut+empty') writeFileSync(join(dir, segmentName(2)), '');
        if (shape === 'cut+zeros') writeFileSync(join(dir, segmentName(2)), Buffer.alloc(cut * 20));
        expect(await recovered(dir)).toBe(states[kept]);
      }),
      { numRuns: 40 },
    );
  });
});
