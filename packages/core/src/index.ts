// Public entry of @portcullis/core: re-exports only (STYLE.md). Each area adds its own
// names under its heading.

// types and errors
export type {
  Action,
  ActionDecision,
  ApproverSpec,
  ClassifyContext,
  ColumnRuleConfig,
  CommandRequest,
  CommandStdin,
  Decision,
  Effect,
  ForwardRequest,
  IdentityConfig,
  IssuerKeys,
  JwksSource,
  KubeRequest,
  MaskingProfileConfig,
  MaskStyle,
  Principal,
  PrincipalInput,
  PrincipalKind,
  Protocol,
  Recorder,
  RecordEvent,
  RecordEventType,
  RecordingSink,
  Request,
  ReviewRequirement,
  SessionRecorder,
  SftpRequest,
  ShellRequest,
  SqlRequest,
  Target,
} from './types.js';
export {
  ApprovalError,
  BypassError,
  DeniedError,
  HostKeyError,
  PolicyError,
  PortcullisError,
  portcullisErrorOf,
  RecordingError,
  ReviewRequiredError,
  TokenError,
} from './errors.js';
export type {
  AnyPortcullisError,
  ApprovalErrorCode,
  PolicyIssue,
  PortcullisErrorCode,
  PortcullisErrorOptions,
  TokenErrorCode,
} from './errors.js';

// identity
export { createIdentityResolver } from './identity/resolve-identity.js';
export type {
  IdentityResolver,
  IdentityResolverOptions,
  ResolveOptions,
} from './identity/resolve-identity.js';
export type { DpopRequest } from './identity/dpop.js';
export { createMemoryDpopReplayCache } from './identity/dpop-replay-cache.js';
export type { DpopReplayCache, MemoryDpopReplayCacheOptions } from './identity/dpop-replay-cache.js';
export { parseDurationSeconds } from './identity/duration.js';

// classify
export { analyzeSql, classifySql, configureSqlClassifier, loadSqlClassifier } from './classify/sql.js';
export type { SqlAnalysis, SqlClassifierOptions, SqlFailure, SqlStatement } from './classify/sql.js';
export { classifyRequest, loadClassifiers, readsScriptFromStdin } from './classify/classify.js';
// classify: the gate's own state schema and column lineage
export { sqlReachesSchema } from './classify/sql/schema-reach.js';
export type { SchemaReach } from './classify/sql/schema-reach.js';
export { sqlLineage } from './classify/sql/lineage.js';
export { isSafeOperator, isTransparentFunction } from './classify/sql/functions.js';
export type {
  ColumnProtection,
  OutputLineage,
  ProtectedColumn,
  RelationRef,
  SqlLineage,
  SqlLineageOptions,
  StatementLineage,
} from './classify/sql/lineage.js';
export { classifyShellCommand, loadShellClassifier } from './classify/shell.js';
export { classifyKubeRequest } from './classify/kubernetes.js';

// policy
export { compilePolicy } from './policy/compile-policy.js';
export type { CompilePolicyOptions } from './policy/compile-policy.js';
export { evaluate } from './policy/evaluate.js';
export type { EvaluateInput } from './policy/evaluate.js';
export { formatLintFinding, lintPolicy } from './policy/lint-policy.js';
export { loadPolicyFile, parsePolicy } from './policy/load-policy.js';
export type { LoadPolicyFileOptions, ParsePolicyOptions } from './policy/load-policy.js';
export type {
  CompiledPolicy,
  LintFinding,
  LintSeverity,
  PolicyDocument,
  PolicyDuration,
  PolicyIdentity,
  PolicyReview,
  PolicyRule,
  PolicyWhen,
  SourcePosition,
} from './policy/policy-types.js';
export { policyJsonSchema } from './policy/schema.js';
export { OPERATION_VOCABULARY } from './policy/vocabulary.js';

// approvals
export { applyVote } from './approvals/apply-vote.js';
export { checkApprover, describeApprovers } from './approvals/check-approver.js';
export { consumeGrant, endReservation, grantCovers } from './approvals/consume-grant.js';
export { grantTerms } from './approvals/grant-terms.js';
export type { GrantTerms } from './approvals/grant-terms.js';
export { actorsOf, canonicalRequest, hashRequest, hashScope } from './approvals/hash-request.js';
export type { RequestIdentity } from './approvals/hash-request.js';
export { approverMatches } from './approvals/match-approver.js';
export { matchesFilter } from './approvals/matches-filter.js';
export { createMemoryApprovalStore } from './approvals/memory-store.js';
export type { MemoryApprovalStoreOptions } from './approvals/memory-store.js';
export { newApprovalRequest } from './approvals/new-approval.js';
export { settleApproval } from './approvals/settle-approval.js';
export type {
  ApprovalChange,
  ApprovalFilter,
  ApprovalGrant,
  ApprovalRequest,
  ApprovalStatus,
  ApprovalStore,
  ApprovalVote,
  ApprovalVoteInput,
  CreateApprovalInput,
  GrantQuery,
  ReservationOutcome,
} from './approvals/types.js';

// engine
export { createPortcullis } from './engine/create-portcullis.js';
export { denyDecision } from './engine/deny-decision.js';
export type {
  Authorization,
  AuthorizeInput,
  Classify,
  DecideInput,
  GrantReservation,
  Portcullis,
  PortcullisApprovals,
  PortcullisOptions,
  ReviewOptions,
} from './engine/types.js';

// mask
export { createMasker } from './mask/create-masker.js';
export { listDetectors } from './mask/list-detectors.js';
export { resolveDetectorSelection } from './mask/resolve-detector-selection.js';
export type {
  CreateMaskerOptions,
  DetectorCategory,
  DetectorInfo,
  Masker,
  MaskColumn,
  MaskFinding,
  MaskResult,
  MaskStreamOptions,
  MaskValueContext,
} from './mask/types.js';

// record
export { canonicalJson } from './record/canonical-json.js';
export { genesisHash, hashEvent } from './record/hash-event.js';
export { serializeEvent } from './record/serialize-event.js';
export { sealKeyId } from './record/seal-key-id.js';
export { createRecorder } from './record/create-recorder.js';
export type { CreateRecorderOptions } from './record/create-recorder.js';
export { createMemorySink } from './record/memory-sink.js';
export type { MemorySink } from './record/memory-sink.js';
export { createFileSink } from './record/file-sink.js';
export type { FileSink, FileSinkHandle, FileSinkOptions, TornLineRepair } from './record/file-sink.js';
export { verifyRecording } from './record/verify.js';
export type {
  VerifiedSession,
  VerifyOptions,
  VerifyProblem,
  VerifyProblemKind,
  VerifyReport,
  VerifyWarning,
  VerifyWarningKind,
  PruneSummary,
} from './record/verify.js';
export { verifyRecordingFile } from './record/verify-file.js';
export { pruneRecordingFile } from './record/prune-recording-file.js';
export type { PruneOptions, PruneResult } from './record/prune-recording-file.js';
export { buildTombstones } from './record/tombstone.js';
export type { PrunedSession, PruneRecord, TombstoneOptions } from './record/tombstone.js';
export type { CheckpointOptions } from './record/create-recorder.js';
export type { VerifyFileOptions } from './record/verify-file.js';
export { formatVerifyReport } from './record/format-verify-report.js';
export type { FormatVerifyReportOptions } from './record/format-verify-report.js';
export { readRecording } from './record/read-recording.js';
export type { ReadRecordingResult, RecordedSession, SkippedLine } from './record/read-recording.js';
export { readRecordingFile } from './record/read-recording-file.js';
export { createSessionFormatter, formatSession, sessionHeadOf } from './record/format-session.js';
export type {
  FormatSessionOptions,
  SessionFormatter,
  SessionFormatterOptions,
  SessionHead,
} from './record/format-session.js';
export { indexRecordingFile, sessionEventsOfFile } from './record/recording-file-sessions.js';
export type {
  IndexRecordingFileOptions,
  RecordingFileIndex,
  RecordingFileReadOptions,
  RecordingFileSession,
} from './record/recording-file-sessions.js';
export { boundValueLines, requestText } from './request-text.js';
export { streamAsciicast, toAsciicast } from './record/to-asciicast.js';
export { escapeTerminalText, terminalSafeJson } from './record/terminal-text.js';
export type { EscapeTerminalTextOptions } from './record/terminal-text.js';
export type { AsciicastOptions } from './record/to-asciicast.js';
export { formatRedecide, redecide } from './record/redecide.js';
export type {
  DecisionSummary,
  RedecideEntry,
  RedecideFunction,
  RedecideInput,
  RedecideResult,
} from './record/redecide.js';
export type {
  ApprovalEventData,
  DecisionEventData,
  ErrorEventData,
  OutputEventData,
  RequestEventData,
  ResultEventData,
  SealData,
  SessionEndData,
  SessionStartData,
} from './record/event-data.js';
export type { KeyInput, RecordingInput } from './record/types.js';

// http
export { toNodeHandler } from './http/to-node-handler.js';
// gate runtime
export { createGate, withKind } from './gate/create-gate.js';
export { createGateQueue } from './gate/queue.js';
export { createMaskingPlan } from './gate/masking-plan.js';
export { maskerFor } from './gate/masker-for.js';
export type { MaskerForOptions } from './gate/masker-for.js';
export { capError, DEFAULT_RESULT_CAPS, resolveCaps } from './gate/result-caps.js';
export { toSafeError } from './gate/safe-error.js';
export { ResultTooLargeError } from './errors.js';
export type { ResultCap } from './errors.js';
export type { TextStreamMasker } from './mask/types.js';
export type {
  ColumnMasking,
  Gate,
  GateAdapter,
  GateColumn,
  GateOptions,
  GateOutput,
  GateQueue,
  GateRequest,
  GateResultRecord,
  GateRun,
  GateRunOptions,
  GateSession,
  GateSessionOptions,
  GateShaped,
  MaskingPlan,
  ResultCaps,
} from './gate/types.js';
// telemetry (operations)
export { createTelemetry } from './telemetry/telemetry.js';
export type {
  AuthorizationSpan,
  ExecutionOutcome,
  ExecutionSpan,
  ExecutionSpanInput,
  Telemetry,
  TelemetryOptions,
} from './telemetry/telemetry.js';
export { silentLogger } from './telemetry/logger.js';
export type { PortcullisLogger } from './telemetry/logger.js';
