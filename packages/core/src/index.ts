// Public entry of @portcullis/core: re-exports only (STYLE.md). Each area adds its own
// names under its heading.

// types and errors
export type {
  Action,
  ActionDecision,
  ApproverSpec,
  ClassifyContext,
  CommandRequest,
  Decision,
  Effect,
  ForwardRequest,
  IdentityConfig,
  JwksSource,
  KubeRequest,
  MaskingProfileConfig,
  MaskStyle,
  Principal,
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
  PolicyError,
  PortcullisError,
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
export type {
  SqlAnalysis,
  SqlClassifierOptions,
  SqlFailure,
  SqlStatement,
} from './classify/sql.js';

// policy

// approvals
export { applyVote } from './approvals/apply-vote.js';
export { checkApprover, describeApprovers } from './approvals/check-approver.js';
export { consumeGrant, grantCovers } from './approvals/consume-grant.js';
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
} from './approvals/types.js';

// engine
export { createPortcullis } from './engine/create-portcullis.js';
export type {
  Authorization,
  AuthorizeInput,
  Classify,
  DecideInput,
  Portcullis,
  PortcullisApprovals,
  PortcullisOptions,
  ReviewOptions,
} from './engine/types.js';

// mask

// record
