// Line plots drawn as SVG: a sparkline for numeric values and arrays, and the station
// panel's operations-per-second chart. No library: a polyline is all either needs.

const SVG = 'http://www.w3.org/2000/svg';

function svgElement(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** The polyline points for values scaled into a box; non-finite values are skipped. */
function pointsOf(values, width, height, min, max) {
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = [];
  values.forEach((value, i) => {
    if (!Number.isFinite(value)) return;
    const y = height - ((value - min) / span) * height;
    points.push(`${(i * step).toFixed(1)},${y.toFixed(1)}`);
  });
  return points.join(' ');
}

function finiteRange(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/**
 * A small plot of numbers. It is an image to assistive technology, labelled with what it
 * shows (count and range), since a line means nothing read aloud.
 */
export function sparkline(values, { width = 120, height = 24, label = 'plot' } = {}) {
  const { min, max } = finiteRange(values);
  const svg = svgElement('svg', {
    class: 'sparkline',
    width,
    height,
    viewBox: `-1 -1 ${width + 2} ${height + 2}`,
    role: 'img',
    'aria-label': `${label}: ${values.length} values from ${min} to ${max}`,
  });
  svg.append(svgElement('polyline', { points: pointsOf(values, width, height, min, max), fill: 'none' }));
  return svg;
}

/** The station's ops/s chart: a fixed window of samples, its maximum marked. */
export class RateChart {
  constructor(container, { samples = 60, width = 320, height = 80, label = 'operations per second' } = {}) {
    this.samples = samples;
    this.width = width;
    this.height = height;
    this.label = label;
    this.values = [];
    this.svg = svgElement('svg', {
      class: 'rate-chart',
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: 'none',
      role: 'img',
    });
    this.area = svgElement('polygon', { class: 'rate-area' });
    this.line = svgElement('polyline', { class: 'rate-line', fill: 'none' });
    this.svg.append(this.area, this.line);
    container.append(this.svg);
    this.#draw();
  }

  push(value) {
    this.values.push(value);
    if (this.values.length > this.samples) this.values.shift();
    this.#draw();
  }

  get max() {
    return Math.max(0, ...this.values);
  }

  #draw() {
    // left-pad with zeros so the newest sample is always at the right edge
    const padded = [...new Array(this.samples - this.values.length).fill(0), ...this.values];
    // a floor of 1 keeps an idle station's line on the baseline rather than mid-chart
    const top = Math.max(1, this.max) * 1.1;
    const points = pointsOf(padded, this.width, this.height, 0, top);
    this.line.setAttribute('points', points);
    this.area.setAttribute('points', `0,${this.height} ${points} ${this.width},${this.height}`);
    const latest = this.values.at(-1) ?? 0;
    this.svg.setAttribute('aria-label', `${this.label} over the last ${this.samples} s: now ${latest}, peak ${this.max}`);
  }
}
