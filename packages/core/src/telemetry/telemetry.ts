// Spans, metrics and logs for operators, through @opentelemetry/api only: with no SDK
// registered by the host (and no providers passed in), every call is the API's no-op.
// Observers may fail; enforcement must not: every call here swallows its own errors, the
// opposite of the gate, which fails closed.
import {
  createNoopMeter,
  metrics,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Decision } from '../types.js';
import { silentLogger, type PortcullisLogger } from './logger.js';

/** Where telemetry goes; every member is optional (default: the global OpenTelemetry providers). */
export interface TelemetryOptions {
  /** Default: the global tracer provider (a no-op unless the host registered an SDK). */
  readonly tracerProvider?: TracerProvider;
  /** Default: the global meter provider (a no-op unless the host registered an SDK). */
  readonly meterProvider?: MeterProvider;
  /** Default: silent. */
  readonly logger?: PortcullisLogger;
}

/** What an execution span is told when it starts (never request values or results). */
export interface ExecutionSpanInput {
  readonly target: string;
  /** The protocol of the target (`postgres`, `ssh`, `kubernetes`). */
  readonly protocol?: string;
  /** The decision the request was authorised with. */
  readonly decision: Decision;
}

/** How an execution ended (codes and counts only, never a message, a value or a result). */
export interface ExecutionOutcome {
  /** A stable code (`ERR_RESULT_TOO_LARGE`, a driver's `42P01`) when it failed; never a message. */
  readonly error?: string;
  /** Rows (or items) the result had. */
  readonly rows?: number;
  /**
   * Values masked while it ran, by detector id (or `column`, `field`, `kubernetes-secret` for
   * rules): set on the span as `portcullis.findings` (the total) and
   * `portcullis.findings.<detector>`, and added to the `portcullis.mask.findings` metric.
   */
  readonly findings?: Readonly<Record<string, number>>;
}

/** An execution in progress; `end()` it exactly once (later calls are ignored). */
export interface ExecutionSpan {
  /** Ends the span with status OK, or ERROR with the outcome's `error` code. */
  end(outcome?: ExecutionOutcome): void;
}

/** The instruments the engine and the gate report to. */
export interface Telemetry {
  readonly logger: PortcullisLogger;
  /**
   * `false` when the logger discards everything (the default), so callers need not build log
   * lines; anything else (or absent) means log.
   */
  readonly logging?: boolean;
  /** Starts the span of one authorization; the engine calls it. */
  startAuthorization(target: string): AuthorizationSpan;
  /** Records one classification's duration in milliseconds. */
  classified(protocol: string, ms: number): void;
  /** Starts the span of one execution; the gate calls it after `authorize` resolved. */
  startExecution(input: ExecutionSpanInput): ExecutionSpan;
  /** Counts masking findings by detector id (`{ 'aws-access-key': 2 }`); the gate calls it after masking. */
  findings(byDetector: Readonly<Record<string, number>>, target?: string): void;
}

/** An authorization in progress. */
export interface AuthorizationSpan {
  /** How long the request waited for approval, in seconds, and how the wait ended. */
  approvalWait(seconds: number, outcome: string): void;
  /** Ends the span with the decision (and the outcome: `allowed`, `denied`, `review-pending`). */
  end(decision: Decision | undefined, outcome: string): void;
}

const NAME = '@portcullis/core';

/** Calls an observer, dropping anything it throws: telemetry never changes a decision. */
function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // An observer failed: ignore it (see the note at the top).
  }
}

/** The operations of a decision's actions, without duplicates, in order. */
function operationsOf(decision: Decision): string[] {
  return [...new Set(decision.actions.map((a) => a.action.operation))];
}

/** Attributes that describe a decision: target, operations, effect, rule ids. No request values. */
function decisionAttributes(target: string, decision: Decision | undefined): Attributes {
  const attributes: Attributes = { 'portcullis.target': target };
  if (decision !== undefined) {
    attributes['portcullis.operations'] = operationsOf(decision);
    attributes['portcullis.effect'] = decision.effect;
    attributes['portcullis.rules'] = [...decision.rules];
  }
  return attributes;
}

/**
 * A decision's attributes for one target, made once per decision object: the gate's plan cache
 * hands the same decision to every repeat of a request. Frozen, so a span or a listener that
 * keeps them cannot change them for the next request.
 */
class AttributeCache {
  readonly #byDecision = new WeakMap<
    Decision,
    { readonly target: string; readonly protocol: string | undefined; readonly attributes: Attributes }
  >();
  // Keyed by target (and effect): a bounded number, the policy's targets; capped all the same.
  readonly #small = new Map<string, Attributes>();

  /** {@link decisionAttributes}, with `portcullis.protocol` when given. */
  of(target: string, decision: Decision | undefined, protocol?: string): Attributes {
    if (decision === undefined) return this.target(target);
    const known = this.#byDecision.get(decision);
    if (known !== undefined && known.target === target && known.protocol === protocol)
      return known.attributes;
    const made = decisionAttributes(target, decision);
    if (protocol !== undefined) made['portcullis.protocol'] = protocol;
    const attributes = Object.freeze(made);
    this.#byDecision.set(decision, { target, protocol, attributes });
    return attributes;
  }

  /** `{ 'portcullis.target': target }`. */
  target(target: string): Attributes {
    return this.#remembered(`t\u0000${target}`, () => ({ 'portcullis.target': target }));
  }

  /** `{ 'portcullis.effect': effect, 'portcullis.target': target }`. */
  effect(effect: string, target: string): Attributes {
    return this.#remembered(`e\u0000${effect}\u0000${target}`, () => ({
      'portcullis.effect': effect,
      'portcullis.target': target,
    }));
  }

  #remembered(key: string, make: () => Attributes): Attributes {
    let attributes = this.#small.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(make());
      if (this.#small.size < 1024) this.#small.set(key, attributes);
    }
    return attributes;
  }
}

/** What an authorization's span reports to, shared by every authorization of one telemetry. */
interface AuthorizationInstruments {
  readonly attributes: AttributeCache;
  decided(decision: Decision, target: string): void;
  waited(seconds: number, target: string, outcome: string): void;
}

/** An authorization in progress: its methods on the prototype, so a request makes no closures. */
class AuthorizationRun implements AuthorizationSpan {
  readonly #instruments: AuthorizationInstruments;
  readonly #target: string;
  readonly #span: Span | undefined;

  constructor(instruments: AuthorizationInstruments, target: string, span: Span | undefined) {
    this.#instruments = instruments;
    this.#target = target;
    this.#span = span;
  }

  approvalWait(seconds: number, outcome: string): void {
    try {
      this.#instruments.waited(seconds, this.#target, outcome);
    } catch {
      // An observer failed: ignore it (see the note at the top).
    }
  }

  end(decision: Decision | undefined, outcome: string): void {
    try {
      const span = this.#span;
      if (span !== undefined) {
        span.setAttributes(this.#instruments.attributes.of(this.#target, decision));
        span.setAttribute('portcullis.outcome', outcome);
        span.end();
      }
      if (decision !== undefined) this.#instruments.decided(decision, this.#target);
    } catch {
      // An observer failed: ignore it (see the note at the top).
    }
  }
}

/** An execution in progress (see {@link ExecutionSpan}). */
class ExecutionRun implements ExecutionSpan {
  readonly #countFindings: (byDetector: Readonly<Record<string, number>>, target: string) => void;
  readonly #target: string;
  readonly #span: Span | undefined;
  #ended = false;

  constructor(
    countFindings: (byDetector: Readonly<Record<string, number>>, target: string) => void,
    target: string,
    span: Span | undefined,
  ) {
    this.#countFindings = countFindings;
    this.#target = target;
    this.#span = span;
  }

  end(outcome: ExecutionOutcome = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const span = this.#span;
      if (outcome.rows !== undefined) span?.setAttribute('portcullis.rows', outcome.rows);
      if (outcome.findings !== undefined) {
        let total = 0;
        for (const [detector, count] of Object.entries(outcome.findings)) {
          if (!(count > 0)) continue;
          total += count;
          span?.setAttribute(`portcullis.findings.${detector}`, count);
        }
        span?.setAttribute('portcullis.findings', total);
        if (total > 0) this.#countFindings(outcome.findings, this.#target);
      }
      if (outcome.error !== undefined) {
        span?.setAttribute('portcullis.error', outcome.error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      } else {
        span?.setStatus({ code: SpanStatusCode.OK });
      }
      span?.end();
    } catch {
      // An observer failed: ignore it (see the note at the top).
    }
  }
}

const never = (): boolean => false;

/** An authorization nothing observes (no tracer, no meter): its calls do nothing. */
const unobserved: AuthorizationSpan = Object.freeze({
  approvalWait: (): void => undefined,
  end: (): void => undefined,
});

/** The API's global tracer provider (1.x): a proxy to the provider the host registered, if any. */
interface GlobalProvider {
  getDelegate(): unknown;
}

/**
 * Whether no tracer provider is registered globally, asked per span (a host may register its
 * SDK after the engine was made): the global provider's tracers then make no-op spans, and
 * making them anyway costs a point query a few microseconds. The 1.x API's global provider is a
 * proxy whose `getDelegate()` answers with the API's own no-op provider until one is registered;
 * a fresh proxy of the same class says which object that is. Where the global provider is not
 * such a proxy, spans are always made.
 */
function noGlobalTracer(): () => boolean {
  try {
    const global = trace.getTracerProvider() as unknown as Partial<GlobalProvider>;
    if (typeof global.getDelegate !== 'function') return never;
    const Proxy = (global as { constructor?: unknown }).constructor;
    if (typeof Proxy !== 'function') return never;
    const noop = new (Proxy as new () => GlobalProvider)().getDelegate();
    if (noop === undefined || noop === null) return never;
    const proxy = global as GlobalProvider;
    return () => {
      try {
        return proxy.getDelegate() === noop;
      } catch {
        return false;
      }
    };
  } catch {
    return never;
  }
}

/**
 * Creates the telemetry the engine reports to: a span per authorization (`portcullis.authorize`)
 * and per execution (`portcullis.execute`) with target, operations, effect and rule ids; metrics
 * `portcullis.decisions` (by effect and target), `portcullis.approval.wait` (seconds),
 * `portcullis.mask.findings` (by detector) and `portcullis.classify.duration` (milliseconds).
 * Never records request text, parameters or results.
 *
 * @example
 * ```ts
 * const engine = await createPortcullis({ policy, telemetry: { logger: pino() } });
 * ```
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(NAME);
  const untraced = options.tracerProvider === undefined ? noGlobalTracer() : never;
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(NAME);
  const logger = options.logger ?? silentLogger;
  const decisions: Counter = meter.createCounter('portcullis.decisions', {
    description: 'Decisions made by authorize(), by effect and target',
  });
  const approvalWait: Histogram = meter.createHistogram('portcullis.approval.wait', {
    description: 'How long requests waited for approval',
    unit: 's',
  });
  const findings: Counter = meter.createCounter('portcullis.mask.findings', {
    description: 'Values masked, by detector',
  });
  const classifyTime: Histogram = meter.createHistogram('portcullis.classify.duration', {
    description: 'Time to classify a request into actions',
    unit: 'ms',
  });

  // The API's own no-op meter (no meter provider when these were made; a meter made then stays
  // a no-op): nothing a metric is given is used, so nothing is built for any of them.
  const metered = decisions !== createNoopMeter().createCounter(NAME);

  const countFindings = (byDetector: Readonly<Record<string, number>>, target: string | undefined): void => {
    if (!metered) return;
    for (const [detector, count] of Object.entries(byDetector)) {
      if (count > 0)
        findings.add(count, {
          'portcullis.detector': detector,
          ...(target === undefined ? {} : { 'portcullis.target': target }),
        });
    }
  };

  const authorizeAttributes = new AttributeCache();
  const executeAttributes = new AttributeCache();
  const instruments: AuthorizationInstruments = {
    attributes: authorizeAttributes,
    decided: (decision, target) => {
      if (metered) decisions.add(1, authorizeAttributes.effect(decision.effect, target));
    },
    waited: (seconds, target, outcome) => {
      if (metered)
        approvalWait.record(seconds, { 'portcullis.target': target, 'portcullis.outcome': outcome });
    },
  };

  const safeLogger: PortcullisLogger = {
    debug: (obj, msg) => {
      quietly(() => {
        logger.debug(obj, msg);
      });
    },
    info: (obj, msg) => {
      quietly(() => {
        logger.info(obj, msg);
      });
    },
    warn: (obj, msg) => {
      quietly(() => {
        logger.warn(obj, msg);
      });
    },
    error: (obj, msg) => {
      quietly(() => {
        logger.error(obj, msg);
      });
    },
  };

  return {
    logger: safeLogger,
    logging: logger !== silentLogger,
    startAuthorization(target) {
      let span: Span | undefined;
      if (untraced()) return metered ? new AuthorizationRun(instruments, target, undefined) : unobserved;
      try {
        span = tracer.startSpan('portcullis.authorize', { attributes: authorizeAttributes.target(target) });
      } catch {
        // An observer failed: ignore it (see the note at the top).
      }
      return new AuthorizationRun(instruments, target, span);
    },
    classified(protocol, ms) {
      if (!metered) return;
      quietly(() => {
        classifyTime.record(ms, { 'portcullis.protocol': protocol });
      });
    },
    startExecution(input) {
      let span: Span | undefined;
      if (untraced()) return new ExecutionRun(countFindings, input.target, undefined);
      try {
        span = tracer.startSpan('portcullis.execute', {
          attributes: executeAttributes.of(input.target, input.decision, input.protocol),
        });
      } catch {
        // An observer failed: ignore it (see the note at the top).
      }
      return new ExecutionRun(countFindings, input.target, span);
    },
    findings(byDetector, target) {
      quietly(() => {
        countFindings(byDetector, target);
      });
    },
  };
}
