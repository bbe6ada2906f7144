// Public entry of @portcullis/conformance: re-exports only.
export { describeAdapterConformance } from './describe-adapter-conformance.js';
export type {
  ConformanceCaller,
  ConformanceEnvironment,
  ConformanceFactory,
  ConformanceOptions,
  ConformanceReview,
  ConformanceSubject,
} from './types.js';
export { findLeaks, inspectDeep } from './find-leaks.js';
export type { LeakQuery } from './find-leaks.js';
export { reachable } from './reachable.js';
export { plantOnPrototypes } from './lib/plant.js';
