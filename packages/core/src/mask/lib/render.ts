// How a masked value is shown, per style. Every replacement is plain ASCII with no quote or
// backslash, so it is safe inside JSON and shell strings.
import { createHmac } from 'node:crypto';
import type { MaskStyle } from '../../types.js';

/** Renders `text` (found by `label`) in `style`; `hashKey` is checked by the caller. */
export function renderMasked(
  style: MaskStyle,
  label: string,
  text: string,
  hashKey: Uint8Array | undefined,
): string {
  switch (style) {
    case 'keep':
      return text;
    case 'partial':
      return '****' + keptSuffix(text);
    case 'hash': {
      if (hashKey === undefined) throw new TypeError('the hash style needs a hashKey');
      const mac = createHmac('sha256', hashKey).update(text, 'utf8').digest('hex');
      return `[HASH:${label}:${mac.slice(0, 16)}]`;
    }
    case 'redact':
      return redacted(label);
  }
}

// The visible tail of a `partial` value: at most 4 characters and at most a quarter of the
// value, so short secrets are not mostly revealed; never starting inside a backslash escape
// (`\n`, `\"`, `\u00e9`) or a surrogate pair, so masked JSON and text stay well-formed.
function keptSuffix(text: string): string {
  const n = text.length;
  const keep = Math.min(4, Math.floor(n / 4));
  if (keep === 0) return '';
  let from = n - keep;
  if (text.includes('\\')) {
    let i = 0;
    while (i < n) {
      const step = text.charCodeAt(i) !== 0x5c ? 1 : text.charCodeAt(i + 1) === 0x75 ? 6 : 2;
      if (i >= from) break;
      i += step;
    }
    from = i;
  }
  const code = text.charCodeAt(from);
  if (code >= 0xdc00 && code <= 0xdfff) from++;
  return text.slice(from);
}

// The redact form of each label, made once: labels are few (detector ids, `column`, `field`).
const REDACTED = new Map<string, string>();

function redacted(label: string): string {
  let text = REDACTED.get(label);
  if (text === undefined) {
    text = `[REDACTED:${label}]`;
    if (REDACTED.size < 1024) REDACTED.set(label, text);
  }
  return text;
}
