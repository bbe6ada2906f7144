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

// classify

// policy

// approvals

// engine

// mask

// record
