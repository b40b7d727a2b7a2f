// Wire error codes live in one registry (src/wire/errors.ts); scripts/check-error-codes.mjs finds
// any written as a number literal elsewhere, and the registry's own rules hold.
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { codeOnly, strayErrorCodes } from '../scripts/check-error-codes.mjs';
import { domainCodes, ErrorCode, errorName, httpStatus, isServerError, wireErrors } from '../src/wire/errors.js';

it('finds no wire code written as a number outside the registry', () => {
  expect(strayErrorCodes()).toEqual([]);
});

it('looks only at code: a literal in a comment or a string is left alone', () => {
  const text = "const a = -32001; // -32002\n/* -32003 */ it('says -32004', () => f(-32005, \"-32006\"));\n";
  expect([...codeOnly(text).matchAll(/-32\d{3}/g)].map(([literal]) => literal)).toEqual(['-32001', '-32005']);
  expect(codeOnly(text)).toHaveLength(text.length);
});

it('gives each code one name, a status, and the domain codes the RPC layer maps', () => {
  const codes = Object.values(wireErrors).map(({ code }) => code);
  expect(new Set(codes).size).toBe(codes.length);
  for (const [name, { code }] of Object.entries(wireErrors)) expect(errorName(code)).toBe(name);
  expect(wireErrors.NotFound).toMatchObject({ code: ErrorCode.NotFound, status: 404 });
  expect(httpStatus(ErrorCode.Unauthenticated)).toBe(401);
  expect(httpStatus(-1)).toBe(500);
  expect(isServerError(ErrorCode.ClusterUnavailable)).toBe(true);
  expect(isServerError(ErrorCode.InvalidParams)).toBe(false);
  expect([...domainCodes.keys()].sort()).toEqual(['FORBIDDEN', 'INVALID_ARGUMENT', 'LIMIT_EXCEEDED', 'NOT_FOUND', 'TYPE_MISMATCH', 'UNAUTHENTICATED', 'VERSION_CONFLICT']);
});
