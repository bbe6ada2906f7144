// One measurement of the host's peak RSS growth while it reads a 100,000-row result, raw pg or
// through the gate, in a process of its own (peak RSS only ever grows). Prints JSON.
// Usage: node --expose-gc --conditions=portcullis-source --import tsx bench/rss-child.ts raw|gated URL
import { createPortcullis, parsePolicy } from '@portcullis/core';
import { createGatedPool } from '@portcullis/pg';
import pg from 'pg';

const [mode, url] = process.argv.slice(2);
if ((mode !== 'raw' && mode !== 'gated') || url === undefined)
  throw new TypeError('usage: rss-child raw|gated URL');

const TEXT = `SELECT g AS id, 'user' || g || '@example.com' AS email, 'note ' || g AS note, g * 2 AS n,
  timestamptz '2026-01-01' + g * interval '1 second' AS created FROM generate_series(1, 100000) g`;
const POLICY = `
version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - { id: read, effect: allow, when: { targets: [warehouse], operations: [select] } }
`;

const gc = (globalThis as { gc?: () => void }).gc;
let query: (text: string) => Promise<{ rows: unknown[] }>;
let close: () => Promise<void>;
if (mode === 'raw') {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  query = (text) => pool.query(text);
  close = () => pool.end();
} else {
  const gated = createGatedPool({
    config: { connectionString: url, max: 1 },
    portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
    target: 'warehouse',
  });
  const session = gated.as({ subject: 'bench', groups: [], kind: 'service' });
  query = (text) => session.query(text);
  close = () => gated.end();
}
// Warm up (connections, classifier, catalog), then measure from a collected heap.
await query('SELECT 1 AS one');
gc?.();
const before = process.memoryUsage().rss;
// Peak RSS of the process may come from start-up, so the peak during the query is sampled.
let peak = before;
const sample = (): void => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const timer = setInterval(sample, 2);
const { rows } = await query(TEXT);
sample();
clearInterval(timer);
console.log(JSON.stringify({ mode, rows: rows.length, growthBytes: peak - before }));
await close();
