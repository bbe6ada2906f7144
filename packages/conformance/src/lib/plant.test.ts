import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { plantOnPrototypes } from './plant.js';

const asyncFunctionPrototype = Object.getPrototypeOf(async () => {
  await Promise.resolve();
}) as object;

describe('plantOnPrototypes', () => {
  it('plants a missing name on every prototype given, and takes it off again', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    const undo = plantOnPrototypes([a, null, b], ['enqueue'], (name) => `planted ${String(name)}`);
    expect(Object.getOwnPropertyDescriptor(a, 'enqueue')).toEqual({
      value: 'planted enqueue',
      writable: true,
      enumerable: false,
      configurable: true,
    });
    expect(b['enqueue']).toBe('planted enqueue');
    undo();
    undo();
    expect(Object.hasOwn(a, 'enqueue')).toBe(false);
    expect(Object.hasOwn(b, 'enqueue')).toBe(false);
  });

  it('leaves alone a name the prototype has, own or inherited', () => {
    const base = { run: 'base' };
    const proto = Object.create(base) as Record<string, unknown>;
    proto['end'] = 'own';
    const undo = plantOnPrototypes([proto], ['run', 'end', 'note'], () => 'planted');
    try {
      expect(Object.keys(Object.getOwnPropertyDescriptors(proto)).sort()).toEqual(['end', 'note']);
      expect(proto['run']).toBe('base');
      expect(proto['end']).toBe('own');
    } finally {
      undo();
    }
    expect(proto['end']).toBe('own');
    expect(Object.hasOwn(proto, 'note')).toBe(false);
  });

  it("does not hide Function.prototype.apply from async functions: an emitter's async listener still runs", () => {
    // Node's EventEmitter calls listeners with `handler.apply(…)`: an `apply` planted on the
    // async-function prototype ran instead of every async listener (the test runner's IPC
    // listener among them, so its messages were lost and the run hung).
    const emitter = new EventEmitter();
    const heard: unknown[] = [];
    // An async function, as the runner's listener is: its prototype is the one planted on.
    const listener = async (message: unknown): Promise<void> => {
      heard.push(message);
      await Promise.resolve();
    };
    expect(Object.getPrototypeOf(listener)).toBe(asyncFunctionPrototype);
    emitter.on('message', listener as (message: unknown) => void);
    const ran: (string | symbol)[] = [];
    const undo = plantOnPrototypes(
      [asyncFunctionPrototype],
      ['apply', 'call', 'bind', 'portcullisPlanted'],
      (name) => () => {
        ran.push(name);
      },
    );
    let own: string[];
    try {
      emitter.emit('message', 'hello');
      own = ['apply', 'call', 'bind', 'portcullisPlanted'].filter((n) =>
        Object.hasOwn(asyncFunctionPrototype, n),
      );
    } finally {
      undo();
    }
    expect(heard).toEqual(['hello']);
    expect(ran).toEqual([]);
    expect(own).toEqual(['portcullisPlanted']);
    expect(Object.hasOwn(asyncFunctionPrototype, 'portcullisPlanted')).toBe(false);
  });

  it('takes back what it planted when a definition fails, and rethrows', () => {
    const open: Record<string, unknown> = {};
    const frozen = Object.freeze({});
    expect(() => plantOnPrototypes([open, frozen], ['exec'], () => 'planted')).toThrow(TypeError);
    expect(Object.hasOwn(open, 'exec')).toBe(false);
  });

  it('does not take away a definition made after its own', () => {
    const proto: Record<string, unknown> = {};
    const undo = plantOnPrototypes([proto], ['watch'], () => 'planted');
    proto['watch'] = 'someone else';
    undo();
    expect(proto['watch']).toBe('someone else');
  });
});
