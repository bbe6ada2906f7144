// Public entry of @portcullis/pg: re-exports only.

// gated client
export { createGatedPool } from './create-gated-pool.js';
export { asPgPool } from './lib/as-pg-pool.js';
export { PgDatabaseError } from './pg-database-error.js';
export type { PgErrorFields } from './pg-database-error.js';
export type {
  GatedCallback,
  GatedField,
  GatedMaskingOptions,
  GatedNotice,
  GatedPgPool,
  GatedPgPoolClient,
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

// shared state in PostgreSQL
export { createPgApprovalStore } from './approval-store.js';
export type { PgApprovalStore, PgApprovalStoreOptions } from './approval-store.js';
export type { ListenConnection } from './lib/approval-store-listener.js';
export { migrate } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { createPgRecordingSink } from './recording-sink.js';
export type { PgRecordingSink, PgRecordingSinkOptions } from './recording-sink.js';
export { exportRecording } from './recording-sink-export.js';
export type { ExportRecordingOptions } from './recording-sink-export.js';
export { pruneRecording } from './recording-sink-prune.js';
export type { PgPruneOptions, PgPruneResult } from './recording-sink-prune.js';
