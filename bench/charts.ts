// SVG charts of a run, written by hand (no dependency): horizontal bars for ratios against
// their targets on a log scale, and line charts for scaling.
import type { Row } from './report.js';

export interface LineChartSpec {
  /** File name without .svg; rows refer to it in point.chart. */
  id: string;
  title: string;
  /** Axis titles. */
  x: string;
  y: string;
  /** A logarithmic x axis (for sizes that grow tenfold). */
  logX?: boolean;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const PALETTE = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#4a5568'];
const MET = '#38a169';
const MISSED = '#e53e3e';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

function short(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return `${+n.toPrecision(3)}`;
}

function svg(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 22, title, 'text-anchor="middle" font-size="15" font-weight="600"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function targetLimit(row: Row): number | undefined {
  const parsed = /^(>=|<=)\s*([\d.]+)\s*x/.exec(row.target ?? '');
  return parsed ? Number(parsed[2]) : undefined;
}

/** One bar per row: its ratio on a log scale, the target marked, green when met. */
export function barChart(title: string, rows: Row[]): string {
  const width = 1000;
  const labelWidth = 480;
  const left = labelWidth + 10;
  const right = width - 70;
  const rowHeight = 28;
  const top = 50;
  const height = top + rows.length * rowHeight + 40;
  const values = rows.flatMap((r) => [r.ratio!, targetLimit(r) ?? r.ratio!, 1]);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v: number) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (right - left);
  const body: string[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    body.push(`<line x1="${x(decade).toFixed(1)}" y1="${top - 8}" x2="${x(decade).toFixed(1)}" y2="${height - 32}" stroke="${decade === 1 ? '#718096' : '#e2e8f0'}"${decade === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    body.push(text(x(decade), height - 16, `${short(decade)}x`, 'text-anchor="middle" fill="#4a5568"'));
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const label = `${row.name}${row.baseline ? ` vs ${row.baseline.name}` : ''}`;
    body.push(text(labelWidth, y + 15, label.length > 72 ? `${label.slice(0, 70)}…` : label, 'text-anchor="end"'));
    const colour = row.met === undefined ? '#a0aec0' : row.met ? MET : MISSED;
    body.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(row.ratio!) - left).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}" opacity="0.85"/>`);
    body.push(text(x(row.ratio!) + 4, y + 15, `${short(row.ratio!)}x`, 'fill="#1a202c"'));
    const limit = targetLimit(row);
    if (limit !== undefined) {
      body.push(`<line x1="${x(limit).toFixed(1)}" y1="${y + 1}" x2="${x(limit).toFixed(1)}" y2="${y + rowHeight - 3}" stroke="#1a202c" stroke-width="2"/>`);
    }
  });
  body.push(text(left, 40, 'ratio = value / baseline (log scale); black tick: the target; green: met, red: missed', 'fill="#4a5568" font-size="11"'));
  return svg(width, height, title, body);
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** One line per series through the rows' points (x from point.x, y from the value). */
export function lineChart(spec: LineChartSpec, rows: Row[]): string {
  const width = 760;
  const height = 400;
  const left = 80;
  const right = width - 250;
  const top = 50;
  const bottom = height - 60;
  const series = [...new Set(rows.map((r) => r.point!.series))];
  const xs = [...new Set(rows.map((r) => r.point!.x))].sort((a, b) => a - b);
  const yMax = Math.max(...rows.map((r) => r.value)) * 1.1 || 1;
  const yStep = niceStep(yMax, 5);
  const [xLo, xHi] = [xs[0]!, xs[xs.length - 1]!];
  const xOf = (v: number) => {
    if (xLo === xHi) return (left + right) / 2;
    const t = spec.logX ? Math.log10(v / xLo) / Math.log10(xHi / xLo) : (v - xLo) / (xHi - xLo);
    return left + 70 + t * (right - left - 140); // room for the labels beside the first and last points
  };
  const yOf = (v: number) => bottom - (v / (Math.ceil(yMax / yStep) * yStep)) * (bottom - top);
  const body: string[] = [];
  for (let v = 0; v <= Math.ceil(yMax / yStep) * yStep + yStep / 2; v += yStep) {
    body.push(`<line x1="${left}" y1="${yOf(v).toFixed(1)}" x2="${right}" y2="${yOf(v).toFixed(1)}" stroke="#e2e8f0"/>`);
    body.push(text(left - 6, yOf(v) + 4, short(v), 'text-anchor="end" fill="#4a5568"'));
  }
  for (const v of xs) body.push(text(xOf(v), bottom + 18, short(v), 'text-anchor="middle" fill="#4a5568"'));
  body.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#718096"/>`);
  body.push(text((left + right) / 2, bottom + 40, spec.x, 'text-anchor="middle"'));
  body.push(text(18, (top + bottom) / 2, spec.y, `text-anchor="middle" transform="rotate(-90 18 ${(top + bottom) / 2})"`));
  series.forEach((name, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const points = rows.filter((r) => r.point!.series === name).sort((a, b) => a.point!.x - b.point!.x);
    const path = points.map((r) => `${xOf(r.point!.x).toFixed(1)},${yOf(r.value).toFixed(1)}`).join(' ');
    body.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2.5"/>`);
    for (const r of points) {
      const first = r.point!.x === xLo && xLo !== xHi; // labelled on the left, the rest on the right
      body.push(`<circle cx="${xOf(r.point!.x).toFixed(1)}" cy="${yOf(r.value).toFixed(1)}" r="4" fill="${colour}"/>`);
      body.push(text(xOf(r.point!.x) + (first ? -7 : 7), yOf(r.value) + 4, short(r.value), `fill="${colour}" font-size="11"${first ? ' text-anchor="end"' : ''}`));
    }
    const legendY = top + 10 + i * 20;
    body.push(`<line x1="${right + 16}" y1="${legendY - 4}" x2="${right + 36}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2.5"/>`);
    body.push(text(right + 42, legendY, name));
  });
  return svg(width, height, spec.title, body);
}
