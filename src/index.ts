// The public API of the grove package.

export { type GroveErrorCode, GroveError } from './errors.js';
export { type ChildPage, type ChildSummary, type CompareOp, type FindQuery, Node, type Outcome, type PlotEnvelope, type PlotRange } from './node.js';
export {
  type Change,
  type ChangeOp,
  type ExportOptions,
  type ImportJsonOptions,
  type JsonFormat,
  type SharedTree,
  Tree,
} from './tree.js';
export {
  type DocumentOptions,
  type DocumentReader,
  type ImportFormat,
  JsonTextError,
  type NodeSink,
  NODIX_RECORD_TYPES,
  type NodixFlaw,
  NodixWriter,
  PlanError,
  readDocument,
} from './codec/index.js';
export {
  type AbstractType,
  type MemberSchema,
  type MemberType,
  type Operation,
  TypeRegistry,
} from './abstractTypes.js';
export * from './chain/index.js';
export { convert } from './values/convert.js';
export {
  ANY_TYPE,
  ARRAY_TYPE,
  type ArrayValue,
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
