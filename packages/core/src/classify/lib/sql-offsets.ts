// libpg-query reports UTF-8 byte offsets; JavaScript strings index UTF-16 code units.

/** Maps UTF-8 byte offsets of `text` to string indices (identity for ASCII text). */
export function byteToIndex(text: string): (byteOffset: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return (b) => Math.min(b, text.length);
  const bytes = Buffer.from(text, 'utf8');
  return (b) => bytes.subarray(0, Math.max(0, Math.min(b, bytes.length))).toString('utf8').length;
}
