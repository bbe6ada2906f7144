import { randomUUID } from 'node:crypto';
import { ApprovalError } from '../errors.js';
import { applyVote } from './apply-vote.js';
import { consumeGrant, endReservation, grantCovers } from './consume-grant.js';
import { matchesFilter } from './matches-filter.js';
import { newApprovalRequest } from './new-approval.js';
import { settleApproval } from './settle-approval.js';
import type { ApprovalChange, ApprovalRequest, ApprovalStore } from './types.js';
import { deepFreeze } from '../deep-freeze.js';

/** Options of {@link createMemoryApprovalStore}. */
export interface MemoryApprovalStoreOptions {
  /** Makes approval ids (default `crypto.randomUUID`). */
  readonly newId?: () => string;
}

/**
 * An {@link ApprovalStore} in this process's memory: for tests, single-process hosts and
 * development. Every operation runs in one critical section at a time (a promise queue), so
 * read-check-write sequences such as consuming a `once` grant are atomic even when many
 * callers race. Records are frozen; callers cannot change what the store holds. Nothing
 * survives a restart and nothing is shared with other processes — use the PostgreSQL store
 * for that.
 *
 * @example
 * ```ts
 * const portcullis = await createPortcullis({ policy, approvals: createMemoryApprovalStore() });
 * ```
 */
export function createMemoryApprovalStore(options: MemoryApprovalStoreOptions = {}): ApprovalStore {
  const newId = options.newId ?? randomUUID;
  const records = new Map<string, ApprovalRequest>();
  const byHash = new Map<string, string[]>();
  const byScope = new Map<string, string[]>();
  const waiters = new Map<string, Set<(approval: ApprovalRequest) => void>>();
  const listeners = new Set<(change: ApprovalChange) => void>();
  let queue: Promise<unknown> = Promise.resolve();

  // Runs `section` after every earlier section has finished, one at a time.
  function exclusive<T>(section: () => T): Promise<T> {
    const run = queue.then(section);
    queue = run.catch(() => undefined);
    return run;
  }

  function save(next: ApprovalRequest, change?: ApprovalChange['type']): ApprovalRequest {
    const frozen = deepFreeze(next);
    const previous = records.get(frozen.id);
    records.set(frozen.id, frozen);
    if (previous === undefined) {
      index(byHash, frozen.requestHash, frozen.id);
      index(byScope, frozen.scopeHash, frozen.id);
    }
    if (frozen.status !== 'pending') {
      const waiting = waiters.get(frozen.id);
      waiters.delete(frozen.id);
      for (const wake of waiting ?? []) wake(frozen);
    }
    if (change !== undefined) {
      for (const listener of listeners) {
        try {
          listener({ type: change, approval: frozen });
        } catch {
          // A listener is an observer; its failure must not undo or block the change.
        }
      }
    }
    return frozen;
  }

  // Reads a record as it stands at `at`, persisting an expiry so waiters wake.
  function settled(id: string, at: Date): ApprovalRequest | undefined {
    const record = records.get(id);
    if (record === undefined) return undefined;
    const next = settleApproval(record, at);
    return next === record ? record : save(next);
  }

  function register(id: string, signal: AbortSignal | undefined): Promise<ApprovalRequest> {
    return new Promise<ApprovalRequest>((resolve, reject) => {
      const record = records.get(id);
      if (record === undefined) {
        reject(new ApprovalError('ERR_APPROVAL_NOT_FOUND', `no approval request ${id}`, id));
        return;
      }
      if (record.status !== 'pending') {
        resolve(record);
        return;
      }
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      const wake = (approval: ApprovalRequest): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(approval);
      };
      const onAbort = (): void => {
        const set = waiters.get(id);
        set?.delete(wake);
        if (set?.size === 0) waiters.delete(id);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let set = waiters.get(id);
      if (set === undefined) waiters.set(id, (set = new Set()));
      set.add(wake);
    });
  }

  return {
    create(input) {
      return exclusive(() => {
        const fresh = newApprovalRequest(input, newId());
        for (const id of byHash.get(fresh.requestHash) ?? []) {
          const existing = settled(id, input.at);
          if (existing?.status === 'pending') return existing;
        }
        if (records.has(fresh.id)) {
          throw new ApprovalError(
            'ERR_APPROVAL_STORE',
            `approval id ${fresh.id} is already in use`,
            fresh.id,
          );
        }
        return save(fresh, 'created');
      });
    },

    get(id, at) {
      return exclusive(() => settled(id, at));
    },

    list(filter, at) {
      return exclusive(() => {
        const out: ApprovalRequest[] = [];
        for (const id of [...records.keys()]) {
          const record = settled(id, at);
          if (record !== undefined && matchesFilter(record, filter)) out.push(record);
        }
        return out;
      });
    },

    vote(id, vote, at) {
      return exclusive(() => {
        const current = settled(id, at);
        if (current === undefined) {
          throw new ApprovalError('ERR_APPROVAL_NOT_FOUND', `no approval request ${id}`, id);
        }
        const next = applyVote(current, vote, at);
        return next === current ? current : save(next, 'voted');
      });
    },

    consume(query) {
      return exclusive(() => {
        for (const id of byHash.get(query.requestHash) ?? []) {
          const record = records.get(id);
          if (record === undefined) continue;
          const used = consumeGrant(record, query);
          // A reservation is not a use yet: subscribers hear `consumed` when it is spent.
          if (used !== undefined) return save(used, used.status === 'consumed' ? 'consumed' : undefined);
        }
        return undefined;
      });
    },

    endReservation(id, holder, outcome, at) {
      return exclusive(() => {
        const record = records.get(id);
        const ended = record === undefined ? undefined : endReservation(record, holder, outcome, at);
        if (ended === undefined) return undefined;
        return save(ended, ended.status === 'consumed' ? 'consumed' : undefined);
      });
    },

    findWindowGrant(query) {
      return exclusive(() => {
        for (const id of byScope.get(query.scopeHash) ?? []) {
          const record = records.get(id);
          if (record !== undefined && grantCovers(record, query, 'window')) return record;
        }
        return undefined;
      });
    },

    waitFor(id, signal) {
      // The section only checks and registers; it hands the wait out in a box so the queue
      // does not adopt the pending promise and block the votes that would end it.
      return exclusive(() => ({ wait: register(id, signal) })).then(({ wait }) => wait);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function index(map: Map<string, string[]>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, [id]);
  else ids.push(id);
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('the wait was aborted', { cause: reason });
}
