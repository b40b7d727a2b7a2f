// How each node type is shown and edited: one entry per type name. To support a new type,
// add an entry (or reuse a maker below); a type with no entry is shown as JSON and edited
// as JSON, so a station with newer types than this page still works.
//
// An entry has:
//   group     where the type is listed in type pickers
//   input     the editor: 'text', 'textarea', 'checkbox', 'json' or 'none'
//   describe  what a valid value is, shown beside the input
//   parse     input text (a boolean for 'checkbox') -> the value as the station takes it;
//             throws an Error saying what is wrong, so nothing invalid is ever sent
//   toText    the value as the station sends it -> input text
//   render    (value, { full }) -> a DOM node; `full` is the details panel, else a tree row
//   copy      (optional) value -> the text a Copy button puts on the clipboard
//   structured  holds children, not a value
import { sparkline } from './chart.js';
import { el, formatCount, formatNumber } from './format.js';

const ROW_TEXT_LIMIT = 80;

// -- rendering helpers --------------------------------------------------------------------

function text(content, className, title) {
  return el('span', { className: `value ${className}`, title }, content);
}

function truncate(content, limit = ROW_TEXT_LIMIT) {
  return content.length > limit ? `${content.slice(0, limit - 1)}…` : content;
}

/** Long hex keeps its start and end in a row, where they are what people compare. */
function hexText(hex, full) {
  if (full || hex.length <= 24) return text(hex, 'mono hex');
  return text(`${hex.slice(0, 12)}…${hex.slice(-8)}`, 'mono hex', hex);
}

function json(value, full) {
  const shown = JSON.stringify(value);
  return text(full ? JSON.stringify(value, null, 2) : truncate(shown ?? 'undefined'), 'mono json');
}

/** Whole numbers travel as JSON numbers, beyond ±2^53 as decimal strings. */
function wireInteger(big) {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

const SPECIAL_FLOATS = new Set(['NaN', 'Infinity', '-Infinity', '-0']);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const F32_MAX = 3.4028234663852886e38;

/** The shortest decimal that reads back as the same f32, since the station widens f32 to f64. */
function shortestF32(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return String(candidate);
  }
  return String(value);
}

function parseFloatText(source, type) {
  const trimmed = source.trim();
  if (SPECIAL_FLOATS.has(trimmed)) return trimmed;
  if (!DECIMAL.test(trimmed)) throw new Error(`"${truncate(trimmed, 20)}" is not a number (NaN, Infinity and -Infinity are allowed)`);
  const value = Number(trimmed);
  if (type === 'f32' && Math.abs(value) > F32_MAX) throw new Error(`${trimmed} is beyond the f32 range (±${F32_MAX})`);
  return value;
}

function numbersIn(source) {
  const parts = source.split(/[\s,;]+/).filter((part) => part !== '');
  return parts.map((part) => {
    if (!DECIMAL.test(part)) throw new Error(`"${truncate(part, 20)}" is not a number`);
    return Number(part);
  });
}

function hexOfBytes(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function bytesOfBase64(base64) {
  const binary = atob(base64);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function base64OfBytes(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** Hex from whatever a binary type's plain JSON turns out to be: hex text, base64, or a byte array. */
function hexOf(value) {
  if (typeof value === 'string') {
    if (/^([0-9a-f]{2})*$/i.test(value)) return value.toLowerCase();
    try {
      return hexOfBytes(bytesOfBase64(value));
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(value) && value.every((byte) => Number.isInteger(byte) && byte >= 0 && byte < 256)) return hexOfBytes(value);
  return undefined;
}

function parseHex(source, { lengths, what }) {
  const hex = source.replace(/\s+/g, '').replace(/^0x/i, '').toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex)) throw new Error(`${what} takes hex digits 0-9 and a-f only`);
  if (hex.length % 2 !== 0) throw new Error(`${what} needs an even number of hex digits (whole bytes), got ${hex.length}`);
  if (lengths && !lengths.includes(hex.length / 2)) {
    throw new Error(`${what} is ${lengths.join(' or ')} bytes (${lengths.map((n) => n * 2).join(' or ')} hex digits), got ${hex.length / 2}`);
  }
  return hex;
}

/** Numbers from an array type's plain JSON: an array, base64 bytes (u8array), or an indexed object. */
function numbersOf(value) {
  let items = value;
  if (typeof value === 'string') {
    try {
      items = Array.from(bytesOfBase64(value));
    } catch {
      return undefined;
    }
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    items = Object.values(value);
  }
  if (!Array.isArray(items)) return undefined;
  // "NaN" and "Infinity" arrive as strings; anything else not numeric plots as a gap
  return items.map((item) => (typeof item === 'number' ? item : typeof item === 'string' ? Number(item) : NaN));
}

// -- entry makers -------------------------------------------------------------------------

function integerType(bits, signed) {
  const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  const describe = `a whole number from ${min} to ${max}`;
  return {
    group: 'scalar',
    input: 'text',
    inputMode: 'numeric',
    describe,
    parse(source) {
      const trimmed = source.trim();
      if (!/^[+-]?\d+$/.test(trimmed)) throw new Error(`"${truncate(trimmed, 20)}" is not ${describe}`);
      const value = BigInt(trimmed);
      if (value < min || value > max) throw new Error(`${trimmed} is out of range: ${describe}`);
      return wireInteger(value);
    },
    toText: (value) => String(value),
    render: (value) => text(String(value), 'number'),
  };
}

function floatType(type) {
  return {
    group: 'scalar',
    input: 'text',
    inputMode: 'decimal',
    describe: type === 'f32' ? 'a number (single precision), NaN or ±Infinity' : 'a number, NaN or ±Infinity',
    parse: (source) => parseFloatText(source, type),
    toText: (value) => (type === 'f32' ? shortestF32(value) : String(value)),
    render: (value) => text(type === 'f32' ? shortestF32(value) : String(value), 'number'),
  };
}

function hexType({ group, lengths, what }) {
  return {
    group,
    input: 'textarea',
    describe: lengths ? `${lengths.map((n) => n * 2).join(' or ')} hex digits` : 'hex digits, whole bytes',
    parse: (source) => parseHex(source, { lengths, what }),
    toText: (value) => hexOf(value) ?? String(value),
    render(value, { full }) {
      const hex = hexOf(value);
      return hex === undefined ? json(value, full) : hexText(hex, full);
    },
    copy: (value) => hexOf(value) ?? String(value),
  };
}

function vectorType({ length, what, integer = false }) {
  const describe = `${length} ${integer ? 'whole numbers from 0 to 255' : 'numbers'}, separated by commas`;
  return {
    group: 'geometry',
    input: 'text',
    describe,
    parse(source) {
      const numbers = numbersIn(source);
      if (numbers.length !== length) throw new Error(`${what} takes ${length} numbers, got ${numbers.length}`);
      if (integer && !numbers.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)) {
        throw new Error(`each of the ${what}'s numbers must be a whole number from 0 to 255`);
      }
      return numbers;
    },
    toText: (value) => (Array.isArray(value) ? value.join(', ') : String(value)),
    render: (value, { full }) => (Array.isArray(value) ? text(`(${value.join(', ')})`, 'mono') : json(value, full)),
  };
}

/** The smallest and largest of many numbers (Math.min(...) overflows the stack past ~100,000). */
function finiteMin(numbers) {
  return numbers.reduce((low, x) => (x < low ? x : low), Infinity);
}

function finiteMax(numbers) {
  return numbers.reduce((high, x) => (x > high ? x : high), -Infinity);
}

function arrayType({ min, max, integer }) {
  const describe = `numbers separated by commas or spaces${integer ? `, each a whole number from ${min} to ${max}` : ''}`;
  return {
    group: 'array',
    input: 'textarea',
    describe,
    parse(source) {
      const numbers = numbersIn(source);
      const bad = numbers.find((n) => integer && !(Number.isInteger(n) && n >= min && n <= max));
      if (bad !== undefined) throw new Error(`${bad} does not fit: ${describe}`);
      return numbers;
    },
    toText: (value) => numbersOf(value)?.join(', ') ?? String(value),
    render(value, { full }) {
      const numbers = numbersOf(value);
      if (numbers === undefined) return json(value, full);
      const finite = numbers.filter(Number.isFinite);
      const count = `${formatCount(numbers.length)} values`;
      const summary = finite.length === 0 ? count : `${count}, ${formatNumber(finiteMin(finite))} … ${formatNumber(finiteMax(finite))}`;
      // in full (the node panel), the plot of every element beside it says more than a sparkline
      const plot = full ? undefined : sparkline(numbers, { width: 100, height: 18, label: 'array plot' });
      return el('span', { className: 'value array' }, plot, el('span', { className: plot ? 'muted' : '' }, `${plot ? ' ' : ''}${summary}`));
    },
  };
}

function stringType(group = 'scalar') {
  return {
    group,
    input: 'textarea',
    describe: 'any text',
    parse: (source) => source,
    toText: (value) => String(value),
    render: (value, { full }) => (full ? text(String(value), 'string full') : text(JSON.stringify(truncate(String(value))), 'string')),
  };
}

function colourOf(value) {
  if (!Array.isArray(value) || value.length !== 4) return undefined;
  const [r, g, b, a] = value.map(Number);
  return `rgba(${r}, ${g}, ${b}, ${Math.round((a / 255) * 100) / 100})`;
}

/** A JSON value of a structured type, for adding a node with content. */
function structuredType(kind) {
  const isList = kind === 'list';
  return {
    group: 'structured',
    structured: true,
    input: 'json',
    describe: isList ? 'a JSON array of its items (may be empty: [])' : 'a JSON object of its members (may be empty: {})',
    parse(source) {
      const trimmed = source.trim();
      if (trimmed === '') return isList ? [] : {};
      const value = JSON.parse(trimmed);
      if (isList !== Array.isArray(value) || value === null || typeof value !== 'object') {
        throw new Error(isList ? 'a list is made from a JSON array, [ ... ]' : 'an object is made from a JSON object, { ... }');
      }
      return value;
    },
    toText: () => (isList ? '[]' : '{}'),
    render: () => text('', 'muted'),
  };
}

// -- the table ----------------------------------------------------------------------------

export const TYPES = {
  null: {
    group: 'scalar',
    input: 'none',
    describe: 'null holds no value',
    parse: () => null,
    toText: () => '',
    render: () => text('null', 'null muted'),
  },
  bool: {
    group: 'scalar',
    input: 'checkbox',
    describe: 'true when checked',
    parse: (checked) => Boolean(checked),
    toText: (value) => value === true,
    render: (value) => text(String(value), `bool ${value ? 'true' : 'false'}`),
  },
  i8: integerType(8, true),
  i16: integerType(16, true),
  i32: integerType(32, true),
  i64: integerType(64, true),
  u8: integerType(8, false),
  u16: integerType(16, false),
  u32: integerType(32, false),
  u64: integerType(64, false),
  f32: floatType('f32'),
  f64: floatType('f64'),
  str: stringType(),
  bytes: {
    group: 'scalar',
    input: 'textarea',
    describe: 'hex digits, whole bytes (sent as base64)',
    parse: (source) => base64OfBytes(Uint8Array.from(parseHex(source, { what: 'bytes' }).match(/../g) ?? [], (pair) => parseInt(pair, 16))),
    toText: (value) => hexOf(value) ?? '',
    render(value, { full }) {
      const hex = hexOf(value);
      if (hex === undefined) return json(value, full);
      const count = hex.length / 2;
      const shown = full || count <= 16 ? hex : `${hex.slice(0, 32)}…`;
      const parts = [el('span', { className: 'muted' }, `${count} byte${count === 1 ? '' : 's'} `), el('span', { className: 'mono hex' }, shown.replace(/(..)(?!$)/g, '$1 '))];
      const decoded = printable(hex);
      if (full && decoded !== undefined) parts.push(el('span', { className: 'muted' }, ` (as text: ${JSON.stringify(decoded)})`));
      return el('span', { className: 'value bytes' }, ...parts);
    },
    copy: (value) => hexOf(value) ?? String(value),
  },
  object: structuredType('object'),
  list: structuredType('list'),

  // geometry: plain JSON carries vectors as arrays of numbers (DESIGN "Wire formats")
  vec2: vectorType({ length: 2, what: 'a vec2' }),
  vec3: vectorType({ length: 3, what: 'a vec3' }),
  vec4uc: {
    ...vectorType({ length: 4, what: 'an RGBA colour', integer: true }),
    describe: 'red, green, blue, alpha: 4 whole numbers from 0 to 255',
    render(value, { full }) {
      const colour = colourOf(value);
      if (colour === undefined) return json(value, full);
      return el(
        'span',
        { className: 'value colour' },
        el('span', { className: 'swatch', style: `--swatch: ${colour}`, role: 'img', 'aria-label': `colour ${colour}` }),
        el('span', { className: 'mono' }, ` ${colour}`),
      );
    },
  },
  mat3x3: {
    ...vectorType({ length: 9, what: 'a 3×3 matrix' }),
    describe: '9 numbers, row by row, separated by commas',
    render(value, { full }) {
      if (!Array.isArray(value) || value.length !== 9) return json(value, full);
      if (!full) return text(`[${[0, 3, 6].map((i) => value.slice(i, i + 3).join(' ')).join('; ')}]`, 'mono');
      const rows = [0, 3, 6].map((i) => el('tr', {}, ...value.slice(i, i + 3).map((n) => el('td', {}, String(n)))));
      return el('table', { className: 'value matrix mono', 'aria-label': '3 by 3 matrix' }, el('tbody', {}, ...rows));
    },
  },
  rect: {
    ...vectorType({ length: 4, what: 'a rect' }),
    describe: 'x, y, width, height: 4 numbers separated by commas',
    render: (value, { full }) =>
      Array.isArray(value) && value.length === 4 ? text(`(${value[0]}, ${value[1]}) ${value[2]}×${value[3]}`, 'mono') : json(value, full),
  },
  ipv4: {
    group: 'geometry',
    input: 'text',
    describe: 'a dotted address such as 192.168.0.1',
    parse(source) {
      const trimmed = source.trim();
      const parts = trimmed.split('.');
      if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) {
        throw new Error(`"${truncate(trimmed, 20)}" is not an IPv4 address: four numbers 0-255 joined by dots`);
      }
      return parts.map(Number).join('.');
    },
    toText: (value) => ipv4Text(value),
    render: (value) => text(ipv4Text(value), 'mono'),
    copy: (value) => ipv4Text(value),
  },

  // SIMD arrays: numbers, plotted
  f32array: arrayType({ integer: false }),
  f64array: arrayType({ integer: false }),
  i32array: arrayType({ integer: true, min: -(2 ** 31), max: 2 ** 31 - 1 }),
  i16array: arrayType({ integer: true, min: -(2 ** 15), max: 2 ** 15 - 1 }),
  u8array: arrayType({ integer: true, min: 0, max: 255 }),

  // chain primitives: binary shown in hex, with a Copy button
  hash: hexType({ group: 'chain', lengths: [32], what: 'a hash' }),
  block_hash: hexType({ group: 'chain', lengths: [32], what: 'a block hash' }),
  tx_hash: hexType({ group: 'chain', lengths: [32], what: 'a transaction hash' }),
  pubkey: hexType({ group: 'chain', lengths: [33, 65], what: 'a public key' }),
  der_sig: hexType({ group: 'chain', what: 'a DER signature' }),
  address: {
    group: 'chain',
    input: 'text',
    describe: 'a Base58Check address',
    parse(source) {
      const trimmed = source.trim();
      if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(trimmed)) throw new Error('an address takes Base58 characters only (no 0, O, I or l)');
      return trimmed;
    },
    toText: (value) => String(value),
    render: (value) => text(String(value), 'mono address'),
    copy: (value) => String(value),
  },
  vint: { ...integerType(64, false), group: 'chain' },
  vstr: stringType('chain'),
};

function ipv4Text(value) {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
  }
  return Array.isArray(value) ? value.join('.') : String(value);
}

/** The bytes as text when they are printable UTF-8, for a hint beside the hex. */
function printable(hex) {
  if (hex.length === 0 || hex.length > 512) return undefined;
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16)));
    return /^[\P{Cc}\n\t]*$/u.test(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/** For a type this page does not know: shown and edited as JSON, sent with its type name. */
function unknownType(type) {
  return {
    group: 'other',
    unknown: true,
    input: 'json',
    describe: `a JSON value the station can convert to ${type}`,
    parse(source) {
      try {
        return JSON.parse(source);
      } catch {
        throw new Error('not valid JSON (text needs "double quotes")');
      }
    },
    toText: (value) => JSON.stringify(value),
    render: (value, { full }) => json(value, full),
  };
}

/** The entry for a type name, or a JSON fallback for types this page does not know. */
export function typeEntry(type) {
  return Object.hasOwn(TYPES, type) ? TYPES[type] : unknownType(type);
}

/** Application types ("type 0x10000001") are structured, as the core treats them. */
export function isStructured(type, childCount = 0) {
  return typeEntry(type).structured === true || /^type 0x/.test(type) || (typeEntry(type).unknown && childCount > 0);
}

/** A value rendered for its type; a renderer that fails falls back to JSON rather than hiding the value. */
export function renderValue(type, value, { full = false } = {}) {
  try {
    return typeEntry(type).render(value, { full });
  } catch {
    return json(value, full);
  }
}

/** Type names for pickers, by group, in table order. */
export function typeGroups() {
  const groups = new Map();
  for (const [name, entry] of Object.entries(TYPES)) {
    if (!groups.has(entry.group)) groups.set(entry.group, []);
    groups.get(entry.group).push(name);
  }
  return groups;
}
