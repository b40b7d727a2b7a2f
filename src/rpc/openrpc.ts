import type { MethodDefinition } from './engine.js';
import type { JsonSchema } from './validation.js';

/** OpenRPC's info object: what the service is called and its version. */
export interface OpenRpcInfo {
  title: string;
  version: string;
  description?: string;
}

export interface ContentDescriptor {
  name: string;
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenRpcMethod {
  name: string;
  summary: string;
  description?: string;
  paramStructure: 'by-name';
  params: ContentDescriptor[];
  result: ContentDescriptor;
}

export interface OpenRpcDocument {
  openrpc: '1.2.6';
  info: OpenRpcInfo;
  methods: OpenRpcMethod[];
}

/** Schema of rpc.discover's own result, so the document describes itself too. */
export const openRpcDocumentSchema: JsonSchema = {
  title: 'OpenRPC document',
  description: 'OpenRPC 1.2.6 (https://spec.open-rpc.org/)',
  type: 'object',
  required: ['openrpc', 'info', 'methods'],
  properties: { openrpc: { const: '1.2.6' }, info: { type: 'object' }, methods: { type: 'array' } },
};

/**
 * The OpenRPC document of a method table, built from the very schemas the engine validates
 * with: each property of a params schema becomes one by-name param.
 */
export function openRpcDocument(info: OpenRpcInfo, methods: Iterable<MethodDefinition>): OpenRpcDocument {
  return { openrpc: '1.2.6', info, methods: Array.from(methods, describeMethod) };
}

function describeMethod({ name, summary, description, params, result }: MethodDefinition): OpenRpcMethod {
  const required = new Set(params.required ?? []);
  return {
    name,
    summary,
    ...(description === undefined ? {} : { description }),
    paramStructure: 'by-name',
    params: Object.entries(params.properties ?? {}).map(([param, schema]) =>
      descriptor(param, schema, required.has(param)),
    ),
    result: descriptor(typeof result.title === 'string' ? result.title : `${name} result`, result),
  };
}

function descriptor(name: string, schema: JsonSchema, required?: boolean): ContentDescriptor {
  return {
    name,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    ...(required === undefined ? {} : { required }),
    schema,
  };
}
