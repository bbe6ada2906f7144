// Shapes that stay inside the adapter: the normalised calls the executor runs.
import type { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { SshConnection } from './lib/connection.js';
import type { CommandRequest, ForwardRequest, ShellRequest, SftpRequest } from '@portcullis/core';

/** The SFTP operations the facade offers, and nothing else. */
export type SftpOperation =
  'readFile' | 'writeFile' | 'readdir' | 'stat' | 'mkdir' | 'rmdir' | 'unlink' | 'rename' | 'chmod';

/** An exec, ready to run: the request decided on and exactly what is sent. */
export interface ExecPlan {
  readonly kind: 'exec';
  readonly request: CommandRequest;
  readonly command: string;
  readonly env: Readonly<Record<string, string>> | undefined;
  /** Sent then closed; absent: stdin is closed at once. */
  readonly stdin: Buffer | undefined;
  readonly timeoutMs: number | undefined;
}

/** An interactive shell on a terminal of this size. */
export interface ShellPlan {
  readonly kind: 'shell';
  readonly request: ShellRequest;
  readonly cols: number;
  readonly rows: number;
  readonly term: string;
}

/** One SFTP operation on absolute, normalised paths. */
export interface SftpPlan {
  readonly kind: 'sftp';
  readonly operation: SftpOperation;
  readonly request: SftpRequest;
  readonly path: string;
  readonly to: string | undefined;
  /** `writeFile`: the data; `chmod`: the mode. */
  readonly data: Buffer | undefined;
  readonly mode: number | undefined;
}

/** A direct-tcpip forward to the canonical host. */
export interface ForwardPlan {
  readonly kind: 'forward';
  readonly request: ForwardRequest;
  readonly host: string;
  readonly port: number;
}

/** Any normalised call. */
export type SshPlan = ExecPlan | ShellPlan | SftpPlan | ForwardPlan;

/** Where a command's masked output goes: the caller's buffer or stream. Waits for room. */
export type OutputSink = (stream: 'stdout' | 'stderr', text: string) => Promise<void> | void;

/** The calls the gate runs for a session: a plan and how its results reach the caller. */
export type SshCall =
  | {
      readonly kind: 'exec';
      readonly conn: SshConnection;
      readonly plan: ExecPlan;
      readonly sink: OutputSink;
      /** Called once the channel is open, with how to stop it (the reader stopped). */
      readonly started?: (stop: () => void) => void;
    }
  | {
      readonly kind: 'shell';
      readonly conn: SshConnection;
      readonly plan: ShellPlan;
      readonly opened: (shell: GatedShellParts) => void;
    }
  | {
      readonly kind: 'sftp';
      readonly conn: SshConnection;
      readonly plan: SftpPlan;
      /** Decides the request again for the paths the server resolved (symlinks). */
      readonly check: (request: SftpRequest) => Promise<void>;
    }
  | { readonly kind: 'check'; readonly request: SftpRequest }
  | {
      readonly kind: 'forward';
      readonly conn: SshConnection;
      readonly plan: ForwardPlan;
      readonly opened: (stream: Duplex) => void;
    };

/** What a shell run hands the facade once the channel is open. */
export interface GatedShellParts {
  readonly stream: Duplex;
  readonly resize: (cols: number, rows: number) => void;
}

/** What execute resolves with, by call kind. */
export type SshRaw =
  | {
      readonly kind: 'exec';
      readonly code: number | null;
      readonly signal: string | null;
      readonly bytes: number;
    }
  | { readonly kind: 'shell'; readonly code: number | null; readonly signal: string | null }
  | { readonly kind: 'sftp'; readonly value: unknown; readonly summary: string }
  | { readonly kind: 'check'; readonly summary: string }
  | {
      readonly kind: 'forward';
      readonly bytesIn: number;
      readonly bytesOut: number;
    };
