/**
 * Public types of `@portcullis/ssh`: what {@link createGatedSsh} takes and the facades it gives.
 *
 * @packageDocumentation
 */
import type { Duplex } from 'node:stream';
import type {
  Portcullis,
  Principal,
  PrincipalInput,
  ResolveOptions,
  ReviewOptions,
  ResultCaps,
} from '@portcullis/core';
import type { ConnectConfig } from 'ssh2';

/**
 * ssh2 connect options with a pinned host key. The gate verifies the server's key itself
 * (`hostVerifier` and `hostHash` are its own) and never forwards an agent or X11.
 */
export type GatedSshConnectOptions = Omit<ConnectConfig, 'hostVerifier' | 'hostHash' | 'agentForward'> & {
  /**
   * The server's host key: an OpenSSH public key line (`ssh-ed25519 AAAA…`, as in
   * `/etc/ssh/ssh_host_ed25519_key.pub` or known_hosts without the host name) or a
   * `SHA256:…` fingerprint (`ssh-keygen -lf`), or several during a key rotation. Required:
   * no pin, no connection. A server with another key is refused before any credential is sent.
   */
  readonly hostKey: string | readonly string[];
};

/** Options of {@link createGatedSsh}. */
export interface CreateGatedSshOptions {
  /** How to reach and log in to the server (ssh2 options plus the pinned `hostKey`). */
  readonly connect: GatedSshConnectOptions;
  /** The engine (`createPortcullis`). */
  readonly portcullis: Portcullis;
  /** The policy's target name (protocol `ssh`). */
  readonly target: string;
  /**
   * The login shell of the remote account, which runs exec command lines: one of `bash`
   * (default), `sh`, `dash`, `ksh`, `zsh`. Command lines are classified with the bash
   * grammar, so other shells (fish, csh, tcsh) are refused when the gate is built.
   */
  readonly remoteShell?: 'bash' | 'sh' | 'dash' | 'ksh' | 'zsh';
  /** The default review mode of sessions (default `{ mode: 'defer' }`). */
  readonly review?: ReviewOptions;
  /** Limits per request: output bytes, duration (default 256 MiB, 10 minutes). */
  readonly caps?: Partial<ResultCaps>;
  /** The `hash` masking style's key. */
  readonly hashKey?: string | Uint8Array;
}

/** Options of {@link GatedSsh.as} and {@link GatedSsh.withToken}. */
export interface GatedSshSessionOptions {
  /** This session's review mode (default: the gate's). */
  readonly review?: ReviewOptions;
}

/**
 * The gated SSH target: sessions for principals. Each session has its own SSH connection,
 * opened at its first request that needs the server.
 */
export interface GatedSsh {
  readonly target: string;
  /**
   * A session for a principal the host has already authenticated. `kind` may be left out: it
   * defaults to `human` (pass `kind: 'agent'` and `actor` for an agent acting for a person).
   *
   * @throws TypeError when the principal has no subject, no groups list or an unknown kind.
   */
  as(principal: PrincipalInput, options?: GatedSshSessionOptions): GatedSshSession;
  /**
   * A session for the principal a bearer token resolves to.
   *
   * @throws TokenError when the token is rejected.
   */
  withToken(token: string, options?: GatedSshSessionOptions & ResolveOptions): Promise<GatedSshSession>;
  /**
   * Ends every session and closes their connections. Never rejects: a session whose recording
   * cannot be ended says so from its own `end()`.
   */
  end(): Promise<void>;
}

/** Options of {@link GatedSshSession.exec} and {@link GatedSshSession.execStream}. */
export interface ExecOptions {
  /** Environment variables to ask the server for (classified as an `env NAME=VALUE` prefix). */
  readonly env?: Readonly<Record<string, string>>;
  /** Data to send to the command's stdin, which is then closed. Absent: stdin is closed at once. */
  readonly stdin?: string | Uint8Array;
  /** Stop the command (signal KILL, channel closed) after this many ms. */
  readonly timeoutMs?: number;
}

/** What a command returned, masked. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status, or `null` when the command was ended by a signal. */
  readonly code: number | null;
  /** The signal that ended the command (`SIGTERM`, `SIGKILL`), or `null`. */
  readonly signal: string | null;
}

/** One masked chunk of a streamed command's output. */
export interface ExecChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: string;
}

/**
 * A command's masked output as it arrives. Iterate it (once); `exit` resolves when the
 * command ended. A denial rejects both.
 */
export interface ExecStream extends AsyncIterable<ExecChunk> {
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null }>;
}

/** Options of {@link GatedSshSession.shell}. */
export interface ShellOptions {
  /** Terminal width (default 80). */
  readonly cols?: number;
  /** Terminal height (default 24). */
  readonly rows?: number;
  /** Terminal type (default `xterm-256color`). */
  readonly term?: string;
}

/**
 * An interactive terminal: write what is typed, read masked output. `end()` sends EOF;
 * `destroy()` closes the channel.
 */
export interface GatedShell extends Duplex {
  /** Tells the server the terminal's new size. */
  resize(cols: number, rows: number): void;
  /** Resolves when the shell ended. */
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null }>;
}

/** One entry of {@link GatedSftp.readdir}. */
export interface SftpEntry {
  /** The name (masked like output). */
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
}

/** What {@link GatedSftp.stat} returns. */
export interface SftpStat {
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly atime: number;
  readonly mtime: number;
}

/**
 * Named SFTP operations (no handles). Paths are resolved against the remote home (`~`,
 * relative paths) with dot segments removed, and the path the server resolves (symlinks) is
 * decided too: a link inside an allowed directory cannot reach outside it.
 */
export interface GatedSftp {
  /** A file's content as UTF-8 text, masked (operation `sftp_read`). */
  readFile(path: string): Promise<string>;
  /** Writes (creates or truncates) a file (operation `sftp_write`). */
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  /** A directory's entries, without `.` and `..` (operation `sftp_read`). */
  readdir(path: string): Promise<readonly SftpEntry[]>;
  /** A path's attributes, following symlinks (operation `sftp_read`). */
  stat(path: string): Promise<SftpStat>;
  /** Creates a directory (operation `sftp_write`). */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Removes an empty directory (operation `sftp_write`). */
  rmdir(path: string): Promise<void>;
  /** Removes a file or symlink (operation `sftp_write`). */
  unlink(path: string): Promise<void>;
  /** Renames `from` to `to` (a write of both paths). */
  rename(from: string, to: string): Promise<void>;
  /** Changes a path's permission bits (operation `sftp_write`). */
  chmod(path: string, mode: number): Promise<void>;
}

/**
 * One principal's gated SSH session: the only handle to give an agent. Its methods are frozen
 * closures; the ssh2 Client, its channels and the credentials are never reachable from it.
 * Requests keep their order (a shell, a forward or a streamed exec holds the order only until
 * it has started).
 */
export interface GatedSshSession {
  /** Who the session acts for. */
  readonly principal: Principal;
  /**
   * Runs a command (no terminal) and resolves with its masked output, exit code and signal.
   *
   * @throws DeniedError, ReviewRequiredError, ResultTooLargeError, RecordingError; TypeError
   * for a command that is not a plain string (Buffers, NUL, lone surrogates).
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Runs a command and streams its masked output (see {@link ExecStream}). */
  execStream(command: string, options?: ExecOptions): ExecStream;
  /** Opens an interactive shell on a terminal (operation `shell`). */
  shell(options?: ShellOptions): Promise<GatedShell>;
  /** The session's SFTP operations. */
  sftp(): GatedSftp;
  /** Opens a TCP connection from the server to `host:port` (operation `forward`). */
  forward(host: string, port: number): Promise<Duplex>;
  /**
   * Closes everything the session opened (shells, forwards, streams, the connection) and ends
   * its recording.
   *
   * @throws RecordingError when the recording's end could not be written.
   */
  end(): Promise<void>;
}
