// The ssh adapter runs the shared adapter conformance suite (SPEC.md §8) against a real sshd.
import { createPortcullis, parsePolicy } from '@portcullis/core';
import { describeAdapterConformance, type ConformanceCaller } from '@portcullis/conformance';
import { startTestSshd, type TestSshd } from '@portcullis/testing';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll } from 'vitest';
import { createGatedSsh } from '../src/index.js';
import { agent, bob, connectTo, secrets, SSHD_MISSING } from './fixtures.js';

let sshd: TestSshd;
let dir: string;
beforeAll(async () => {
  if (SSHD_MISSING !== undefined) return;
  sshd = await startTestSshd();
  dir = path.join(sshd.home, `conformance-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'secrets.txt'), `aws ${secrets.awsKey}\ntoken ${secrets.github}\n`);
  await sshd.chownToUser(dir);
  await sshd.chownToUser(path.join(dir, 'secrets.txt'));
});
afterAll(async () => {
  if (SSHD_MISSING === undefined) await sshd.stop();
});

const policy = (counter: string): string => `
version: 1
targets:
  bastion: { protocol: ssh }
recording: { required: true }
rules:
  - id: ops-exec
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec] }
  - id: counter-needs-review
    effect: review
    when: { groups: [ops], targets: [bastion], operations: [write], resources: ["${counter}"] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Writes need a manager
  - id: no-rm
    effect: deny
    when: { targets: [bastion], operations: [exec], resources: ["rm *"] }
    reason: Deleting files is not allowed
masking:
  default: default
  profiles:
    default: { detectors: [secrets, pii] }
`;

let run = 0;
describeAdapterConformance(
  '@portcullis/ssh',
  async ({ approvals, recorder }) => {
    const counter = path.join(dir, `counter-${++run}`);
    await rm(counter, { force: true });
    const portcullis = await createPortcullis({ policy: parsePolicy(policy(counter)), approvals, recorder });
    const ssh = createGatedSsh({ connect: connectTo(sshd), portcullis, target: 'bastion' });
    const keyBody = sshd.privateKey.split('\n').slice(1, -2).join('');
    return {
      portcullis,
      requester: agent,
      approver: bob,
      secrets: [secrets.awsKey, secrets.github],
      credentials: [keyBody.slice(0, 60), keyBody.slice(-60)],
      driverClasses: [ssh2.Client],
      open: (review): Promise<ConformanceCaller> => {
        const s = ssh.as(agent, { review });
        return Promise.resolve({
          handle: s,
          read: () => s.exec('echo ok'),
          write: () => s.exec(`echo w >> ${counter}`),
          denied: () => s.exec('rm -rf /tmp/conformance'),
          secretRead: () => s.exec(`cat ${path.join(dir, 'secrets.txt')}`),
          // The command prints the secrets, then fails (stopped at its timeout).
          secretError: () => s.exec(`cat ${path.join(dir, 'secrets.txt')}; sleep 5`, { timeoutMs: 500 }),
          end: () => s.end(),
        });
      },
      writes: async () => {
        const text = await readFile(counter, 'utf8').catch(() => '');
        return text.split('\n').filter((l) => l === 'w').length;
      },
      close: () => ssh.end(),
    };
  },
  // Command output is a byte stream, not rows: its byte and duration caps are tested in exec.integration.
  { notices: false, caps: false, ...(SSHD_MISSING === undefined ? {} : { skip: SSHD_MISSING }) },
);
