// Application-registered abstract types (DESIGN "Types"): a name, a type id in an
// application family (0x10-0xFE) with is-a flags, an optional member schema, and
// operations written in TypeScript that node.invoke runs with the node. Nodes of these
// types hold children by name.
//
// Each tree has a registry, tree.types. Registering a type there gives its member schema
// to the tree's core, which holds every write from every thread to it (a member of the
// wrong type, an unknown member of a closed type, removing a required member, a value
// lacking one: TYPE_MISMATCH). Operations are functions, so they live in the thread that
// registered them: a worker that invokes them registers the type too (the same schema
// again is accepted). A registry made with `new TypeRegistry()` belongs to no tree: it
// names types and runs operations, and checks nothing.
import { argumentError, GroveError } from './errors.js';
import type { Node } from './node.js';
import { isApplicationTypeId, isTypeName, queryIdOf, type TypeName, type TypeQuery, TYPE_IDS, typeIdOf } from './types.js';

export type Operation = (node: Node, args: unknown) => unknown;

/** A member's type: a built-in or registered type name, a query type ('number', 'any', ...), or an id. */
export type MemberType = TypeName | 'any' | 'integer' | 'number' | 'array' | (string & {}) | number;

export interface MemberSchema {
  readonly type: MemberType;
  /** A value of the type may leave it out, and it may be removed. */
  readonly optional?: boolean;
}

export interface AbstractType {
  readonly name: string;
  readonly id: number;
  /** Members by name (a type alone is shorthand for a required member of it). */
  readonly members?: Readonly<Record<string, MemberSchema | MemberType>>;
  /** Whether members the schema does not list are allowed; by default only a type without `members` is open. */
  readonly open?: boolean;
  readonly operations?: Readonly<Record<string, Operation>>;
}

/** How a registry hands a schema to its tree's core: members as [name, typeId (0: inferred), queryId, required, ...]. */
export type SchemaSink = (id: number, name: string, members: (string | number | boolean)[], open: boolean) => void;

const QUERY_NAMES = new Set<unknown>(['any', 'integer', 'number', 'array']);

export class TypeRegistry {
  readonly #byName = new Map<string, AbstractType>();
  readonly #byId = new Map<number, AbstractType>();
  readonly #sink: SchemaSink | undefined;

  /** @param sink - where schemas go; Tree passes its core's, a standalone registry has none. */
  constructor(sink?: SchemaSink) {
    this.#sink = sink;
  }

  register(type: AbstractType): this {
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string' || type.name === '') {
      throw argumentError('register()', 'an abstract type { name, id, members?, open?, operations? }', type);
    }
    const family = type.id >>> 24;
    if (!Number.isInteger(type.id) || family < 0x10 || family > 0xfe || (type.id & 0xffffff) === 0) {
      throw new GroveError('INVALID_ARGUMENT', `type ${type.name}: id 0x${Number(type.id).toString(16)} must have a family byte 0x10-0xFE and at least one is-a flag`);
    }
    if (isTypeName(type.name) || QUERY_NAMES.has(type.name) || this.#byName.has(type.name)) {
      throw new GroveError('INVALID_ARGUMENT', `type name "${type.name}" is already taken`);
    }
    if (this.#byId.has(type.id)) throw new GroveError('INVALID_ARGUMENT', `type id 0x${type.id.toString(16)} is already registered`);
    const members = this.#flatMembers(type);
    this.#sink?.(type.id, type.name, members, type.open ?? type.members === undefined);
    this.#byName.set(type.name, type);
    this.#byId.set(type.id, type);
    return this;
  }

  byName(name: string): AbstractType | undefined {
    return this.#byName.get(name);
  }

  byId(id: number): AbstractType | undefined {
    return this.#byId.get(id);
  }

  /** The id of a built-in type, a registered type by name, an id as typed JSON writes it ("0x10000001"), or a raw id. */
  typeId(type: TypeName | (string & {}) | number, where: string): number {
    const registered = typeof type === 'string' ? this.#byName.get(type) : undefined;
    if (registered !== undefined) return registered.id;
    if (typeof type === 'string' && isApplicationTypeId(type)) return Number.parseInt(type, 16);
    if (typeof type === 'string' && !isTypeName(type)) {
      const known = [...Object.keys(TYPE_IDS), ...this.#byName.keys()].join(', ');
      throw new GroveError('INVALID_ARGUMENT', `${where}: unknown type '${type}'; expected one of ${known} or a type id`);
    }
    return typeIdOf(type as TypeName | number, where);
  }

  /**
   * The query id of a type, query type, registered type name, or raw id. A registered
   * name matches the nodes that are of it: its query keeps only the flags its registered
   * supertypes (types of its family whose flags are a part of its own) do not have, as
   * 'block_hash' keeps only the flag the hash it is does not. A raw id matches by the
   * is-a rule as it is.
   */
  queryId(type: TypeQuery | (string & {}), where: string): number {
    const registered = typeof type === 'string' ? this.#byName.get(type) : undefined;
    if (registered === undefined) return queryIdOf(type as TypeQuery, where);
    const flags = registered.id & 0xffffff;
    let inherited = 0;
    for (const other of this.#byId.values()) {
      const otherFlags = other.id & 0xffffff;
      if (other.id >>> 24 === registered.id >>> 24 && otherFlags !== flags && (otherFlags & flags) === otherFlags) inherited |= otherFlags;
    }
    const own = flags & ~inherited;
    return own === 0 ? registered.id : ((registered.id & 0xff000000) | own) >>> 0;
  }

  /** Runs `method` of the node's type with the node; TYPE_MISMATCH when the type has none. */
  invoke(node: Node, method: string, args: unknown): unknown {
    const type = this.#byId.get(node.typeId);
    const operation = type?.operations && Object.hasOwn(type.operations, method) ? type.operations[method] : undefined;
    if (operation === undefined) {
      const known = type?.operations ? Object.keys(type.operations) : [];
      throw new GroveError(
        'TYPE_MISMATCH',
        `a ${type?.name ?? node.type} node has no operation "${method}"` + (known.length > 0 ? `; it has ${known.join(', ')}` : ''),
        node.path,
      );
    }
    return operation(node, args);
  }

  #flatMembers(type: AbstractType): (string | number | boolean)[] {
    const flat: (string | number | boolean)[] = [];
    for (const [name, member] of Object.entries(type.members ?? {})) {
      const schema: MemberSchema = typeof member === 'object' && member !== null ? member : { type: member };
      const where = `type ${type.name}, member ${name}`;
      const query = QUERY_NAMES.has(schema.type);
      flat.push(
        name,
        query ? 0 : this.typeId(schema.type as TypeName | number, where),
        this.queryId(schema.type as TypeQuery, where),
        schema.optional !== true,
      );
    }
    return flat;
  }
}
