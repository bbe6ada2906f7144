import { EventEmitter } from 'node:events';
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
function fakeClient({ writev = false } = {}): {
  client: { connection: EventEmitter & { stream: Writable }; on: EventEmitter['on'] };
  written: Buffer[];
  errors: unknown[];
  bypasses: BypassError[];
} {
  const written: Buffer[] = [];
  const errors: unknown[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
    ...(writev && {
      writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void) {
        for (const { chunk } of chunks) written.push(chunk);
        callback();
      },
    }),
  });
  stream.on('error', (err) => errors.push(err));
  const connection = Object.assign(new EventEmitter(), { stream });
  const client = Object.assign(new EventEmitter(), { connection });
  const bypasses: BypassError[] = [];
  armClient(client, (err) => bypasses.push(err));
  return { client, written, errors, bypasses };
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
    expect(fake.written).toHaveLength(1);
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
