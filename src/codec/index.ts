// The text codecs: JSON text with exact numbers, plain / typed / Nodix documents, and
// their import into a tree.
export { type BuildTarget, buildPlan, type ImportFormat, importInto, type ImportOptions, type ImportResult, planText } from './import.js';
export { JsonTextError } from './jsonText.js';
export { type Plan, PlanError, type PlanNode } from './plan.js';
