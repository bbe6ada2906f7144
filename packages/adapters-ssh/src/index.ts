// Public entry of @portcullis/ssh: re-exports only.
export { createGatedSsh } from './create-gated-ssh.js';
export type {
  CreateGatedSshOptions,
  ExecChunk,
  ExecOptions,
  ExecResult,
  ExecStream,
  GatedShell,
  GatedSftp,
  GatedSsh,
  GatedSshConnectOptions,
  GatedSshSession,
  GatedSshSessionOptions,
  SftpEntry,
  SftpStat,
  ShellOptions,
} from './types.js';
