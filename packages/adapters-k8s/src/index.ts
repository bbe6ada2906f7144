// Public entry of @portcullis/k8s: re-exports only.
export { createKubeGate } from './create-kube-gate.js';
export { KubeApiError } from './kube-api-error.js';
export type {
  CreateKubeGateOptions,
  KubeConfigLike,
  KubeExecOptions,
  KubeExecResult,
  KubeGate,
  KubeListOptions,
  KubeLogsOptions,
  KubeObjectRef,
  KubeSession,
  KubeSessionOptions,
  KubeWatchEvent,
  KubeWatchOptions,
} from './types.js';
