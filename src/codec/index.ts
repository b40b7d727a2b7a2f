// The text codecs: JSON text with exact numbers, plain / typed / Nodix documents, and
// their import into a tree.
export { type BuildTarget, buildPlan, type ImportFormat, importInto, type ImportOptions, type ImportResult, planText } from './import.js';
export { leafFromJson, plainJsonValue, typedJsonValue } from './jsonValues.js';
export { JsonTextError } from './jsonText.js';
export { type Plan, PlanError, type PlanNode, type PlanType } from './plan.js';
