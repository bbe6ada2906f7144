// Shared set-up of the ssh adapter's integration tests: a real sshd, a policy for it, an engine
// recording into memory with real hash chains, and secrets assembled at run time.
import {
  createMemorySink,
  createPortcullis,
  DeniedError,
  ReviewRequiredError,
  createRecorder,
  parsePolicy,
  readRecording,
  type ApprovalStore,
  type MemorySink,
  type Portcullis,
  type Principal,
  type RecordedSession,
  type Recorder,
} from '@portcullis/core';
import {
  randomAwsKeyId,
  randomGithubToken,
  startTestSshd,
  sshdUnavailable,
  type TestSshd,
} from '@portcullis/testing';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { createGatedSsh, type GatedSsh, type GatedSshConnectOptions } from '../src/index.js';

/** Why these tests cannot run here (shown in their names), or `undefined`. */
export const SSHD_MISSING = sshdUnavailable();
/** A suffix for test names: where sshd is absent, why they skip. */
export const needs = SSHD_MISSING === undefined ? '' : ` (skipped: ${SSHD_MISSING})`;

export const agent: Principal = { subject: 'alice', groups: ['ops'], kind: 'agent', actor: 'copilot' };
export const alice: Principal = { subject: 'alice', groups: ['ops'], kind: 'human' };
export const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };

/** Secrets assembled at run time so no scanner mistakes the source for a live credential. */
export const secrets = {
  awsKey: randomAwsKeyId(),
  github: randomGithubToken(),
};

/** The policy: ops may run most commands and read/write under ~/allowed; shells need review. */
export function policyFor(home: string, forwardPort: number): string {
  return `
version: 1
targets:
  bastion: { protocol: ssh }
rules:
  - id: ops-exec
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec] }
  - id: ops-write-redirects
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [write], resources: ["${home}/allowed/**", "/tmp/**"] }
  - id: no-rm
    effect: deny
    when: { targets: [bastion], operations: [exec], resources: ["rm *", "rm"] }
    reason: Deleting files over SSH is not allowed
  - id: touch-needs-review
    effect: review
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["touch *"] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Touching files needs a manager
  - id: shell-needs-review
    effect: review
    when: { groups: [ops], targets: [bastion], operations: [shell] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m, grant: once }
    reason: Interactive shells need a manager
  - id: sftp-allowed-dir
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [sftp_read, sftp_write], resources: ["${home}/allowed", "${home}/allowed/**"] }
  - id: forward-echo
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [forward], resources: ["127.0.0.1:${forwardPort}"] }
masking:
  default: default
  profiles:
    default: { detectors: [secrets, pii] }
`;
}

/** Connect options for the test server, pinned to its host key (or `hostKey` instead). */
export function connectTo(sshd: TestSshd, hostKey = sshd.hostKey): GatedSshConnectOptions {
  return { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, hostKey };
}

/** Everything one test file needs. */
export interface SshWorld {
  readonly sshd: TestSshd;
  readonly portcullis: Portcullis;
  readonly ssh: GatedSsh;
  readonly sink: MemorySink;
  /** A TCP echo server on loopback (the forward target). */
  readonly echoPort: number;
  /** The login user's ~/allowed directory. */
  readonly allowed: string;
  /** The recorded sessions so far. */
  recordings(): readonly RecordedSession[];
  close(): Promise<void>;
}

/**
 * Starts sshd, prepares ~/allowed (a file with secrets, a symlink pointing outside) and builds
 * the engine and gate.
 */
export async function startWorld(
  options: { approvals?: ApprovalStore; recorder?: Recorder; required?: boolean } = {},
): Promise<SshWorld> {
  const sshd = await startTestSshd();
  const echo = await echoServer();
  const port = (echo.address() as { port: number }).port;
  const allowed = path.join(sshd.home, 'allowed');
  await rm(allowed, { recursive: true, force: true });
  await mkdir(allowed, { recursive: true });
  await writeFile(path.join(allowed, 'secrets.txt'), `aws ${secrets.awsKey}\ntoken ${secrets.github}\n`);
  await writeFile(path.join(allowed, 'plain.txt'), 'hello from the server\n');
  await symlink('/etc/hostname', path.join(allowed, 'outside-link'));
  await symlink('/etc', path.join(allowed, 'etc-dir'));
  await sshd.chownToUser(sshd.home);
  await sshd.chownToUser(allowed);
  for (const f of ['secrets.txt', 'plain.txt']) await sshd.chownToUser(path.join(allowed, f));

  const sink = createMemorySink();
  const recorder = options.recorder ?? createRecorder({ sink });
  let text = policyFor(sshd.home, port);
  if (options.required === true) text += 'recording: { required: true }\n';
  const portcullis = await createPortcullis({
    policy: parsePolicy(text),
    recorder,
    ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
  });
  const ssh = createGatedSsh({ connect: connectTo(sshd), portcullis, target: 'bastion' });
  return {
    sshd,
    portcullis,
    ssh,
    sink,
    echoPort: port,
    allowed,
    recordings: () => readRecording(sink.events).sessions,
    close: async () => {
      await ssh.end();
      await new Promise<void>((resolve) =>
        echo.close(() => {
          resolve();
        }),
      );
      await sshd.stop();
    },
  };
}

function echoServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.pipe(socket);
    });
    server.listen(0, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

let victims = 0;

/**
 * A fresh file owned by the login user in `dir` (default ~/allowed), which only an `rm` (or
 * the like) can remove: an attack test's proof of whether its payload ran on the server.
 */
export async function plantVictim(world: SshWorld, dir = world.allowed): Promise<string> {
  const file = path.join(dir, `victim-${process.pid}-${++victims}`);
  await writeFile(file, 'still here\n');
  await world.sshd.chownToUser(file);
  return file;
}

/**
 * An attack's outcome as one line, so a failing test shows it in one diff: whether the gate
 * refused it (denied, or held for review), whether the victim file is still there, and what
 * the gate answered otherwise. The secure outcome is {@link REFUSED}.
 */
export function refusal(outcome: unknown, file: string): string {
  const refused = outcome instanceof DeniedError || outcome instanceof ReviewRequiredError;
  const shown = refused ? 'refused' : JSON.stringify(outcome);
  return `refused=${String(refused)} victimStillExists=${String(existsSync(file))} outcome=${shown}`;
}

/** {@link refusal} of an attack the gate refused and that changed nothing. */
export const REFUSED = 'refused=true victimStillExists=true outcome=refused';
