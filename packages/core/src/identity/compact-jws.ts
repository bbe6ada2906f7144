import { TokenError, type TokenErrorCode } from '../errors.js';

/** A compact JWS split into its parts, with the decoded protected header. */
export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  /** The protected header's `alg`. */
  readonly alg: string;
}

// header.payload.signature, each base64url without padding. The signature may be empty here so
// that an unsecured (`alg: none`) token is reported as an algorithm problem, not as garbage.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Checks the size and shape of a compact JWS and decodes its protected header, before any key
 * lookup or signature check. Messages never quote the input.
 *
 * @param what `token` or `DPoP proof`, for messages.
 * @param code The error code for every failure here (`ERR_TOKEN_INVALID` or `ERR_DPOP_INVALID`).
 * @throws TokenError with `code` when the input is too large, not a compact JWS, or its header
 * is not a JSON object with a string `alg`.
 */
export function parseCompactJws(
  input: string,
  maxBytes: number,
  what: string,
  code: Extract<TokenErrorCode, 'ERR_TOKEN_INVALID' | 'ERR_DPOP_INVALID'>,
): CompactJws {
  // Length in UTF-16 units never exceeds the UTF-8 byte length, so this first test is safe and
  // cheap; the exact count only runs for inputs that could be within the limit.
  if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
    throw new TokenError(code, `${what} is larger than ${maxBytes} bytes`);
  }
  if (input.length === 0) throw new TokenError(code, `${what} is empty`);
  if (!COMPACT_JWS.test(input)) {
    const parts = input.split('.').length;
    throw new TokenError(
      code,
      parts === 5
        ? `${what} is an encrypted JWT (JWE), which is not accepted`
        : `${what} is not a compact JWS (three base64url parts separated by dots)`,
    );
  }
  const encoded = input.slice(0, input.indexOf('.'));
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(code, `${what} header is not base64url-encoded JSON`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new TokenError(code, `${what} header is not a JSON object`);
  }
  const record = header as Record<string, unknown>;
  const alg = record['alg'];
  if (typeof alg !== 'string' || alg === '') {
    throw new TokenError(code, `${what} header has no "alg"`);
  }
  return { header: record, alg };
}
