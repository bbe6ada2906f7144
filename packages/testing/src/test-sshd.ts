// A real OpenSSH server for tests: `sshd -D -e` on a free loopback port with a generated host
// key, a generated client key, and a configuration that lets exactly one unprivileged user in.
// Its debug log (LogLevel DEBUG3, sftp-server at DEBUG3 too) is kept so a test can show that a
// request the gate refused never reached the server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

/** Where Debian's `openssh-server` puts the daemon. */
const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
const KEYGEN_CANDIDATES = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen'];
/** The unprivileged account the tests log in as when they run as root. */
const TEST_USER = 'portcullis-ssh';

/** A position in the server's logs (see {@link TestSshd.mark}). */
export interface LogMark {
  readonly sshd: number;
  readonly sftp: number;
}

/** A running test server. */
export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The account the client key logs in as. */
  readonly username: string;
  /** Its home directory on the server (the same machine: tests may prepare files there). */
  readonly home: string;
  /** The client's private key (OpenSSH format). */
  readonly privateKey: string;
  /** The server's host public key as an OpenSSH line (`ssh-ed25519 AAAA…`): the pin. */
  readonly hostKey: string;
  /** Another host key, for mismatch tests. */
  readonly otherHostKey: string;
  /** Everything sshd (and its SFTP server) has logged so far. */
  log(): string;
  /** A position in the logs, for {@link TestSshd.logSince}. */
  mark(): LogMark;
  /** What sshd and its SFTP server logged since `mark`. */
  logSince(mark: LogMark): string;
  /** Makes a file or directory belong to the login user. */
  chownToUser(file: string): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/**
 * Why a real sshd cannot be started here, or `undefined` when it can. Tests put the reason in
 * their name when they skip.
 */
export function sshdUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux with OpenSSH sshd';
  if (!existsSync(SSHD)) return `needs OpenSSH sshd at ${SSHD} (Debian: apt-get install openssh-server)`;
  if (keygen() === undefined) return 'needs ssh-keygen (Debian: apt-get install openssh-client)';
  return undefined;
}

function keygen(): string | undefined {
  return KEYGEN_CANDIDATES.find((p) => existsSync(p));
}

/**
 * Starts sshd for one test file. As root it runs as root (privilege separation as OpenSSH
 * ships it) and lets in only an unprivileged account (created when absent, in group `tty` so
 * it can have terminals); as any other user it runs unprivileged and lets in that user.
 *
 * @example
 * ```ts
 * const sshd = await startTestSshd();
 * // … ssh2 connect({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey })
 * await sshd.stop();
 * ```
 * @throws Error when sshd is unavailable (check {@link sshdUnavailable} first) or does not start.
 */
export async function startTestSshd(): Promise<TestSshd> {
  const why = sshdUnavailable();
  if (why !== undefined) throw new Error(why);
  const keygenPath = keygen() as string;
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-sshd-'));
  await chmod(dir, 0o755);
  const isRoot = process.getuid?.() === 0;
  const account = isRoot ? ensureTestUser() : { name: userInfo().username, home: userInfo().homedir };
  await mkdir(account.home, { recursive: true });

  const run = (args: string[]): void => {
    const r = spawnSync(keygenPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed: ${r.stderr}`);
  };
  for (const name of ['host', 'other', 'client']) {
    run([
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `portcullis-test-${name}`,
      '-f',
      path.join(dir, `${name}_ed25519`),
    ]);
  }
  const clientPub = await readFile(path.join(dir, 'client_ed25519.pub'), 'utf8');
  await writeFile(path.join(dir, 'authorized_keys'), clientPub, { mode: 0o644 });

  if (isRoot) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const sftpLogPath = path.join(dir, 'sftp-server.log');
  await writeFile(sftpLogPath, '', { mode: 0o666 });
  await chmod(sftpLogPath, 0o666);
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(dir, 'host_ed25519')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    `AllowUsers ${account.name}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PidFile none',
    'LogLevel DEBUG3',
    // The server allows everything a client could ask for: the gate, not the server, refuses.
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'AllowAgentForwarding yes',
    'X11Forwarding yes',
    'PermitTTY yes',
    'AcceptEnv LANG LC_* PORTCULLIS_*',
    // The server's SFTP side logs each operation (open, opendir, realpath, …) to its own file:
    // sshd runs the subsystem line through the login shell, which does the redirection.
    existsSync(SFTP_SERVER)
      ? `Subsystem sftp ${SFTP_SERVER} -e -l DEBUG3 2>>${sftpLogPath}`
      : 'Subsystem sftp internal-sftp -l DEBUG3',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxSessions 64',
    'MaxStartups 64',
    '',
  ].join('\n');
  const configPath = path.join(dir, 'sshd_config');
  await writeFile(configPath, config, { mode: 0o644 });

  let log = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log += chunk;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`sshd did not start within 10 s:\n${log}`));
      }, 10_000);
      // Removed once listening: the server logs at DEBUG3, and searching the whole log again
      // on every chunk of it would cost the test process more with every connection.
      const check = (): void => {
        if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer);
          child.stderr?.off('data', check);
          resolve();
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${String(code)}) before listening:\n${log}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const hostKey = (await readFile(path.join(dir, 'host_ed25519.pub'), 'utf8')).trim();
  const otherHostKey = (await readFile(path.join(dir, 'other_ed25519.pub'), 'utf8')).trim();
  const privateKey = await readFile(path.join(dir, 'client_ed25519'), 'utf8');
  const sftpLog = (): string => {
    try {
      return readFileSync(sftpLogPath, 'utf8');
    } catch {
      return '';
    }
  };
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    username: account.name,
    home: account.home,
    privateKey,
    hostKey,
    otherHostKey,
    log: () => `${log}\n${sftpLog()}`,
    mark: () => ({ sshd: log.length, sftp: sftpLog().length }),
    logSince: (mark) => `${log.slice(mark.sshd)}\n${sftpLog().slice(mark.sftp)}`,
    chownToUser: async (file) => {
      if (isRoot) {
        const { uid, gid } = account as { uid: number; gid: number };
        await chown(file, uid, gid);
      }
    },
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) =>
            child.once('exit', () => {
              resolve();
            }),
          );
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** The test account: created (with a home, in group tty) when absent. */
function ensureTestUser(): { name: string; home: string; uid: number; gid: number } {
  const lookup = (): { name: string; home: string; uid: number; gid: number } | undefined => {
    const r = spawnSync('getent', ['passwd', TEST_USER], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    const fields = r.stdout.trim().split(':');
    return { name: TEST_USER, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '' };
  };
  let found = lookup();
  if (found === undefined) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/bash', '--groups', 'tty', TEST_USER], {
      encoding: 'utf8',
    });
    // Another test file may have created it at the same moment.
    found = lookup();
    if (found === undefined) throw new Error(`cannot create the test user ${TEST_USER}: ${r.stderr}`);
  }
  // sshd refuses a locked account (a `!` in shadow) for every method; `*` is "no password".
  spawnSync('usermod', ['-p', '*', TEST_USER]);
  spawnSync('usermod', ['-a', '-G', 'tty', TEST_USER]);
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
