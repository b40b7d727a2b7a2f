// The public API of the grove package.

export { type GroveErrorCode, GroveError } from './errors.js';
export { type ChildPage, type ChildSummary, type CompareOp, type FindQuery, Node, type Outcome } from './node.js';
export {
  type Change,
  type ChangeOp,
  type ExportOptions,
  type ImportJsonOptions,
  type JsonFormat,
  type SharedTree,
  Tree,
} from './tree.js';
export { type ImportFormat, JsonTextError, PlanError } from './codec/index.js';
export {
  ANY_TYPE,
  INTEGER_TYPE,
  isStructured,
  isTypeName,
  type JsonValue,
  type LeafValue,
  NUMBER_TYPE,
  type TreeValue,
  TYPE_IDS,
  type TypeLabel,
  type TypeName,
  type TypeQuery,
} from './types.js';
