// Writes whose object says one thing and whose bytes another: the backstop must decide on exactly
// the bytes that reach the socket. Each attack hands a captured client's socket an INSERT (or a
// text the gate never saw) dressed so that whoever reads the object — its `length`, its methods,
// its prototype — instead of its bytes sees nothing, or a ticketed text. None may run.
import { BypassError } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import {
  alice,
  captureClient,
  createSchema,
  engine,
  protocolMessage as message,
  rawQuery,
  type RawClient,
} from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  await rawQuery(db.url, 'CREATE SEQUENCE wire_probe');
  // One connection, so the client a trick captures is the one the gate uses.
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

/** The socket's write internals, as a caller holding the socket can call them. */
interface SocketInternals {
  write(chunk: unknown, callback?: (error?: Error | null) => void): boolean;
  _write(chunk: unknown, encoding: string, callback: (error?: Error | null) => void): void;
  _writev(
    chunks: readonly { chunk: unknown; encoding: string }[],
    callback: (error?: Error | null) => void,
  ): void;
}

function socketOf(client: RawClient): SocketInternals {
  return client.connection['stream'] as unknown as SocketInternals;
}

/** What the attacks would change: the orders, and a sequence only the hidden texts advance. */
async function effects(): Promise<{ orders: number; probed: boolean }> {
  const [orders] = await rawQuery<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM orders');
  const [probe] = await rawQuery<{ is_called: boolean }>(db.url, 'SELECT is_called FROM wire_probe');
  return { orders: orders!.n, probed: probe!.is_called };
}

const insert = (id: number): string => `INSERT INTO orders VALUES (${id}, 1, 1)`;

/** An unticketed INSERT as the extended protocol writes it: Parse, Bind, Execute, Sync. */
const extendedInsert = (id: number): Buffer =>
  Buffer.concat([
    message('P', '', insert(id), Buffer.alloc(2)),
    message('B', '', '', Buffer.alloc(6)),
    message('E', '', Buffer.alloc(4)),
    message('S'),
  ]);

/** A Query message of `text`, padded with spaces to an even length (for a 16-bit view). */
function evenQuery(text: string): Buffer {
  const bytes = message('Q', text);
  return bytes.length % 2 === 0 ? bytes : message('Q', `${text} `);
}

/** A copy of `bytes` in an ArrayBuffer of its own (for views of other kinds over them). */
function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

const ignore = (): void => undefined;

/**
 * While the next gated query is written, swaps the chunk that holds `text` for `substitute(chunk)`
 * (a caller holding the socket wraps its `write`); says whether it did.
 */
function substituteOnce(
  client: RawClient,
  text: string,
  substitute: (chunk: Buffer) => Buffer,
): () => boolean {
  const socket = socketOf(client) as SocketInternals & Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const write = socket.write;
  let swapped = false;
  socket['write'] = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
    let sent = chunk;
    if (!swapped && Buffer.isBuffer(chunk) && chunk.includes(text)) {
      swapped = true;
      Reflect.deleteProperty(socket, 'write');
      sent = substitute(chunk);
    }
    return (write as (...args: unknown[]) => boolean).call(this, sent, ...rest);
  };
  return () => swapped;
}

const attacks: readonly {
  readonly name: string;
  readonly attack: (client: RawClient) => Promise<unknown>;
}[] = [
  {
    name: 'a Buffer with an own length of 0 carrying a Query',
    attack: (c) => {
      const bytes = message('Q', insert(101));
      Object.defineProperty(bytes, 'length', { value: 0 });
      socketOf(c).write(bytes, ignore);
      return Promise.resolve();
    },
  },
  {
    name: 'a Buffer with an own length of 0 carrying Parse, Bind, Execute, Sync',
    attack: (c) => {
      const bytes = extendedInsert(102);
      Object.defineProperty(bytes, 'length', { value: 0 });
      socketOf(c).write(bytes, ignore);
      return Promise.resolve();
    },
  },
  {
    name: 'a Query whose own toString() names the ticketed text',
    attack: async (c) => {
      const ticketed = 'SELECT 1 AS one';
      const swapped = substituteOnce(c, ticketed, () => {
        const bytes = message('Q', insert(103));
        bytes.toString = () => ticketed;
        return bytes;
      });
      await gated
        .as(alice)
        .query(ticketed)
        .catch(() => undefined);
      expect(swapped()).toBe(true);
    },
  },
  {
    name: 'a Parse whose own indexOf() ends its text early, at the ticketed text',
    attack: async (c) => {
      const ticketed = 'SELECT $1::int AS one';
      const swapped = substituteOnce(c, ticketed, (chunk) => {
        // Whatever pg wrote after its Parse in the same chunk (Bind, Describe, Execute, Sync) stays.
        const bytes = Buffer.concat([
          message('P', '', `${ticketed}, nextval('wire_probe') AS probe`, Buffer.alloc(2)),
          chunk.subarray(chunk.readInt32BE(1) + 1),
        ]);
        const textStart = 6;
        const indexOf = bytes.indexOf.bind(bytes);
        bytes.indexOf = ((value: number, from: number) =>
          from === textStart ? textStart + ticketed.length : indexOf(value, from)) as Buffer['indexOf'];
        return bytes;
      });
      await gated
        .as(alice)
        .query(ticketed, [1])
        .catch(() => undefined);
      expect(swapped()).toBe(true);
    },
  },
  {
    name: 'a Buffer subclass whose length reads 0',
    attack: (c) => {
      class SneakyBytes extends Uint8Array {}
      Object.setPrototypeOf(SneakyBytes.prototype, Buffer.prototype as object);
      Object.defineProperty(SneakyBytes.prototype, 'length', { get: () => 0 });
      socketOf(c).write(new SneakyBytes(message('Q', insert(104))), ignore);
      return Promise.resolve();
    },
  },
  {
    name: 'a Uint8Array (not a Buffer) whose own byteLength is 0, handed to _write',
    attack: (c) => {
      const bytes = new Uint8Array(message('Q', insert(105)));
      Object.defineProperty(bytes, 'byteLength', { value: 0 });
      socketOf(c)._write(bytes, 'buffer', ignore);
      return Promise.resolve();
    },
  },
  {
    name: 'a DataView dressed as a Uint8Array over nothing, handed to _writev',
    attack: (c) => {
      const view = new DataView(arrayBufferOf(message('Q', insert(106))));
      Object.setPrototypeOf(view, Uint8Array.prototype);
      for (const [key, value] of [
        ['buffer', new ArrayBuffer(0)],
        ['byteOffset', 0],
        ['byteLength', 0],
      ] as const) {
        Object.defineProperty(view, key, { value });
      }
      socketOf(c)._writev([{ chunk: view, encoding: 'buffer' }], ignore);
      return Promise.resolve();
    },
  },
  {
    name: 'a Uint16Array over the bytes, dressed as a Buffer of length 0, handed to _writev',
    attack: (c) => {
      const bytes = evenQuery(insert(107));
      const view = new Uint16Array(arrayBufferOf(bytes));
      Object.setPrototypeOf(view, Buffer.prototype as object);
      Object.defineProperty(view, 'length', { value: 0 });
      socketOf(c)._writev([{ chunk: view, encoding: 'buffer' }], ignore);
      return Promise.resolve();
    },
  },
];

/** The error the client's connection was destroyed with, or 'not refused' once the server had time to run it. */
function refusal(client: RawClient): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve('not refused');
    }, 300);
    client.once('error', (error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

describe('the backstop decides on the bytes that reach the socket', () => {
  it.each(attacks)('refuses $name', async ({ attack }) => {
    const before = await effects();
    const client = await captureClient(gated);
    const refused = refusal(client);
    await attack(client);
    const outcome = await refused;
    expect(await effects()).toEqual(before);
    expect(outcome).toBeInstanceOf(BypassError);
    // The gate goes on working on a fresh connection.
    expect((await gated.as(alice).query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('sends the ticketed text even when the caller rewrites its Buffer while the socket still holds it', async () => {
    const before = await effects();
    const client = await captureClient(gated);
    // Far more than the socket takes in one go: most of it is still queued when write() returns.
    const padding = 'x'.repeat(16 * 1024 * 1024);
    const ticketed = `SELECT 1 AS one /*${padding}*/`;
    const injected = Buffer.from(`*/; ${insert(108)}; /*`);
    const socket = socketOf(client) as SocketInternals & Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const write = socket.write;
    let rewritten = false;
    socket['write'] = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      const written = (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      if (!rewritten && Buffer.isBuffer(chunk) && chunk.length > padding.length) {
        rewritten = true;
        Reflect.deleteProperty(socket, 'write');
        // Just before the closing `*/` and the terminating NUL: the comment ends early and an
        // INSERT follows, the length unchanged.
        injected.copy(chunk, chunk.length - 3 - injected.length);
      }
      return written;
    };
    const result = await gated.as(alice).query(ticketed);
    expect(rewritten).toBe(true);
    expect(await effects()).toEqual(before);
    expect(result.rows).toEqual([{ one: 1 }]);
  });
});
