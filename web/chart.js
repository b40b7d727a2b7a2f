// The explorer's charts. Plots with axes, units and hover values are drawn by uPlot (MIT,
// vendored in vendor/uplot/: nothing comes from the network): ValuePlot, a node's numbers
// from the station's tree.plot (min/max runs, so a million values cost one run per pixel
// column), zoomed by dragging across it; and RateChart, the station's writes per second
// over time. A sparkline (plain SVG) stays for the small previews in tree rows.
import uPlot from './vendor/uplot/uPlot.esm.js';
import { el, formatCount, formatNumber } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgElement(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** The range of the finite values (nulls and NaN left out), or undefined when there is none. */
function finiteRange(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min <= max ? { min, max } : undefined;
}

/**
 * A small plot of numbers for a tree row. It is an image to assistive technology, labelled
 * with what it shows (count and range), since a line means nothing read aloud.
 */
export function sparkline(values, { width = 120, height = 24, label = 'plot' } = {}) {
  const { min, max } = finiteRange(values) ?? { min: 0, max: 0 };
  const svg = svgElement('svg', {
    class: 'sparkline',
    width,
    height,
    viewBox: `-1 -1 ${width + 2} ${height + 2}`,
    role: 'img',
    'aria-label': `${label}: ${values.length} values from ${min} to ${max}`,
  });
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = [];
  values.forEach((value, i) => {
    if (Number.isFinite(value)) points.push(`${(i * step).toFixed(1)},${(height - ((value - min) / span) * height).toFixed(1)}`);
  });
  svg.append(svgElement('polyline', { points: points.join(' '), fill: 'none' }));
  return svg;
}

/** The page's colours (light or dark), read from its CSS, for the canvas. */
function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return { text: read('--text'), muted: read('--muted'), line: read('--line'), accent: read('--accent'), soft: read('--accent-soft') };
}

/** Room for a vertical axis: its name, and its longest tick label at 11 px. */
function verticalSize(_u, values) {
  const longest = Math.max(1, ...(values ?? []).map((value) => String(value ?? '').length));
  return 30 + Math.ceil(longest * 6.5);
}

function axis(label, colour, values, vertical) {
  return {
    label,
    ...(vertical ? { size: verticalSize } : {}),
    stroke: colour.muted,
    labelFont: '600 12px system-ui, sans-serif',
    font: '11px system-ui, sans-serif',
    grid: { stroke: colour.line, width: 1 },
    ticks: { stroke: colour.line, width: 1 },
    values,
  };
}

/** Axis labels for whole numbers (indices, counts): 1,000,000 rather than 1000000; none between them. */
const indexLabels = (splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : ''));
const numberLabels = (splits) => splits.map((v) => formatNumber(v));
const countLabels = indexLabels;
const timeLabels = (splits) => splits.map((v) => new Date(v * 1000).toLocaleTimeString('en-GB'));

/**
 * An axis named `name` whose ticks `labels(splits)` writes. The canvas shows both to eyes
 * only, so `element` keeps them too (data-x-axis and data-x-ticks, data-y-…), for assistive
 * technology and for tests.
 */
function keptAxis(element, key, name, colour, labels) {
  element.dataset[`${key}Axis`] = name;
  const values = (_u, splits) => {
    const shown = labels(splits);
    element.dataset[`${key}Ticks`] = shown.filter((label) => label !== '').join(' | ');
    return shown;
  };
  return axis(name, colour, values, key === 'y');
}
const shown = (_u, v) => (v === null || v === undefined ? '—' : formatNumber(v));

/**
 * A plot of all of a node's numbers: the lowest and highest value of each run of indices,
 * with the band between them filled, so that a spike one value wide still shows. Drag
 * across it to zoom into a range (the station sends the runs of that range, down to every
 * single value); double-click or "Whole range" to see everything again.
 *
 * `load({ from, to, buckets })` is the station's tree.plot for the node. The figure's
 * data-draw-ms says how long the last range took from asking to drawn.
 */
export class ValuePlot {
  #load;
  #noun;
  #valueLabel;
  #plot;
  #holder = el('div', { className: 'value-plot-canvas', role: 'img' });
  #caption = el('figcaption');
  #status = el('p', { className: 'muted plot-status', 'aria-live': 'polite' });
  #whole;
  #out;
  #range;
  #total;
  #started = 0;
  #seq = 0;
  #onResult;
  element;

  /** `noun`: "item" or "element"; `valueLabel`: the y axis ("value (f64)"); `onResult(result)` after each load. */
  constructor({ load, noun = 'item', valueLabel = 'value', width = 340, height = 200, onResult }) {
    this.#load = load;
    this.#onResult = onResult;
    this.#noun = noun;
    this.#valueLabel = valueLabel;
    this.width = width;
    this.height = height;
    this.#whole = el('button', { type: 'button', disabled: true, onclick: () => this.show() }, 'Whole range');
    this.#out = el('button', { type: 'button', disabled: true, onclick: () => this.#zoomOut() }, 'Zoom out');
    this.element = el(
      'figure',
      { className: 'value-plot' },
      this.#holder,
      this.#caption,
      el('div', { className: 'buttons plot-buttons' }, this.#whole, this.#out),
      el('p', { className: 'muted hint' }, 'Drag across the plot to zoom in; double-click for the whole range.'),
      this.#status,
    );
  }

  /** Asks the station for the runs of [from, to) (default everything) and draws them. */
  async show({ from = 0, to } = {}) {
    const seq = ++this.#seq;
    this.#started = performance.now();
    let result;
    try {
      result = await this.#load({ from, to, buckets: Math.max(1, Math.round(this.width)) });
    } catch (error) {
      if (seq === this.#seq) this.#status.textContent = `Could not plot: ${error?.message ?? error}`;
      return;
    }
    // a newer range (or the panel moving on) overtook this one
    if (seq !== this.#seq) return;
    this.#status.textContent = '';
    this.#total = result.total;
    this.#range = { from: result.from, to: result.to };
    this.#draw(result);
    this.#whole.disabled = result.from === 0 && result.to === result.total;
    this.#out.disabled = this.#whole.disabled;
    this.#onResult?.(result);
  }

  /** The node changed: the range shown, again (the whole node if it was whole). */
  refresh() {
    if (this.#range === undefined) return this.show();
    const whole = this.#range.from === 0 && this.#range.to === this.#total;
    return this.show(whole ? {} : this.#range);
  }

  /** The numbers to plot, as uPlot wants them: x (each run's first index), low, high. */
  #data(result) {
    return [Array.from(result.starts), result.low.map((v) => v ?? null), result.high.map((v) => v ?? null)];
  }

  #draw(result) {
    const data = this.#data(result);
    const range = finiteRange([...data[1], ...data[2]]);
    this.#describe(result, range);
    this.element.dataset.from = String(result.from);
    this.element.dataset.to = String(result.to);
    this.element.dataset.total = String(result.total);
    this.element.dataset.runs = String(result.starts.length);
    if (this.#plot === undefined) this.#plot = this.#create(data);
    else this.#plot.setData(data, true);
  }

  #create(data) {
    const colour = colours();
    const noun = this.#noun;
    const plot = new uPlot(
      {
        width: this.width,
        height: this.height,
        legend: { show: true, live: true },
        cursor: {
          drag: { x: true, y: false, setScale: false },
          bind: { dblclick: (_u, _target, _handle) => (event) => event.button === 0 && this.show() },
        },
        scales: { x: { time: false } },
        series: [
          { label: `${noun} index`, value: (_u, v) => (v === null ? '—' : formatCount(v)) },
          { label: 'lowest', stroke: colour.accent, width: 1, value: shown, points: { show: false } },
          { label: 'highest', stroke: colour.accent, width: 1, value: shown, points: { show: false } },
        ],
        bands: [{ series: [2, 1], fill: colour.soft }],
        axes: [keptAxis(this.element, 'x', `${noun} index`, colour, indexLabels), keptAxis(this.element, 'y', this.#valueLabel, colour, numberLabels)],
        hooks: {
          setSelect: [(u) => this.#zoomTo(u)],
          draw: [() => this.#drawn()],
        },
      },
      data,
      this.#holder,
    );
    return plot;
  }

  #drawn() {
    this.element.dataset.drawMs = String(Math.round(performance.now() - this.#started));
  }

  #zoomTo(u) {
    const { left, width } = u.select;
    if (width < 2) return;
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    const from = Math.max(this.#range.from, Math.floor(u.posToVal(left, 'x')));
    const to = Math.min(this.#range.to, Math.ceil(u.posToVal(left + width, 'x')) + 1);
    if (to - from >= 1) this.show({ from, to });
  }

  #zoomOut() {
    const { from, to } = this.#range;
    const span = to - from;
    this.show({ from: Math.max(0, from - span), to: Math.min(this.#total, to + span) });
  }

  #describe(result, range) {
    const { from, to, total, plotted, skipped, starts } = result;
    const noun = this.#noun;
    const plural = `${noun}s`;
    const whole = from === 0 && to === total;
    const which = whole ? `All ${formatCount(total)} ${total === 1 ? noun : plural}` : `${plural[0].toUpperCase()}${plural.slice(1)} ${formatCount(from)}–${formatCount(to - 1)} of ${formatCount(total)}`;
    const parts = [range ? `${which}: lowest ${formatNumber(range.min)}, highest ${formatNumber(range.max)}` : `${which}: no numbers to plot`];
    const perRun = starts.length > 0 ? (to - from) / starts.length : 1;
    if (perRun > 1) parts.push(`each point is the lowest and highest of about ${formatCount(Math.round(perRun))} ${plural}`);
    if (skipped > 0) parts.push(`${formatCount(skipped)} of them are not numbers (or not finite) and are left out`);
    this.#caption.textContent = `${parts.join('; ')}.`;
    this.#holder.setAttribute('aria-label', `plot of ${this.#valueLabel} by ${noun} index: ${this.#caption.textContent}`);
    this.element.dataset.plotted = String(plotted);
  }
}

/** The station's writes per second over the last `samples` seconds, on a time axis. */
export class RateChart {
  #plot;
  #times = [];
  #values = [];

  constructor(container, { samples = 60, width = 340, height = 200, label = 'writes/s' } = {}) {
    this.samples = samples;
    this.label = label;
    const colour = colours();
    this.holder = el('div', { className: 'rate-chart', role: 'img' });
    container.append(this.holder);
    this.#plot = new uPlot(
      {
        width,
        height,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        series: [
          { label: 'time' },
          { label, stroke: colour.accent, fill: colour.soft, width: 1.5, value: (_u, v) => (v === null ? '—' : formatCount(v)), points: { show: false } },
        ],
        // ticks on whole seconds, far enough apart for their labels
        axes: [{ ...keptAxis(this.holder, 'x', 'time', colour, timeLabels), space: 80, incrs: [1, 2, 5, 10, 15, 30, 60] }, keptAxis(this.holder, 'y', label, colour, countLabels)],
      },
      [[], []],
      this.holder,
    );
    this.#describe();
  }

  /** One sample: `rate` writes per second measured up to `time` (ms since the epoch). */
  push(time, rate) {
    this.#times.push(time / 1000);
    this.#values.push(rate);
    if (this.#times.length > this.samples) {
      this.#times.shift();
      this.#values.shift();
    }
    this.#plot.setData([this.#times, this.#values]);
    this.#describe();
  }

  get max() {
    return Math.max(0, ...this.#values);
  }

  #describe() {
    const latest = this.#values.at(-1) ?? 0;
    this.holder.setAttribute('aria-label', `writes per second over the last ${this.samples} s: now ${latest}, peak ${this.max}`);
  }
}
