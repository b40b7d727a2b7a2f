#!/usr/bin/env node
// Finds wire error codes (-32700, -32600..-32609, -32000..-32099) written as number literals outside their registry,
// src/wire/errors.ts: code must name them (ErrorCode.NotFound), so that each lives in one place.
// Comments and strings may quote a code for the reader; only code outside them is checked.
// Usage: node scripts/check-error-codes.mjs  (prints file:line: literal, exits 1 when any is found)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const REGISTRY = 'src/wire/errors.ts';
const DIRS = ['src', 'test', 'web', 'bench', 'scripts', 'bindings', 'native', 'include'];
const SOURCE = /\.(ts|js|mjs|cpp|h)$/;
const SKIP = new Set(['node_modules', 'vendor', 'dist', 'build']);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (SOURCE.test(entry.name)) yield path;
  }
}

/** The text with comments and string literals blanked out (newlines kept, so lines still count). */
export function codeOnly(text) {
  let out = '';
  let state = 'code'; // or 'line', 'block', or the quote that opened a string
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (state === 'code') {
      if (c === '/' && next === '/') state = 'line';
      else if (c === '/' && next === '*') state = 'block';
      else if (c === "'" || c === '"' || c === '`') state = c;
      out += state === 'code' ? c : ' ';
      continue;
    }
    if (c === '\n') {
      // a line comment ends here, and so does a '' or "" string (they cannot span lines)
      if (state !== 'block' && state !== '`') state = 'code';
      out += c;
      continue;
    }
    if (state === 'block' && c === '*' && next === '/') (state = 'code'), i++, (out += ' ');
    else if (state.length === 1 && c === '\\') i++, (out += ' ');
    else if (c === state) state = 'code';
    out += ' ';
  }
  return out;
}

/** Every `file:line: literal` of a wire code outside the registry. */
export function strayErrorCodes() {
  const found = [];
  for (const dir of DIRS) {
    for (const path of files(join(root, dir))) {
      const name = relative(root, path).split('\\').join('/');
      if (name === REGISTRY) continue;
      const lines = codeOnly(readFileSync(path, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        for (const [literal] of line.matchAll(/-\s*32(?:0\d\d|60\d|700)\b/g)) found.push(`${name}:${index + 1}: ${literal}`);
      });
    }
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = strayErrorCodes();
  for (const line of found) console.log(line);
  process.exitCode = found.length > 0 ? 1 : 0;
}
