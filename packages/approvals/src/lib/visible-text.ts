/**
 * Text that came from a request (written by whoever asked, possibly an agent) made safe to show
 * a person: control characters, bidirectional overrides and invisible formatting characters are
 * shown as `\uXXXX` escapes, so they cannot reorder, hide or fake what the approver reads.
 * Newlines and tabs stay.
 */
export function visibleText(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

// C0 (but \t and \n), DEL and C1, the bidi marks, embeddings, overrides and isolates, and the
// other default-ignorable characters a browser draws as nothing.
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u{e0000}-\u{e007f}]/gu;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
