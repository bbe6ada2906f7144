/**
 * The logger Portcullis writes to: the level methods of pino (and of most Node loggers), each
 * taking a structured object and a message. Pass `pino()` itself, or any object with these
 * methods. Silent by default.
 */
export interface PortcullisLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const noop = (): void => undefined;

/** The default logger: discards everything. */
export const silentLogger: PortcullisLogger = { debug: noop, info: noop, warn: noop, error: noop };
