import { EventEmitter, once } from 'node:events';
import { createServer, connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { BypassError } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import {
  armClient,
  bypassOf,
  issueTickets,
  queryTickets,
  revokeTickets,
  settledStatus,
  transactionStatus,
} from './wire-guard.js';

function message(type: string, ...parts: (string | Buffer)[]): Buffer {
  const body = Buffer.concat(parts.map((s) => (typeof s === 'string' ? Buffer.from(`${s}\u0000`) : s)));
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/**
 * A pg-like client whose connection writes to a socket-like Writable that keeps what passed;
 * with `writev`, corked writes reach the socket as one batch of chunks, as on a net.Socket.
 */
function fakeClient({ writev = false, later = false } = {}): {
  client: { connection: EventEmitter & { stream: Writable }; on: EventEmitter['on'] };
  written: Uint8Array[];
  errors: unknown[];
  bypasses: BypassError[];
  flush: () => Buffer[];
} {
  const written: Uint8Array[] = [];
  const errors: unknown[] = [];
  // With `later`, the socket holds on to what it was handed and reads it only when flushed, as
  // a net.Socket whose kernel buffer is full sends the rest of a chunk from its memory later.
  const held: { chunk: Uint8Array; callback: () => void }[] = [];
  const take = (chunk: Uint8Array, callback: () => void): void => {
    if (later) held.push({ chunk, callback });
    else {
      written.push(chunk);
      callback();
    }
  };
  const flush = (): Buffer[] =>
    held.splice(0).map(({ chunk, callback }) => {
      written.push(chunk);
      callback();
      return Buffer.from(chunk);
    });
  const stream = new Writable({
    write(chunk: Uint8Array, _encoding, callback) {
      take(chunk, callback);
    },
    ...(writev && {
      writev(chunks: { chunk: Uint8Array }[], callback: (error?: Error | null) => void) {
        if (!later) {
          for (const { chunk } of chunks) written.push(chunk);
          callback();
          return;
        }
        chunks.forEach(({ chunk }, i) => {
          held.push({ chunk, callback: i === chunks.length - 1 ? callback : () => undefined });
        });
      },
    }),
  });
  stream.on('error', (err) => errors.push(err));
  const connection = Object.assign(new EventEmitter(), { stream });
  const client = Object.assign(new EventEmitter(), { connection });
  const bypasses: BypassError[] = [];
  armClient(client, (err) => bypasses.push(err));
  return { client, written, errors, bypasses, flush };
}

/** An Execute of `portal` (no row limit). */
const execute = (portal: string): Buffer => message('E', portal, Buffer.alloc(4));

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('queryTickets', () => {
  it.each([
    { query: { text: 'SELECT 1' }, tickets: ['Q\u0000SELECT 1'] },
    { query: { text: 'SELECT 1', values: [] }, tickets: ['Q\u0000SELECT 1'] },
    {
      query: { text: 'SELECT $1', values: [1] },
      tickets: ['P\u0000\u0000SELECT $1', 'B\u0000\u0000SELECT $1'],
    },
    {
      query: { text: 'SELECT 1', name: 's' },
      tickets: ['P\u0000s\u0000SELECT 1', 'B\u0000s\u0000SELECT 1'],
    },
    {
      query: { text: 'SELECT 1', extended: true },
      tickets: ['P\u0000\u0000SELECT 1', 'B\u0000\u0000SELECT 1'],
    },
  ])('$query.text $query', ({ query, tickets }) => {
    expect(queryTickets(query)).toEqual(tickets);
  });
});

describe('the backstop', () => {
  it('lets a ticketed text through once, then refuses it and destroys the connection', async () => {
    const { client, written, errors, bypasses } = fakeClient();
    issueTickets(client, queryTickets({ text: 'SELECT 1' }));
    client.connection.stream.write(message('Q', 'SELECT 1'));
    await tick();
    expect(written).toHaveLength(1);
    client.connection.stream.write(message('Q', 'SELECT 1'));
    await tick();
    expect(written).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BypassError);
    expect(bypasses).toHaveLength(1);
    expect(bypassOf(client)).toBe(bypasses[0]);
    expect(() => {
      issueTickets(client, ['Q\u0000SELECT 2']);
    }).toThrow(BypassError);
  });

  it('allows the textless messages of a ticketed extended query', async () => {
    const { client, written, errors } = fakeClient();
    issueTickets(client, queryTickets({ text: 'SELECT $1', values: [1] }));
    const { stream } = client.connection;
    stream.cork();
    for (const m of [
      message('P', '', 'SELECT $1'),
      message('B', '', ''),
      message('D', 'P'),
      execute(''),
      message('S'),
    ]) {
      stream.write(m);
    }
    stream.uncork();
    await tick();
    expect(errors).toEqual([]);
    expect(written).toHaveLength(5);
  });

  it('sends nothing of a chunk that holds one unticketed message', async () => {
    const { client, written, errors } = fakeClient();
    issueTickets(client, queryTickets({ text: 'SELECT 1' }));
    client.connection.stream.write(Buffer.concat([message('Q', 'SELECT 1'), message('Q', 'DROP TABLE t')]));
    await tick();
    expect(written).toEqual([]);
    expect(errors[0]).toBeInstanceOf(BypassError);
  });

  it.each([
    { name: 'a FunctionCall', bytes: message('F', '') },
    { name: 'CopyData', bytes: message('d', 'x') },
    { name: 'a password message', bytes: message('p', 'secret') },
    { name: 'a Bind of a statement the gate did not allow', bytes: message('B', '', 'stmt') },
    { name: 'garbage', bytes: Buffer.from([0, 0, 0, 1]) },
  ])('refuses $name', async ({ bytes }) => {
    const { client, written, errors } = fakeClient();
    client.connection.stream.write(bytes);
    await tick();
    expect(written).toEqual([]);
    expect(errors[0]).toBeInstanceOf(BypassError);
  });

  /** Writes the messages as one corked batch (as pg does) and says whether they went out. */
  async function send(fake: ReturnType<typeof fakeClient>, ...messages: Buffer[]): Promise<boolean> {
    const before = fake.written.length;
    const { stream } = fake.client.connection;
    stream.cork();
    for (const m of messages) stream.write(m);
    stream.uncork();
    await tick();
    return fake.written.length > before && fake.errors.length === 0;
  }
  /** What the server answers to a pipeline that went through: ParseComplete, BindComplete, ReadyForQuery. */
  function answer(fake: ReturnType<typeof fakeClient>, events: readonly string[], status = 'I'): void {
    for (const event of events) fake.client.connection.emit(event, {});
    fake.client.connection.emit('readyForQuery', { status });
  }

  it('a named statement binds only in the pipeline that parsed it: anything run since may have re-prepared it', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, queryTickets({ name: 'p', text: 'SELECT 1' }));
    expect(
      await send(
        fake,
        message('P', 'p', 'SELECT 1', Buffer.alloc(2)),
        message('B', '', 'p'),
        execute(''),
        message('S'),
      ),
    ).toBe(true);
    answer(fake, ['parseComplete', 'bindComplete']);
    revokeTickets(fake.client);
    // pg would skip the Parse of a name it already parsed: the Bind alone is refused.
    issueTickets(fake.client, queryTickets({ name: 'p', text: 'SELECT 1' }));
    expect(await send(fake, message('B', '', 'p'), execute(''), message('S'))).toBe(false);
    expect(fake.errors[0]).toBeInstanceOf(BypassError);
  });

  it('a Bind needs a ticket for the text its statement was parsed with', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, ['P\u0000p\u0000SELECT 1', 'B\u0000p\u0000DELETE FROM t']);
    expect(await send(fake, message('P', 'p', 'SELECT 1', Buffer.alloc(2)), message('B', '', 'p'))).toBe(
      false,
    );
  });

  it('a Parse the server refused leaves nothing to bind', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, ['P\u0000\u0000SELECT nope']);
    expect(await send(fake, message('P', '', 'SELECT nope', Buffer.alloc(2)), message('S'))).toBe(true);
    fake.client.connection.emit('errorMessage', {});
    answer(fake, []);
    issueTickets(fake.client, ['B\u0000\u0000SELECT nope']);
    expect(await send(fake, message('B', '', ''), execute(''), message('S'))).toBe(false);
  });

  it('a simple query ends the unnamed statement', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, [...queryTickets({ text: 'SELECT 1', extended: true }), 'Q\u0000SELECT 2']);
    expect(await send(fake, message('P', '', 'SELECT 1', Buffer.alloc(2)), message('S'))).toBe(true);
    answer(fake, ['parseComplete']);
    expect(await send(fake, message('Q', 'SELECT 2'))).toBe(true);
    expect(await send(fake, message('B', '', ''), execute(''), message('S'))).toBe(false);
  });

  it.each([
    ['never bound', (): Buffer[] => []],
    ['ended with its transaction', (): Buffer[] => []],
    ['closed', (): Buffer[] => [message('C', 'PC_1')]],
  ])('an Execute of a portal %s is refused', async (why, between) => {
    const fake = fakeClient();
    if (why !== 'never bound') {
      issueTickets(fake.client, queryTickets({ text: 'SELECT 1', extended: true }));
      expect(
        await send(
          fake,
          message('P', '', 'SELECT 1', Buffer.alloc(2)),
          message('B', 'C_1', ''),
          message('H'),
        ),
      ).toBe(true);
      fake.client.connection.emit('parseComplete', {});
      fake.client.connection.emit('bindComplete', {});
      // A cursor's portal goes on being executed, read after read, while its transaction lasts.
      expect(await send(fake, execute('C_1'), message('H'))).toBe(true);
      if (why === 'ended with its transaction') fake.client.connection.emit('readyForQuery', { status: 'I' });
      for (const m of between()) expect(await send(fake, m)).toBe(true);
    }
    expect(await send(fake, execute('C_1'), message('H'))).toBe(false);
  });

  it('a Bind the server refused creates no portal', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, queryTickets({ text: 'SELECT 1', extended: true }));
    expect(
      await send(fake, message('P', '', 'SELECT 1', Buffer.alloc(2)), message('B', 'C_1', ''), message('H')),
    ).toBe(true);
    fake.client.connection.emit('parseComplete', {});
    fake.client.connection.emit('errorMessage', {});
    expect(await send(fake, execute('C_1'), message('H'))).toBe(false);
  });

  it('a ticket lets its message through once, within one write too', async () => {
    const once = fakeClient({ writev: true });
    issueTickets(once.client, queryTickets({ text: 'SELECT 1' }));
    expect(await send(once, message('Q', 'SELECT 1'), message('Q', 'SELECT 1'))).toBe(false);
    const twice = fakeClient({ writev: true });
    issueTickets(twice.client, [
      ...queryTickets({ text: 'SELECT 1' }),
      ...queryTickets({ text: 'SELECT 1' }),
    ]);
    expect(await send(twice, message('Q', 'SELECT 1'), message('Q', 'SELECT 1'))).toBe(true);
  });

  it.each([
    ['the text under another name', message('P', 'b', 'SELECT 1', Buffer.alloc(2))],
    ['a text the ticket ends with', message('P', 'a', 'ELECT 1', Buffer.alloc(2))],
    ['a longer text', message('P', 'a', 'SELECT 12', Buffer.alloc(2))],
    ['the unnamed statement', message('P', '', 'SELECT 1', Buffer.alloc(2))],
    ['a simple query of a text the ticket ends with', message('Q', '1')],
  ])('a ticket is for one exact message: refuses %s', async (_what, attempt) => {
    const fake = fakeClient();
    issueTickets(fake.client, ['P\u0000a\u0000SELECT 1', 'Q\u0000SELECT 1']);
    expect(await send(fake, attempt, message('S'))).toBe(false);
  });

  it('an Execute forgets the named statements within its own write', async () => {
    const pipeline = (...more: Buffer[]): Buffer[] => [
      message('P', 'p', 'SELECT 1', Buffer.alloc(2)),
      message('B', '', 'p'),
      execute(''),
      ...more,
      message('S'),
    ];
    const tickets = [...queryTickets({ name: 'p', text: 'SELECT 1' }), 'B\u0000p\u0000SELECT 1'];
    const once = fakeClient({ writev: true });
    issueTickets(once.client, tickets);
    expect(await send(once, ...pipeline())).toBe(true);
    const again = fakeClient({ writev: true });
    issueTickets(again.client, tickets);
    expect(await send(again, ...pipeline(message('B', '', 'p'), execute('')))).toBe(false);
    expect(again.written).toEqual([]);
  });

  it('a closed statement cannot be bound', async () => {
    const tickets = queryTickets({ name: 'p', text: 'SELECT 1' });
    const open = fakeClient({ writev: true });
    issueTickets(open.client, tickets);
    expect(await send(open, message('P', 'p', 'SELECT 1', Buffer.alloc(2)), message('B', '', 'p'))).toBe(
      true,
    );
    const closed = fakeClient({ writev: true });
    issueTickets(closed.client, tickets);
    expect(
      await send(
        closed,
        message('P', 'p', 'SELECT 1', Buffer.alloc(2)),
        message('C', 'Sp'),
        message('B', '', 'p'),
      ),
    ).toBe(false);
  });

  it('a simple query ends every portal', async () => {
    const fake = fakeClient();
    issueTickets(fake.client, [...queryTickets({ text: 'SELECT 1', extended: true }), 'Q\u0000SELECT 2']);
    expect(
      await send(fake, message('P', '', 'SELECT 1', Buffer.alloc(2)), message('B', 'C_1', ''), message('H')),
    ).toBe(true);
    fake.client.connection.emit('parseComplete', {});
    fake.client.connection.emit('bindComplete', {});
    expect(await send(fake, message('Q', 'SELECT 2'))).toBe(true);
    expect(await send(fake, execute('C_1'), message('H'))).toBe(false);
  });

  it('sends nothing of a corked batch that holds one unticketed message', async () => {
    const fake = fakeClient({ writev: true });
    issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
    expect(await send(fake, message('Q', 'SELECT 1'), message('Q', 'DROP TABLE t'))).toBe(false);
    expect(fake.written).toEqual([]);
    expect(fake.errors[0]).toBeInstanceOf(BypassError);
  });

  it.each([
    ['a truncated message', message('Q', 'DROP TABLE t').subarray(0, 9)],
    ['a stray byte', Buffer.from([0x51])],
    ['an untyped message', Buffer.from([0, 0, 0, 8, 0, 3, 0, 0])],
  ])('sends nothing of a ticketed text followed by %s, in its chunk or the next', async (_what, tail) => {
    for (const chunks of [
      [Buffer.concat([message('Q', 'SELECT 1'), tail])],
      [message('Q', 'SELECT 1'), tail],
    ]) {
      const fake = fakeClient({ writev: true });
      issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
      expect(await send(fake, ...chunks)).toBe(false);
      expect(fake.written).toEqual([]);
    }
  });

  it('reads a string handed to the socket as the bytes it encodes, and refuses a chunk that is not bytes', async () => {
    const fake = fakeClient();
    const { stream } = fake.client.connection;
    // Straight to the socket's _write, as a Writable with decodeStrings: false (or in object mode)
    // hands them over.
    const write = (chunk: unknown, encoding: string): Promise<unknown> =>
      new Promise((resolve) => {
        (stream as unknown as { _write(c: unknown, e: string, cb: (err?: unknown) => void): void })._write(
          chunk,
          encoding,
          resolve,
        );
      });
    issueTickets(fake.client, queryTickets({ text: "SELECT 'é'" }));
    expect(await write(message('Q', "SELECT 'é'").toString('latin1'), 'latin1')).toBeUndefined();
    expect(fake.written.map((chunk) => Buffer.from(chunk))).toEqual([message('Q', "SELECT 'é'")]);
    expect(await write({ length: 0 }, 'buffer')).toBeInstanceOf(BypassError);
    expect(fake.written).toHaveLength(1);
  });

  it('revoked tickets are gone', async () => {
    const { client, written, errors } = fakeClient();
    issueTickets(client, queryTickets({ text: 'SELECT 1' }));
    revokeTickets(client);
    client.connection.stream.write(message('Q', 'SELECT 1'));
    await tick();
    expect(written).toEqual([]);
    expect(errors[0]).toBeInstanceOf(BypassError);
  });

  it('guards a stream assigned later (as pg does for TLS), and its _write cannot be replaced', async () => {
    const { client, errors } = fakeClient();
    const next = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    next.on('error', (err) => errors.push(err));
    client.connection.stream = next;
    expect(() => {
      (next as unknown as { _write: unknown })._write = () => undefined;
    }).toThrow(TypeError);
    next.write(message('Q', 'DROP TABLE t'));
    await tick();
    expect(errors[0]).toBeInstanceOf(BypassError);
  });

  it('tracks the transaction status of each ReadyForQuery', () => {
    const { client } = fakeClient();
    expect(transactionStatus(client)).toBe('I');
    client.connection.emit('readyForQuery', { status: 'T' });
    expect(transactionStatus(client)).toBe('T');
  });

  it('settles the status once every Query and Sync written has its ReadyForQuery; a closed connection has none', async () => {
    const { client } = fakeClient();
    await expect(settledStatus(client)).resolves.toBe('I');
    issueTickets(client, [
      ...queryTickets({ text: 'BEGIN' }),
      ...queryTickets({ text: 'SELECT $1', values: [1] }),
    ]);
    client.connection.stream.write(message('Q', 'BEGIN'));
    client.connection.stream.write(
      Buffer.concat([message('P', '', 'SELECT $1'), message('B', '', ''), message('S')]),
    );
    await tick();
    const settled: (string | undefined)[] = [];
    void settledStatus(client).then((s) => settled.push(s));
    client.connection.emit('readyForQuery', { status: 'T' });
    await tick();
    expect(settled).toEqual([]);
    client.connection.emit('readyForQuery', { status: 'E' });
    await tick();
    expect(settled).toEqual(['E']);

    issueTickets(client, queryTickets({ text: 'COMMIT' }));
    client.connection.stream.write(message('Q', 'COMMIT'));
    await tick();
    const pending = settledStatus(client);
    client.connection.emit('end');
    await expect(pending).resolves.toBeUndefined();
    await expect(settledStatus(client)).resolves.toBeUndefined();
  });

  it.each([
    ['UTF8', false],
    ['utf-8', false],
    ['SJIS', true],
    ['BIG5', true],
    ['LATIN1', true],
    [undefined, true],
  ])('a reported client_encoding of %s closes the connection: %s', async (value, closes) => {
    const { client, written, errors, bypasses } = fakeClient();
    client.connection.emit('parameterStatus', { parameterName: 'client_encoding', parameterValue: value });
    if (closes) {
      // No request can be let through a closed connection.
      expect(() => {
        issueTickets(client, queryTickets({ text: 'SELECT 1' }));
      }).toThrow(BypassError);
    } else {
      issueTickets(client, queryTickets({ text: 'SELECT 1' }));
    }
    client.connection.stream.write(message('Q', 'SELECT 1'));
    await tick();
    expect(bypasses.length).toBe(closes ? 1 : 0);
    expect(bypassOf(client) !== undefined).toBe(closes);
    expect(written.length).toBe(closes ? 0 : 1);
    if (closes) {
      expect(bypasses[0]?.message).toMatch(/^client_encoding changed to /);
      expect(errors[0]).toBe(bypasses[0]);
    }
  });

  it('other reported settings change nothing', async () => {
    const { client, bypasses } = fakeClient();
    client.connection.emit('parameterStatus', {
      parameterName: 'standard_conforming_strings',
      parameterValue: 'off',
    });
    client.connection.emit('parameterStatus', { parameterName: 'application_name', parameterValue: 'x' });
    await tick();
    expect(bypasses).toEqual([]);
  });

  it('refuses a client without a JavaScript connection (pg.native)', () => {
    const native = Object.assign(new EventEmitter(), { connection: undefined as unknown as object });
    expect(() => {
      armClient(native, () => undefined);
    }).toThrow(TypeError);
  });
});

/** The socket's write internals, as code holding the socket can call them directly. */
interface Internals {
  _write(chunk: unknown, encoding: string, callback: (error?: unknown) => void): void;
  _writev(chunks: readonly { chunk: unknown; encoding: string }[], callback: (error?: unknown) => void): void;
}

/** `bytes` in an ArrayBuffer of their own, for views of other kinds over them. */
function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** A Query message of `text` padded with a space to an even length, for a 16-bit view over it. */
const evenQuery = (text: string): Buffer => {
  const bytes = message('Q', text);
  return bytes.length % 2 === 0 ? bytes : message('Q', `${text} `);
};

describe('the backstop reads the bytes that reach the socket, not the object that holds them', () => {
  // Each hands the socket an unticketed DROP dressed so that a reader of the object sees nothing
  // (or the ticketed `SELECT 1`); the fake socket, like libuv, takes whatever bytes it is handed.
  const disguises: readonly {
    readonly name: string;
    readonly send: (stream: Writable & Internals) => void;
  }[] = [
    {
      name: 'a Buffer with an own length of 0',
      send: (stream) => {
        const bytes = message('Q', 'DROP TABLE t');
        Object.defineProperty(bytes, 'length', { value: 0 });
        stream.write(bytes);
      },
    },
    {
      name: 'a Buffer of Parse, Bind, Execute, Sync with an own length of 0',
      send: (stream) => {
        const bytes = Buffer.concat([
          message('P', '', 'DROP TABLE t', Buffer.alloc(2)),
          message('B', '', '', Buffer.alloc(6)),
          execute(''),
          message('S'),
        ]);
        Object.defineProperty(bytes, 'length', { value: 0 });
        stream.write(bytes);
      },
    },
    {
      name: 'a Buffer whose own toString() names the ticketed text',
      send: (stream) => {
        const bytes = message('Q', 'DROP TABLE t');
        bytes.toString = () => 'SELECT 1';
        stream.write(bytes);
      },
    },
    {
      name: 'a Parse whose own indexOf() ends its text at the ticketed one',
      send: (stream) => {
        const bytes = message('P', '', 'SELECT 1 FROM (DROP TABLE t)', Buffer.alloc(2));
        const indexOf = bytes.indexOf.bind(bytes);
        bytes.indexOf = ((value: number, from: number) =>
          from === 6 ? 6 + 'SELECT 1'.length : indexOf(value, from)) as Buffer['indexOf'];
        stream.write(bytes);
      },
    },
    {
      name: 'a Buffer subclass whose length reads 0',
      send: (stream) => {
        class SneakyBytes extends Uint8Array {}
        Object.setPrototypeOf(SneakyBytes.prototype, Buffer.prototype as object);
        Object.defineProperty(SneakyBytes.prototype, 'length', { get: () => 0 });
        stream.write(new SneakyBytes(message('Q', 'DROP TABLE t')));
      },
    },
    {
      name: 'a Uint8Array (not a Buffer) whose own byteLength is 0, handed to _write',
      send: (stream) => {
        const bytes = new Uint8Array(message('Q', 'DROP TABLE t'));
        Object.defineProperty(bytes, 'byteLength', { value: 0 });
        stream._write(bytes, 'buffer', () => undefined);
      },
    },
    {
      name: 'a Uint8Array whose own buffer is another one, handed to _write',
      send: (stream) => {
        const bytes = new Uint8Array(message('Q', 'DROP TABLE t'));
        Object.defineProperty(bytes, 'buffer', { value: arrayBufferOf(message('Q', 'SELECT 1')) });
        stream._write(bytes, 'buffer', () => undefined);
      },
    },
    {
      name: 'a DataView dressed as a Uint8Array over nothing, handed to _writev',
      send: (stream) => {
        const view = new DataView(arrayBufferOf(message('Q', 'DROP TABLE t')));
        Object.setPrototypeOf(view, Uint8Array.prototype);
        Object.defineProperty(view, 'buffer', { value: new ArrayBuffer(0) });
        Object.defineProperty(view, 'byteOffset', { value: 0 });
        Object.defineProperty(view, 'byteLength', { value: 0 });
        stream._writev([{ chunk: view, encoding: 'buffer' }], () => undefined);
      },
    },
    {
      name: 'a Uint16Array over the bytes, dressed as a Buffer of length 0, handed to _writev',
      send: (stream) => {
        const view = new Uint16Array(arrayBufferOf(evenQuery('DROP TABLE t')));
        Object.setPrototypeOf(view, Buffer.prototype as object);
        Object.defineProperty(view, 'length', { value: 0 });
        stream._writev([{ chunk: view, encoding: 'buffer' }], () => undefined);
      },
    },
  ];

  it.each(disguises)('refuses $name', async ({ send }) => {
    const fake = fakeClient({ writev: true });
    issueTickets(fake.client, [
      ...queryTickets({ text: 'SELECT 1' }),
      ...queryTickets({ text: 'SELECT 1', extended: true }),
    ]);
    send(fake.client.connection.stream as Writable & Internals);
    await tick();
    expect(fake.written).toEqual([]);
    expect(fake.errors[0]).toBeInstanceOf(BypassError);
  });

  it('reads a DataView or a 16-bit view by its bytes, and lets them through when they are ticketed', async () => {
    const fake = fakeClient({ writev: true });
    issueTickets(fake.client, [
      ...queryTickets({ text: 'SELECT 1' }),
      ...queryTickets({ text: 'SELECT 123' }),
    ]);
    const stream = fake.client.connection.stream as Writable & Internals;
    const done = new Promise((resolve) => {
      stream._writev(
        [
          { chunk: new DataView(arrayBufferOf(message('Q', 'SELECT 1'))), encoding: 'buffer' },
          { chunk: new Uint16Array(arrayBufferOf(message('Q', 'SELECT 123'))), encoding: 'buffer' },
        ],
        resolve,
      );
    });
    expect(await done).toBeUndefined();
    expect(fake.errors).toEqual([]);
    expect(Buffer.concat(fake.written)).toEqual(
      Buffer.concat([message('Q', 'SELECT 1'), message('Q', 'SELECT 123')]),
    );
  });

  it('hands the socket its own copy: rewriting the Buffer after write() changes nothing sent', () => {
    const fake = fakeClient({ later: true });
    issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
    const bytes = message('Q', 'SELECT 1');
    fake.client.connection.stream.write(bytes);
    // The check has run (an uncorked write reaches _write at once); the socket still holds it.
    Buffer.from('DROP t; ').copy(bytes, 5);
    expect(fake.flush()).toEqual([message('Q', 'SELECT 1')]);
    expect(fake.written[0]).not.toBe(bytes);
    expect(fake.errors).toEqual([]);
  });

  it('hands the socket its own copy of a corked batch', () => {
    const fake = fakeClient({ writev: true, later: true });
    issueTickets(fake.client, [...queryTickets({ text: 'SELECT 1' }), ...queryTickets({ text: 'SELECT 2' })]);
    const { stream } = fake.client.connection;
    const batch = [message('Q', 'SELECT 1'), message('Q', 'SELECT 2')];
    stream.cork();
    for (const bytes of batch) stream.write(bytes);
    stream.uncork();
    for (const bytes of batch) Buffer.from('DROP t; ').copy(bytes, 5);
    expect(Buffer.concat(fake.flush())).toEqual(
      Buffer.concat([message('Q', 'SELECT 1'), message('Q', 'SELECT 2')]),
    );
    expect(fake.errors).toEqual([]);
  });

  it('copies a corked batch larger than the buffer it starts with', async () => {
    const fake = fakeClient({ writev: true });
    const long = `SELECT '${'x'.repeat(1000)}'`;
    issueTickets(fake.client, [
      ...queryTickets({ text: 'SELECT 1' }),
      ...queryTickets({ text: long }),
      ...queryTickets({ text: 'SELECT 2' }),
    ]);
    const batch = [message('Q', 'SELECT 1'), message('Q', long), message('Q', 'SELECT 2')];
    const { stream } = fake.client.connection;
    stream.cork();
    for (const bytes of batch) stream.write(bytes);
    stream.uncork();
    await tick();
    expect(fake.errors).toEqual([]);
    expect(Buffer.concat(fake.written)).toEqual(Buffer.concat(batch));
  });

  it('refuses a batch with a chunk that is not bytes, after reading the chunks before it', async () => {
    const refused = async (chunks: { chunk: unknown; encoding: string }[]): Promise<unknown> => {
      const fake = fakeClient({ writev: true });
      issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
      const stream = fake.client.connection.stream as Writable & Internals;
      const error = await new Promise((resolve) => {
        stream._writev(chunks, resolve);
      });
      expect(fake.written).toEqual([]);
      return error;
    };
    const notBytes = { chunk: { length: 0 }, encoding: 'buffer' };
    expect(await refused([{ chunk: message('Q', 'SELECT 1'), encoding: 'buffer' }, notBytes])).toMatchObject({
      message: expect.stringContaining('a write that is not bytes') as unknown,
    });
    expect(await refused([{ chunk: message('Q', 'DROP'), encoding: 'buffer' }, notBytes])).toMatchObject({
      message: expect.stringContaining('a write that is not bytes') as unknown,
    });
    expect(await refused([{ chunk: Buffer.from([0x51]), encoding: 'buffer' }, notBytes])).toMatchObject({
      message: expect.stringContaining('bytes that are not whole protocol messages') as unknown,
    });
  });

  it('hands a real socket a corked batch as one chunk of its copy: an index setter on Array.prototype never sees it', async () => {
    const received: Buffer[] = [];
    const server = createServer((peer) => {
      peer.on('data', (data: Buffer) => received.push(data));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const client = Object.assign(new EventEmitter(), {
      connection: Object.assign(new EventEmitter(), { stream: socket }),
    });
    armClient(client, () => undefined);
    // Far more than the kernel takes at once: the socket still holds most of it after uncork().
    const long = `SELECT 1 /*${'x'.repeat(8 << 20)}*/`;
    issueTickets(client, [...queryTickets({ text: long }), ...queryTickets({ text: 'SELECT 2' })]);
    const batch = [message('Q', long), message('Q', 'SELECT 2')];
    socket.cork();
    for (const bytes of batch) socket.write(bytes);
    // net's _writev copies a batch into an array it fills index by index.
    // (Not an array of what it saw: pushing to it would call this setter.)
    let seen: Uint8Array | undefined;
    Object.defineProperty(Array.prototype, '0', {
      configurable: true,
      set(this: unknown[], value: unknown) {
        if (value instanceof Uint8Array) seen = value;
        Object.defineProperty(this, '0', { value, writable: true, enumerable: true, configurable: true });
      },
    });
    try {
      socket.uncork();
    } finally {
      Reflect.deleteProperty(Array.prototype, '0');
    }
    seen?.fill(0x20);
    socket.end();
    await once(socket, 'finish');
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.close();
    expect(seen).toBeUndefined();
    expect(Buffer.concat(received).equals(Buffer.concat(batch))).toBe(true);
  });

  // What a caller changes on a prototype or a global after the guard was loaded: the guard reads
  // with what it captured. Each is undone before anything else runs (the write is checked at once).
  const typedArray = Object.getPrototypeOf(Uint8Array.prototype) as object;
  const tamperings: readonly {
    readonly name: string;
    readonly target: object;
    readonly key: PropertyKey;
    readonly descriptor: PropertyDescriptor;
  }[] = [
    {
      name: '%TypedArray%.prototype.length reads 0',
      target: typedArray,
      key: 'length',
      descriptor: { get: () => 0 },
    },
    {
      name: '%TypedArray%.prototype.byteLength reads 0',
      target: typedArray,
      key: 'byteLength',
      descriptor: { get: () => 0 },
    },
    {
      name: 'Buffer.prototype.toString names the ticketed text',
      target: Buffer.prototype as object,
      key: 'toString',
      descriptor: { writable: true, value: () => 'SELECT 1' },
    },
    {
      name: 'Buffer.prototype.utf8Slice names the ticketed text',
      target: Buffer.prototype as object,
      key: 'utf8Slice',
      descriptor: { writable: true, value: () => 'SELECT 1' },
    },
    {
      name: 'TextDecoder.prototype.decode names the ticketed text',
      target: TextDecoder.prototype,
      key: 'decode',
      descriptor: { writable: true, value: () => 'SELECT 1' },
    },
    {
      name: 'Uint8Array.prototype.set copies nothing',
      target: typedArray,
      key: 'set',
      descriptor: { writable: true, value: () => undefined },
    },
    {
      name: 'ArrayBuffer.isView says no',
      target: ArrayBuffer,
      key: 'isView',
      descriptor: { writable: true, value: () => false },
    },
    {
      name: 'Buffer.isBuffer says no',
      target: Buffer,
      key: 'isBuffer',
      descriptor: { writable: true, value: () => false },
    },
  ];

  it.each(tamperings)('refuses an unticketed text while $name', async ({ target, key, descriptor }) => {
    const fake = fakeClient();
    issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
    const bytes = message('Q', 'DROP TABLE t');
    const original = Object.getOwnPropertyDescriptor(target, key);
    Object.defineProperty(target, key, { configurable: true, ...descriptor });
    try {
      fake.client.connection.stream.write(bytes);
    } finally {
      if (original === undefined) Reflect.deleteProperty(target, key);
      else Object.defineProperty(target, key, original);
    }
    await tick();
    expect(fake.written).toEqual([]);
    expect(fake.errors[0]).toBeInstanceOf(BypassError);
  });

  it('keeps the copy it hands the socket out of reach of a replaced Uint8Array', () => {
    const fake = fakeClient({ later: true });
    issueTickets(fake.client, queryTickets({ text: 'SELECT 1' }));
    const seen: Uint8Array[] = [];
    const Original = globalThis.Uint8Array;
    globalThis.Uint8Array = new Proxy(Original, {
      construct(target, args: unknown[]) {
        const made = Reflect.construct(target, args) as Uint8Array;
        seen.push(made);
        return made;
      },
    });
    try {
      fake.client.connection.stream.write(message('Q', 'SELECT 1'));
    } finally {
      globalThis.Uint8Array = Original;
    }
    for (const made of seen) made.fill(0x20);
    expect(fake.flush()).toEqual([message('Q', 'SELECT 1')]);
  });
});
