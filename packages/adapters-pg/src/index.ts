// Public entry of @portcullis/pg: re-exports only.

// gated client
export { createGatedPool } from './create-gated-pool.js';
export { PgDatabaseError } from './pg-database-error.js';
export type { PgErrorFields } from './pg-database-error.js';
export type {
  GatedCallback,
  GatedField,
  GatedMaskingOptions,
  GatedNotice,
  GatedPool,
  GatedPoolOptions,
  GatedQueryable,
  GatedQueryConfig,
  GatedQueryResult,
  GatedRecordingOptions,
  GatedReviewOptions,
  GatedSession,
  GatedSessionOptions,
  GatedSubmittable,
  GatedTransaction,
} from './types.js';
