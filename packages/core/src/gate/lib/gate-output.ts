// One masked, recorded, capped output stream of a request (see GateOutput).
import { StringDecoder } from 'node:string_decoder';
import type { GateOutput, MaskingPlan } from '../types.js';

interface OutputParts {
  readonly stream: string;
  readonly plan: MaskingPlan;
  /** Counts raw bytes against the caps; throws past them. */
  readonly count: (bytes: number) => void;
  /** Records one `output` event's data (stream, masked text, elapsed seconds). */
  readonly record: (data: {
    readonly stream: string;
    readonly data: string;
    readonly elapsed: number;
  }) => Promise<void>;
  /** Seconds since the recording started. */
  readonly elapsed: () => number;
}

/**
 * Creates the output stream. Each chunk is masked the moment it is written, in this thread; the
 * results are serialised: each write resolves after its masked text is recorded, in order, so
 * the recording never lags behind what the caller was shown. An executor may write the next
 * chunk before the last one resolved (and so read on while a recording is written).
 *
 * @example
 * ```ts
 * const out = createGateOutput({ stream: 'stdout', plan, count, record, elapsed });
 * socket.write(await out.write(chunk));
 * ```
 */
export function createGateOutput(parts: OutputParts): GateOutput {
  const masker = parts.plan.stream();
  const decoder = new StringDecoder('utf8');
  let ended = false;
  let failed = false;
  let tail: Promise<unknown> = Promise.resolve();

  // One masking step now; a throw fails this step and every later one (the engine's state is
  // then unknown: nothing more is shown).
  const mask = (step: () => string): Promise<string> => {
    if (failed) return Promise.reject(new Error(`masking the ${parts.stream} stream failed earlier`));
    try {
      return Promise.resolve(step());
    } catch (err) {
      failed = true;
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  const emit = (masked: Promise<string>): Promise<string> => {
    masked.catch(() => undefined);
    const step = tail.then(async () => {
      const text = await masked;
      if (text.length > 0) await parts.record({ stream: parts.stream, data: text, elapsed: parts.elapsed() });
      return text;
    });
    tail = step.catch(() => undefined);
    return step;
  };

  return Object.freeze({
    write(chunk: string | Uint8Array): Promise<string> {
      if (ended) return Promise.reject(new TypeError(`the ${parts.stream} stream has ended`));
      let text: string;
      if (typeof chunk === 'string') {
        parts.count(Buffer.byteLength(chunk, 'utf8'));
        text = decoder.end() + chunk;
      } else if (chunk instanceof Uint8Array) {
        parts.count(chunk.byteLength);
        text = decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } else {
        return Promise.reject(new TypeError('output chunks are strings or bytes'));
      }
      return emit(mask(() => masker.write(text)));
    },
    idle(): Promise<string> {
      if (ended) return Promise.resolve('');
      return emit(mask(() => masker.idle()));
    },
    end(): Promise<string> {
      if (ended) return Promise.resolve('');
      ended = true;
      const rest = decoder.end();
      return emit(mask(() => (rest.length > 0 ? masker.write(rest) : '') + masker.end()));
    },
  });
}
