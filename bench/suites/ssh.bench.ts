// What the gate costs on SSH, against a real OpenSSH sshd started for the run: `exec('true')`
// through a gated session beside raw ssh2 `exec` on an established connection (the gate's
// classify/decide plan cache, queue, masking of empty output), and 100 MB of command output
// streamed through the gate's masking beside raw ssh2 reading the same command's output. Both
// sides use their own established connection to the same server with the same cipher.
import {
  createMasker,
  createMemorySink,
  createPortcullis,
  createRecorder,
  parsePolicy,
  type Principal,
} from '@portcullis/core';
import { createGatedSsh, type GatedSsh, type GatedSshSession } from '@portcullis/ssh';
import { sshdUnavailable, startTestSshd, type TestSshd } from '@portcullis/testing';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { BenchSuite } from '../harness.js';

const POLICY = `
version: 1
targets:
  bastion: { protocol: ssh }
rules:
  - id: ops-exec
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec] }
masking:
  default: default
  profiles:
    default: { detectors: [secrets, pii] }
`;
const ops: Principal = { subject: 'alice', groups: ['ops'], kind: 'agent', actor: 'copilot' };
const STREAM_BYTES = 100_000_000;

let sshd: TestSshd | undefined;
let raw: InstanceType<typeof ssh2.Client> | undefined;
let gated: GatedSsh | undefined;
let recordedGate: GatedSsh | undefined;
let session: GatedSshSession | undefined;
let recordedSession: GatedSshSession | undefined;
let logFile = '';
let logChunk = '';
const masker = createMasker({ detectors: ['secrets', 'pii'] });
let setups = 0;

async function setup(): Promise<() => Promise<void>> {
  setups++;
  if (sshd === undefined) {
    const why = sshdUnavailable();
    if (why !== undefined) throw new Error(`the ssh benchmarks need sshd: ${why}`);
    sshd = await startTestSshd();
    const s = sshd;
    // 1 MB of log lines (one email in 40 lines), repeated to 100 MB on the server.
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 1_000_000; i++) {
      const time = `2026-01-05T10:00:${String(i % 60).padStart(2, '0')}Z`;
      const line =
        i % 40 === 0
          ? `${time} INFO login user=user${i}@example.com from 10.0.${i % 255}.7`
          : `${time} INFO GET /api/v1/orders/${i} status=200 took=${i % 97}ms`;
      lines.push(line);
      size += line.length + 1;
    }
    logFile = path.join(s.home, 'bench.log');
    logChunk = lines.join('\n') + '\n';
    await writeFile(logFile, logChunk.repeat(100).slice(0, STREAM_BYTES));
    await s.chownToUser(logFile);
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      client.connect({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
    });
    // As the gated connection does: with Nagle's algorithm on, ssh2's flow-window adjustments
    // can wait on the server's delayed ACK, and the baseline would stall for no reason.
    client.setNoDelay(true);
    raw = client;
    const connect = {
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: s.privateKey,
      hostKey: s.hostKey,
    };
    gated = createGatedSsh({
      connect,
      portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
      target: 'bastion',
    });
    recordedGate = createGatedSsh({
      connect,
      portcullis: await createPortcullis({
        policy: parsePolicy(POLICY),
        recorder: createRecorder({ sink: createMemorySink() }),
      }),
      target: 'bastion',
    });
    session = gated.as(ops);
    recordedSession = recordedGate.as(ops);
    // Open both connections before measuring.
    await session.exec('true');
    await recordedSession.exec('true');
  }
  return async () => {
    if (--setups > 0) return;
    await session?.end();
    await recordedSession?.end();
    await gated?.end();
    await recordedGate?.end();
    raw?.end();
    await rm(logFile, { force: true });
    await sshd?.stop();
    sshd = undefined;
  };
}

/** Raw ssh2: run `command`, read all output, resolve with its byte count. */
function rawExec(command: string): Promise<number> {
  const client = raw;
  if (client === undefined) return Promise.reject(new Error('setup did not run'));
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let bytes = 0;
      channel.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      channel.once('close', () => {
        resolve(bytes);
      });
      channel.end();
    });
  });
}

function gatedSession(s: GatedSshSession | undefined): GatedSshSession {
  if (s === undefined) throw new Error('setup did not run');
  return s;
}

const memory = { peakHeapGrowthMb: 0 };

export const suites: readonly BenchSuite[] = [
  {
    name: "ssh: exec('true')",
    description:
      "A gated exec('true') (classify/decide from the plan cache, queue, masked empty output, result) beside raw ssh2 exec on an established connection to the same sshd.",
    notes: { server: 'OpenSSH sshd on loopback (started for the run)' },
    setup,
    timeMs: 1500,
    baseline: { name: "raw ssh2 exec('true')", fn: () => rawExec('true') },
    tasks: [
      { name: "gated exec('true')", fn: () => gatedSession(session).exec('true') },
      {
        name: "gated exec('true'), recorded (memory sink)",
        fn: () => gatedSession(recordedSession).exec('true'),
      },
    ],
  },
  {
    name: 'ssh: 100 MB of command output',
    description:
      'cat of a 100 MB log file (one email in 40 lines): gated execStream, masked as a stream (secrets and PII), beside raw ssh2 reading the same output.',
    notes: memory,
    setup: async () => {
      const teardown = await setup();
      const base = process.memoryUsage().heapUsed;
      const timer = setInterval(() => {
        const growth = (process.memoryUsage().heapUsed - base) / 1e6;
        if (growth > memory.peakHeapGrowthMb) memory.peakHeapGrowthMb = Math.round(growth);
      }, 50);
      return async () => {
        clearInterval(timer);
        await teardown();
      };
    },
    bytesPerOp: STREAM_BYTES,
    timeMs: 1,
    iterations: 3,
    warmupIterations: 1,
    baseline: { name: 'raw ssh2 exec, output read', fn: () => rawExec(`cat ${logFile}`) },
    tasks: [
      {
        // The ceiling: the same masking over the same text, without SSH.
        name: 'masking alone (same profile, same text, no SSH)',
        fn: () => {
          const stream = masker.createTextStream();
          let out = 0;
          for (let k = 0; k < STREAM_BYTES / logChunk.length; k++) {
            for (let i = 0; i < logChunk.length; i += 32_768)
              out += stream.write(logChunk.slice(i, i + 32_768)).length;
          }
          return out + stream.end().length;
        },
      },
      {
        name: 'gated execStream, masked',
        fn: async () => {
          let bytes = 0;
          for await (const chunk of gatedSession(session).execStream(`cat ${logFile}`))
            bytes += chunk.data.length;
          return bytes;
        },
      },
    ],
  },
];
