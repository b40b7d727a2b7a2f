import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { ErrorCode } from '../wire/errors.js';
import { RpcError } from './errors.js';

/** A JSON Schema (draft-07, as OpenRPC 1.2.6 uses). */
export type JsonSchema = SchemaObject;

/** Params are taken by name, so a method's params are one object. */
export interface ParamsSchema extends SchemaObject {
  type: 'object';
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/**
 * Strict, so a typo in a method's schema fails at registration instead of silently
 * accepting anything; useDefaults, so handlers see the defaults the docs announce.
 */
export function createAjv(): Ajv {
  return new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
}

/** What a caller needs to fix one param. */
export interface ParamProblem {
  /** Dotted path of the param, e.g. `where.op` or `ops.0.method`; empty for the params object. */
  param: string;
  problem: string;
}

const shownInMessage = 5;
const keptInData = 20;

/** The -32602 error for failed validation: each problem in the message, all of them in `data`. */
export function invalidParams(method: string, errors: readonly ErrorObject[]): RpcError {
  const problems = errors.map(describe);
  const shown = problems
    .slice(0, shownInMessage)
    .map(({ param, problem }) => (param === '' ? `params ${problem}` : `"${param}" ${problem}`));
  const more = problems.length > shownInMessage ? ` (and ${problems.length - shownInMessage} more)` : '';
  return new RpcError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${shown.join('; ')}${more}`, {
    errors: problems.slice(0, keptInData),
  });
}

function describe(error: ErrorObject): ParamProblem {
  const at = error.instancePath
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { param: [...at, String(p.missingProperty)].join('.'), problem: 'is required' };
    case 'additionalProperties':
      return { param: [...at, String(p.additionalProperty)].join('.'), problem: 'is not accepted' };
    case 'enum':
      return { param: at.join('.'), problem: `must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}` };
    case 'const':
      return { param: at.join('.'), problem: `must be ${show(p.allowedValue)}` };
    default:
      return { param: at.join('.'), problem: error.message ?? `fails ${error.keyword}` };
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
