// The text codecs: JSON text with exact numbers, plain / typed / Nodix documents read
// whole or in pieces, their import into a tree, and Nodix text written from a tree.
export {
  type BuildTarget,
  buildPlan,
  type DocumentOptions,
  type DocumentReader,
  type ImportFormat,
  importInto,
  type ImportOptions,
  type ImportResult,
  planText,
  readDocument,
} from './import.js';
export { type NodixFlaw } from './nodix.js';
export { NODIX_RECORD_TYPES } from './nodixTypes.js';
export { NodixWriter } from './nodixWriter.js';
export { leafFromJson, plainJsonValue, typedJsonValue } from './jsonValues.js';
export { JsonTextError } from './jsonText.js';
export { type NodeSink, type Plan, PlanError, type PlanErrorCode, type PlanNode, type PlanType } from './plan.js';
