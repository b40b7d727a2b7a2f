// Progress of a long transfer on stderr: nodes done of total, percent and rate, redrawn
// in place on a terminal and written as lines elsewhere, at most 10 times a second.

const INTERVAL_MS = 100;

export interface ProgressOptions {
  readonly total: number;
  readonly stream: NodeJS.WriteStream;
  /** Report even when the stream is not a terminal (--progress). */
  readonly force: boolean;
  readonly label: string;
}

export class Progress {
  readonly #started = performance.now();
  readonly #enabled: boolean;
  readonly #inPlace: boolean;
  #lastDrawn: number;
  #drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.#inPlace = options.stream.isTTY === true;
    this.#enabled = options.force || this.#inPlace;
    // asked for, it shows from the first step; on a terminal only once a transfer takes a while
    this.#lastDrawn = options.force ? -Infinity : this.#started;
  }

  update(done: number): void {
    if (!this.#enabled) return;
    const now = performance.now();
    const last = done >= this.options.total && this.#drawn;
    if (now - this.#lastDrawn < INTERVAL_MS && !last) return;
    this.#lastDrawn = now;
    this.#drawn = true;
    const { total, label } = this.options;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const line = `${label} ${count(done)} / ${count(total)} nodes (${percent}%), ${rate(done, now - this.#started)}`;
    this.options.stream.write(this.#inPlace ? `\r\x1b[K${line}` : `${line}\n`);
  }

  /** Replaces the progress line with the summary. */
  finish(summary: string): void {
    const clear = this.#inPlace && this.#drawn ? '\r\x1b[K' : '';
    this.options.stream.write(`${clear}${summary}\n`);
  }

  elapsedMs(): number {
    return performance.now() - this.#started;
  }
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function rate(nodes: number, elapsedMs: number): string {
  return `${count(Math.round(nodes / Math.max(elapsedMs / 1000, 0.001)))} nodes/s`;
}
