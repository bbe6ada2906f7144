// The approval store's dedicated LISTEN connection: opened while anyone waits or subscribes,
// closed when nobody does, and reconnected (with back-off) when it drops. Notifications missed
// while it was down are made up for by `onRecovered` (waiters re-read their rows); when it cannot
// come back, `onLost` fails the waiters, so a wait never hangs on a dead store.
import type { Notification } from 'pg';

/** The few things the listener needs of a connected `pg.Client`. */
export interface ListenConnection {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: Notification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  end(): Promise<void>;
}

/** Options of {@link createApprovalListener}. */
export interface ApprovalListenerOptions {
  /** Opens a new, connected client with an `error` listener already attached. */
  readonly connect: () => Promise<ListenConnection>;
  /** The channel: a bare identifier. */
  readonly channel: string;
  /** Reconnect attempts after a drop before `onLost` (back-off 100 ms, doubling, at most 2 s). */
  readonly reconnectAttempts: number;
  readonly onNotification: (payload: string) => void;
  /** The connection came back after a drop: anything may have happened meanwhile. */
  readonly onRecovered: () => void;
  /** The connection dropped and could not be re-established. */
  readonly onLost: (error: unknown) => void;
}

/** A reference-counted LISTEN connection. */
export interface ApprovalListener {
  /** Counts a user and resolves once LISTEN is active. Rejects (uncounted) when it cannot connect. */
  acquire(): Promise<void>;
  /** Uncounts a user; the last one closes the connection. */
  release(): void;
  /** Closes the connection for good. */
  close(): Promise<void>;
}

/** Creates the listener; it connects on the first `acquire()`. */
export function createApprovalListener(options: ApprovalListenerOptions): ApprovalListener {
  let users = 0;
  let generation = 0;
  let closed = false;
  let client: ListenConnection | undefined;
  let ready: Promise<void> | undefined;
  // A function, not a read of `client`: connections change under awaits.
  const listening = (): boolean => client !== undefined;
  const unwanted = (): boolean => closed || users === 0;

  const open = async (): Promise<void> => {
    const mine = ++generation;
    const connection = await options.connect();
    const drop = (error?: unknown): void => {
      connection.removeAllListeners('notification');
      connection.removeAllListeners('end');
      if (client !== connection) return;
      client = undefined;
      ready = undefined;
      reconnect(error ?? new Error('the listening connection ended'));
    };
    try {
      connection.on('notification', (message) => {
        if (message.channel === options.channel) options.onNotification(message.payload ?? '');
      });
      connection.on('error', drop);
      connection.on('end', () => {
        drop();
      });
      await connection.query(`LISTEN ${options.channel}`);
    } catch (err) {
      connection.removeAllListeners('notification');
      connection.removeAllListeners('end');
      await connection.end().catch(() => undefined);
      throw err;
    }
    if (mine !== generation || unwanted()) {
      // Released (or closed) while connecting: nobody needs this connection any more.
      connection.removeAllListeners('notification');
      connection.removeAllListeners('end');
      await connection.end().catch(() => undefined);
      return;
    }
    client = connection;
  };

  // Re-opens after a drop. While it runs, `ready` is its promise, so new users wait for it too.
  const reconnect = (error: unknown): void => {
    if (unwanted() || ready !== undefined) return;
    const attempt = (async () => {
      let last = error;
      for (let n = 0; n < options.reconnectAttempts; n++) {
        await delay(Math.min(2000, 100 * 2 ** n));
        if (unwanted()) throw last;
        try {
          await open();
        } catch (err) {
          last = err;
          continue;
        }
        if (listening()) {
          options.onRecovered();
          return;
        }
      }
      throw last;
    })();
    ready = attempt;
    attempt.catch((err: unknown) => {
      if (ready === attempt) ready = undefined;
      if (!unwanted()) options.onLost(err);
    });
  };

  const shut = (): void => {
    generation += 1;
    const connection = client;
    client = undefined;
    ready = undefined;
    if (connection !== undefined) {
      connection.removeAllListeners('notification');
      connection.removeAllListeners('end');
      void connection.end().catch(() => undefined);
    }
  };

  return {
    async acquire() {
      if (closed) throw new Error('the approval store is closed');
      users += 1;
      try {
        // A connection opened by an earlier user may be superseded (released and reopened)
        // while this one waits: wait for whichever is current, a few times at most.
        for (let tries = 0; !listening(); tries++) {
          if (tries === 3) throw new Error('the listening connection kept being replaced');
          const current = (ready ??= open());
          try {
            await current;
          } catch (err) {
            if (ready === current) ready = undefined;
            throw err;
          }
          if (!listening() && ready === current) ready = undefined;
        }
      } catch (err) {
        users -= 1;
        throw err;
      }
    },
    release() {
      users = Math.max(0, users - 1);
      if (users === 0) shut();
    },
    async close() {
      closed = true;
      users = 0;
      shut();
      await Promise.resolve();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
