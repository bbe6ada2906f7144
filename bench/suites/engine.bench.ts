// What the engine adds around a decision: `decide()` (classify + evaluate, pure) is the
// baseline; `authorize()` adds input checks, the credential expiry check and the recording
// steps (here into a session that accepts every event at once, so only the engine's own cost
// shows); a full review cycle adds the approval store: create, vote, consume. The request hash
// every review computes is measured beside a bare SHA-256 of the same SQL text.
import { createHash } from 'node:crypto';
import {
  createPortcullis,
  hashRequest,
  parsePolicy,
  ReviewRequiredError,
  type Portcullis,
  type Principal,
  type SessionRecorder,
} from '@portcullis/core';
import type { BenchSuite } from '../harness.js';

const POLICY = `
version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: writes-need-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [insert, update, delete] }
    review: { approvers: { groups: [managers] }, ttl: 30m }
`;
const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
const select = {
  type: 'sql',
  sql: 'SELECT id, total FROM orders WHERE customer_id = 42 ORDER BY id LIMIT 10',
} as const;
let seq = 0;
const session: SessionRecorder = {
  session: 'bench',
  record: (type, data) =>
    Promise.resolve({ v: 1, session: 'bench', seq: ++seq, ts: '', type, data, prev: '', hash: '' }),
  end: () => Promise.reject(new Error('not used')),
};

let portcullis: Portcullis | undefined;
const engine = (): Portcullis => {
  if (portcullis === undefined) throw new Error('setup did not run');
  return portcullis;
};
let n = 0;

export const suites: readonly BenchSuite[] = [
  {
    name: 'engine: one SQL request',
    description:
      'authorize() and a full approval cycle beside decide() (classify + evaluate) of the same request.',
    notes: { request: select.sql, store: 'in-memory' },
    setup: async () => {
      portcullis = await createPortcullis({ policy: parsePolicy(POLICY) });
      return undefined;
    },
    baseline: {
      name: 'decide (classify + evaluate)',
      fn: () => engine().decide({ principal: alice, target: 'warehouse', request: select }),
    },
    tasks: [
      {
        name: 'authorize, allowed, no session',
        fn: () => engine().authorize({ principal: alice, target: 'warehouse', request: select }),
      },
      {
        name: 'authorize, allowed, recorded (request + decision)',
        fn: () => engine().authorize({ principal: alice, target: 'warehouse', request: select, session }),
      },
      {
        name: 'review cycle: defer, approve, authorize with the once grant',
        fn: async () => {
          const p = engine();
          const request = { type: 'sql', sql: `DELETE FROM orders WHERE id = ${String(++n)}` } as const;
          try {
            await p.authorize({ principal: alice, target: 'warehouse', request });
            throw new Error('expected a review');
          } catch (err) {
            if (!(err instanceof ReviewRequiredError)) throw err;
            await p.approvals.approve(err.approvalId, bob);
          }
          return p.authorize({ principal: alice, target: 'warehouse', request });
        },
      },
    ],
  },
  {
    name: 'engine: request hash',
    description:
      'hashRequest (canonical JSON of subject, actors, target, request + SHA-256) beside a bare SHA-256 of the SQL text.',
    baseline: {
      name: 'sha256(sql)',
      fn: () => createHash('sha256').update(select.sql).digest('hex'),
    },
    tasks: [
      {
        name: 'hashRequest',
        fn: () => hashRequest({ principal: alice, target: 'warehouse', request: select }),
      },
    ],
  },
];
