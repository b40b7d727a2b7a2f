// Application-registered abstract types (DESIGN "Types"): a name, a type id in an
// application family (0x10-0xFE) with is-a flags, and operations written in TypeScript
// that node.invoke runs with the node. Nodes of these types hold children by name.
import { GroveError } from './errors.js';
import type { Node } from './node.js';
import { isTypeName } from './types.js';

export type Operation = (node: Node, args: unknown) => unknown;

export interface AbstractType {
  readonly name: string;
  readonly id: number;
  readonly operations?: Readonly<Record<string, Operation>>;
}

export class TypeRegistry {
  readonly #byName = new Map<string, AbstractType>();
  readonly #byId = new Map<number, AbstractType>();

  register(type: AbstractType): this {
    const family = type.id >>> 24;
    if (!Number.isInteger(type.id) || family < 0x10 || family > 0xfe || (type.id & 0xffffff) === 0) {
      throw new GroveError('INVALID_ARGUMENT', `type ${type.name}: id 0x${type.id.toString(16)} must have a family byte 0x10-0xFE and at least one is-a flag`);
    }
    if (isTypeName(type.name) || this.#byName.has(type.name)) {
      throw new GroveError('INVALID_ARGUMENT', `type name "${type.name}" is already taken`);
    }
    if (this.#byId.has(type.id)) throw new GroveError('INVALID_ARGUMENT', `type id 0x${type.id.toString(16)} is already registered`);
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
}
