// The gate adapter: toRequest (the plan's request), execute (the only code that drives the
// connection) and shape (what the caller gets and the recording keeps).
import type { GateAdapter, GateShaped } from '@portcullis/core';
import type { SshCall, SshRaw } from '../internal-types.js';
import { runExec } from './run-exec.js';
import { runForward } from './run-forward.js';
import { runSftp } from './run-sftp.js';
import { runShell } from './run-shell.js';

/**
 * The adapter; each call carries its session's connection.
 *
 * @example
 * ```ts
 * const gate = createGate({ portcullis, target, adapter: sshAdapter() });
 * ```
 */
export function sshAdapter(): GateAdapter<SshCall, SshRaw, unknown> {
  return {
    toRequest: (call) => ({ request: call.kind === 'check' ? call.request : call.plan.request }),
    execute: (call, run) => {
      switch (call.kind) {
        case 'exec':
          return runExec(call.conn, call.plan, run, call.sink, call.started);
        case 'shell':
          return runShell(call.conn, call.plan, run, call.opened);
        case 'sftp':
          return runSftp(call.conn, call.plan, run, call.check);
        case 'forward':
          return runForward(call.conn, call.plan, run, call.opened);
        case 'check':
          return Promise.resolve({ kind: 'check', summary: 'resolved path allowed' });
      }
    },
    shape: (raw): GateShaped<unknown> => {
      switch (raw.kind) {
        case 'exec':
        case 'shell': {
          const summary =
            raw.code !== null ? `exit ${raw.code}` : raw.signal !== null ? `signal ${raw.signal}` : 'closed';
          return {
            value: { code: raw.code, signal: raw.signal },
            record: {
              summary,
              ...(raw.code === null ? {} : { exitCode: raw.code }),
              ...(raw.signal === null ? {} : { signal: raw.signal }),
            },
          };
        }
        case 'sftp':
          return { value: raw.value, record: { summary: raw.summary } };
        case 'check':
          return { value: undefined, record: { summary: raw.summary } };
        case 'forward':
          return {
            value: undefined,
            record: {
              summary: `forward closed: ${raw.bytesOut} bytes sent, ${raw.bytesIn} bytes received`,
              body: { bytesIn: raw.bytesIn, bytesOut: raw.bytesOut },
            },
          };
      }
    },
    capsHint: 'createGatedSsh({ caps })',
  };
}
