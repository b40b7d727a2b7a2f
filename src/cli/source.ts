// A document to import, read from its file a piece at a time, as many times as the import
// reads it (check, then upload). Standard input is kept in a temporary file first, so it
// too can be checked whole before anything is written. Text must be UTF-8: a byte that is
// not is refused, never replaced.

import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

import { type DocumentOptions, type ImportFormat, readDocument } from '../codec/import.js';
import type { Locate, Position } from '../codec/jsonTokens.js';
import type { NodeSink } from '../codec/plan.js';

const PIECE_BYTES = 1 << 16;

export interface Piece {
  readonly text: string;
  /** Bytes of the file read so far, this piece included. */
  readonly bytes: number;
}

export class DocumentSource {
  private constructor(
    /** How messages name it: the file as given, or "standard input". */
    readonly name: string,
    readonly path: string,
    readonly size: number,
    private readonly spool: string | undefined,
  ) {}

  /** Opens a file, or ("-") standard input, kept in a temporary file as it comes; `onBytes` hears how much. */
  static async open(file: string, onBytes: (bytes: number) => void = () => {}): Promise<DocumentSource> {
    if (file !== '-') {
      const info = await stat(file).catch((error: Error) => {
        throw new Error(`cannot read ${file}: ${error.message}`);
      });
      if (!info.isFile()) throw new Error(`cannot read ${file}: it is not a file`);
      return new DocumentSource(file, file, info.size, undefined);
    }
    const dir = await mkdtemp(join(tmpdir(), 'grove-import-'));
    const path = join(dir, 'stdin.json');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        onBytes(bytes);
        done(null, chunk);
      },
    });
    try {
      await pipeline(process.stdin, counter, createWriteStream(path));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`cannot read standard input: ${(error as Error).message}`);
    }
    return new DocumentSource('standard input', path, bytes, dir);
  }

  /** The text from the start, a piece at a time. */
  async *pieces(): AsyncGenerator<Piece> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let bytes = 0;
    for await (const chunk of createReadStream(this.path, { highWaterMark: PIECE_BYTES })) {
      const text = this.#decode(decoder, chunk as Buffer, bytes, true);
      bytes += (chunk as Buffer).length;
      yield { text, bytes };
    }
    const rest = this.#decode(decoder, undefined, bytes, false);
    if (rest !== '') yield { text: rest, bytes };
  }

  /**
   * Reads the whole document into `sink`; `afterPiece` runs after each piece (the uploader
   * sends what is due there, so reading waits for the station).
   */
  async read(
    format: ImportFormat,
    sink: NodeSink,
    options: Omit<DocumentOptions, 'locate'> & { afterPiece?: (bytes: number) => Promise<void> | void } = {},
  ): Promise<void> {
    const { afterPiece, ...reading } = options;
    const reader = readDocument(format, sink, { ...reading, locate: this.locate });
    for await (const { text, bytes } of this.pieces()) {
      reader.write(text);
      await afterPiece?.(bytes);
    }
    reader.end();
  }

  /** The line and column of a character offset (as pieces() counts them), reading the file again: for errors only. */
  readonly locate: Locate = (offset) => {
    const decoder = new TextDecoder('utf-8');
    const buffer = Buffer.alloc(PIECE_BYTES);
    const fd = openSync(this.path, 'r');
    const position: Position = { line: 1, column: 1 };
    let seen = 0;
    try {
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, null);
        const text = decoder.decode(buffer.subarray(0, read), { stream: read > 0 });
        const upTo = Math.min(text.length, offset - seen);
        for (let i = 0; i < upTo; i++) {
          if (text.charCodeAt(i) === 0x0a) {
            position.line++;
            position.column = 1;
          } else {
            position.column++;
          }
        }
        seen += text.length;
        if (seen >= offset || read === 0) return position;
      }
    } finally {
      closeSync(fd);
    }
  };

  /** Removes what standard input was kept in. */
  async close(): Promise<void> {
    if (this.spool !== undefined) await rm(this.spool, { recursive: true, force: true });
  }

  #decode(decoder: TextDecoder, chunk: Buffer | undefined, offset: number, stream: boolean): string {
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw new Error(`${this.name} is not UTF-8 text: the bytes after byte ${offset} are no UTF-8 characters`);
    }
  }
}
