// Progress of a long transfer on stderr: bytes and nodes done (of their totals when known),
// percent, rates and the time left, redrawn in place on a terminal and written as lines
// elsewhere, at most 10 times a second, from the first byte on.

const INTERVAL_MS = 100;

export interface ProgressOptions {
  readonly stream: NodeJS.WriteStream;
  /** Report even when the stream is not a terminal (--progress). */
  readonly force: boolean;
  /** What is being done: "checking", "importing", "exporting". */
  readonly label: string;
  readonly totalBytes?: number;
  readonly totalNodes?: number;
}

export interface Done {
  readonly bytes: number;
  readonly nodes: number;
}

export class Progress {
  readonly #started = performance.now();
  readonly #enabled: boolean;
  readonly #inPlace: boolean;
  #lastDrawn = -Infinity;
  #drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.#inPlace = options.stream.isTTY === true;
    this.#enabled = options.force || this.#inPlace;
  }

  /** Redraws, unless it did less than 100 ms ago (the last step always shows). */
  update(done: Done, last = false): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDrawn < INTERVAL_MS && !last) return;
    this.#lastDrawn = now;
    this.#drawn = true;
    const line = `${this.options.label} ${this.#describe(done, now - this.#started)}`;
    this.options.stream.write(this.#inPlace ? `\r\x1b[K${line}` : `${line}\n`);
  }

  /** Replaces the progress line with the summary. */
  finish(summary: string): void {
    const clear = this.#inPlace && this.#drawn ? '\r\x1b[K' : '';
    this.options.stream.write(`${clear}${summary}\n`);
  }

  /** Clears the progress line, for a message that follows it. */
  clear(): void {
    if (this.#inPlace && this.#drawn) this.options.stream.write('\r\x1b[K');
  }

  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  #describe({ bytes, nodes }: Done, elapsedMs: number): string {
    const { totalBytes, totalNodes } = this.options;
    // the share done: by nodes when their total is known, else by bytes
    const share = totalNodes !== undefined && totalNodes > 0 ? nodes / totalNodes : totalBytes !== undefined && totalBytes > 0 ? bytes / totalBytes : undefined;
    const parts = [
      `${size(bytes)}${totalBytes === undefined ? '' : ` of ${size(totalBytes)}`}` +
        (share === undefined ? '' : ` (${Math.min(100, Math.floor(share * 100))}%)`),
      `${count(nodes)}${totalNodes === undefined ? '' : ` of ${count(totalNodes)}`} nodes`,
      `${rateOf(bytes / 1e6, elapsedMs, 1)} MB/s`,
      rate(nodes, elapsedMs),
    ];
    if (share !== undefined && share > 0 && share < 1) parts.push(`ETA ${duration((elapsedMs * (1 - share)) / share)}`);
    return parts.join(', ');
  }
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function rate(nodes: number, elapsedMs: number): string {
  return `${rateOf(nodes, elapsedMs, 0)} nodes/s`;
}

/** "512 B", "12.3 kB", "40.1 MB". */
export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function rateOf(amount: number, elapsedMs: number, digits: number): string {
  const perSecond = amount / Math.max(elapsedMs / 1000, 0.001);
  return digits === 0 ? count(Math.round(perSecond)) : perSecond.toFixed(digits);
}

/** "7 s", "2 min 5 s", "1 h 3 min". */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
