// Small helpers shared by the explorer's modules: paths, numbers, durations, and building
// DOM elements without a framework.

/** The parent of a path ("" is the root, and its own parent). */
export function parentOf(path) {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function nameOf(path) {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent, name) {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Whether `path` is `ancestor` or lies under it, comparing whole names. */
export function isWithin(path, ancestor) {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The path and each of its ancestors up to the root, nearest first. */
export function* selfAndAncestors(path) {
  for (let at = path; ; at = parentOf(at)) {
    yield at;
    if (at === '') return;
  }
}

export function formatCount(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

/** A measured number as people read it: six significant digits at most, thousands separated. */
export function formatNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumSignificantDigits: 6 }) : String(n);
}

/**
 * The children [from, to) as a person counts them: a list's by index ("[50]–[99]", as its
 * rows are labelled), anything else's by position ("51–100").
 */
export function childRange(inList, from, to) {
  return inList ? `[${formatCount(from)}]–[${formatCount(to - 1)}]` : `${formatCount(from + 1)}–${formatCount(to)}`;
}

export function formatDuration(seconds) {
  const s = Math.floor(seconds);
  const units = [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]];
  const parts = [];
  let rest = s;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (unit === 's' && parts.length === 0)) parts.push(`${count} ${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** An error as the user should read it: the station's own message, as the client words it. */
export function describeError(error) {
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Builds an element: `el('button', { type: 'button', onclick }, 'Save')`. Attributes named
 * on* become listeners, `className` and `dataset` are set as properties, false and
 * undefined leave an attribute out.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'className') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  element.append(...children.flat().filter((child) => child !== undefined && child !== null && child !== false));
  return element;
}
