import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { toRequest } from './to-request.js';

const noop = (): void => undefined;

describe('toRequest: every pg call shape', () => {
  const shapes: readonly {
    readonly name: string;
    readonly args: readonly unknown[];
    readonly text: string | undefined;
    readonly values?: readonly unknown[];
    readonly statement?: string;
    readonly rowMode?: 'array';
    readonly callback?: boolean;
  }[] = [
    { name: 'text', args: ['SELECT 1'], text: 'SELECT 1' },
    { name: 'text + values', args: ['SELECT $1', [1]], text: 'SELECT $1', values: ['1'] },
    { name: 'text + callback', args: ['SELECT 1', noop], text: 'SELECT 1', callback: true },
    {
      name: 'text + values + callback',
      args: ['SELECT $1', ['a'], noop],
      text: 'SELECT $1',
      values: ['a'],
      callback: true,
    },
    { name: 'config', args: [{ text: 'SELECT 1' }], text: 'SELECT 1' },
    {
      name: 'config with values',
      args: [{ text: 'SELECT $1', values: [2] }],
      text: 'SELECT $1',
      values: ['2'],
    },
    {
      name: 'values argument overrides config.values',
      args: [{ text: 'SELECT $1', values: [2] }, [3]],
      text: 'SELECT $1',
      values: ['3'],
    },
    { name: 'config + callback', args: [{ text: 'SELECT 1' }, noop], text: 'SELECT 1', callback: true },
    {
      name: 'config.callback',
      args: [{ text: 'SELECT 1', callback: noop }],
      text: 'SELECT 1',
      callback: true,
    },
    {
      name: 'named statement',
      args: [{ name: 'one', text: 'SELECT 1' }],
      text: 'SELECT 1',
      statement: 'one',
    },
    { name: 'named statement by name alone', args: [{ name: 'one' }], text: undefined, statement: 'one' },
    {
      name: 'rowMode array',
      args: [{ text: 'SELECT 1', rowMode: 'array' }],
      text: 'SELECT 1',
      rowMode: 'array',
    },
    { name: 'null values are no values', args: ['SELECT 1', null], text: 'SELECT 1' },
  ];

  it.each(shapes)('$name', ({ args, text, values, statement, rowMode, callback }) => {
    const call = toRequest(...(args as [unknown, unknown?, unknown?]));
    expect(call.kind).toBe('query');
    if (call.kind !== 'query') return;
    expect(call.text).toBe(text);
    expect(call.values).toEqual(values);
    expect(call.name).toBe(statement);
    expect(call.rowMode).toBe(rowMode);
    expect(call.callback !== undefined).toBe(callback === true);
    expect(call.request).toEqual(
      text === undefined
        ? undefined
        : { type: 'sql', sql: text, ...(values === undefined ? {} : { params: values }) },
    );
    expect(Object.isFrozen(call)).toBe(true);
  });

  it('reads a getter once, so the wire sees the text the gate classified', () => {
    let reads = 0;
    const config = {
      get text(): string {
        reads++;
        return reads === 1 ? 'SELECT 1' : 'DROP TABLE users';
      },
    };
    const call = toRequest(config);
    expect(call.text).toBe('SELECT 1');
    expect(call.request).toEqual({ type: 'sql', sql: 'SELECT 1' });
    expect(reads).toBe(1);
  });

  it('copies values so a later change to the caller array is not seen', () => {
    const values: unknown[] = [1];
    const call = toRequest('SELECT $1', values);
    values[0] = 2;
    expect(call.values).toEqual(['1']);
  });

  it('reads values by index, as pg does, not through an iterator the caller replaced', () => {
    const values: unknown[] = ['1', null, 'x'];
    Object.defineProperty(values, Symbol.iterator, {
      value: function* () {
        yield 'DROP';
      },
    });
    const call = toRequest('SELECT $1, $2, $3', values);
    expect(call.values).toEqual(['1', null, 'x']);
    expect(call.request).toEqual({ type: 'sql', sql: 'SELECT $1, $2, $3', params: ['1', null, 'x'] });
  });

  it('keeps custom type parsers bound to their object', () => {
    const types = {
      marker: 'x',
      getTypeParser(this: { marker: string }) {
        const marker = this.marker;
        return (value: string) => `${marker}${value}`;
      },
    };
    const call = toRequest({ text: 'SELECT 1', types });
    expect(call.types?.getTypeParser(25)('v')).toBe('xv');
  });

  it('recognises pg-cursor', () => {
    const cursor = new Cursor('SELECT $1::int AS n', [1], { rowMode: 'array' });
    const call = toRequest(cursor);
    expect(call).toMatchObject({
      kind: 'cursor',
      text: 'SELECT $1::int AS n',
      values: ['1'],
      rowMode: 'array',
    });
    expect(call.request).toEqual({ type: 'sql', sql: 'SELECT $1::int AS n', params: ['1'] });
  });

  it('converts values once to the text pg sends, so an approval binds exactly what runs', () => {
    let reads = 0;
    const shifty = { toPostgres: () => String(++reads) };
    const call = toRequest('SELECT $1, $2, $3, $4, $5', [
      shifty,
      null,
      Buffer.from([1, 255]),
      { a: 1 },
      true,
    ]);
    expect(call.values).toEqual(['1', null, '\\x01ff', '{"a":1}', 'true']);
    expect(call.request).toEqual({ type: 'sql', sql: 'SELECT $1, $2, $3, $4, $5', params: call.values });
    // The values the engine decides (and an approval binds) can change no more than those sent.
    const params = (call.request as unknown as { params?: unknown[] }).params;
    expect(Object.isFrozen(params)).toBe(true);
    expect(() => params?.push('x')).toThrow(TypeError);
    expect(reads).toBe(1);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => toRequest('SELECT $1', [circular])).toThrow(TypeError);
  });

  it('recognises pg-query-stream', () => {
    const stream = new QueryStream('SELECT 2', [], { batchSize: 10 });
    const call = toRequest(stream);
    expect(call).toMatchObject({ kind: 'stream', text: 'SELECT 2' });
    if (call.kind === 'stream') expect(call.cursor).toBe(stream.cursor);
  });

  const refused: readonly {
    readonly name: string;
    readonly args: readonly unknown[];
    readonly message: RegExp;
  }[] = [
    { name: 'null', args: [null], message: /null or undefined/ },
    { name: 'undefined', args: [undefined], message: /null or undefined/ },
    { name: 'a number', args: [42], message: /takes an SQL text/ },
    { name: 'no text and no name', args: [{}], message: /text or a name/ },
    { name: 'text that is not a string', args: [{ text: 1 }], message: /must be a string/ },
    { name: 'an empty name', args: [{ name: '', text: 'SELECT 1' }], message: /non-empty string/ },
    { name: 'values that are not an array', args: ['SELECT $1', { 0: 1 }], message: /must be an array/ },
    { name: 'a callback that is not a function', args: ['SELECT 1', [], 'cb'], message: /not a function/ },
    { name: 'rowMode other than array', args: [{ text: 'SELECT 1', rowMode: 'object' }], message: /rowMode/ },
    { name: 'binary results', args: [{ text: 'SELECT 1', binary: true }], message: /binary/ },
    { name: 'rows (portal paging)', args: [{ text: 'SELECT 1', rows: 10 }], message: /pg-cursor/ },
    { name: 'a NUL inside the text', args: ['SELECT 1\u0000; DROP TABLE t'], message: /NUL/ },
    { name: 'a lone surrogate in the text', args: ["SELECT '\ud800'"], message: /well-formed/ },
    {
      name: 'types without getTypeParser',
      args: [{ text: 'SELECT 1', types: {} }],
      message: /getTypeParser/,
    },
    {
      name: 'queryMode other than extended',
      args: [{ text: 'SELECT 1', queryMode: 'simple' }],
      message: /queryMode/,
    },
    { name: 'a pg.Query', args: [new pg.Query('SELECT 1')], message: /other Submittables/ },
    {
      name: 'a custom Submittable',
      args: [{ submit: noop, handleDataRow: noop, text: 'SELECT 1' }],
      message: /other Submittables/,
    },
    {
      name: 'a cursor with a callback',
      args: [new Cursor('SELECT 1'), noop],
      message: /no values or callback/,
    },
  ];

  it.each(refused)('refuses $name with a TypeError', ({ args, message }) => {
    expect(() => toRequest(...(args as [unknown, unknown?, unknown?]))).toThrow(TypeError);
    expect(() => toRequest(...(args as [unknown, unknown?, unknown?]))).toThrow(message);
  });

  it('refuses a cursor that was already submitted', () => {
    const cursor = new Cursor('SELECT 1');
    (cursor as unknown as { state: string }).state = 'idle';
    expect(() => toRequest(cursor)).toThrow(/already submitted/);
  });
});
