// libpg-query reports UTF-8 byte offsets; JavaScript strings index UTF-16 code units.

/**
 * Maps UTF-8 byte offsets of `text` to string indices (identity for ASCII text). Queries in
 * increasing order cost O(text) in total; a smaller offset than the last starts again.
 */
export function byteToIndex(text: string): (byteOffset: number) => number {
  let ascii: boolean | undefined;
  let byte = 0;
  let index = 0;
  return (target) => {
    // Offset 0 (where nearly every text's only statement starts) needs no look at the text.
    if (target <= 0) return 0;
    // eslint-disable-next-line no-control-regex
    ascii ??= /^[\x00-\x7f]*$/.test(text);
    if (ascii) return Math.min(target, text.length);
    if (target < byte) {
      byte = 0;
      index = 0;
    }
    while (byte < target && index < text.length) {
      const unit = text.charCodeAt(index);
      const pair = unit >= 0xd800 && unit <= 0xdbff && isLow(text.charCodeAt(index + 1));
      // A lone surrogate is encoded as three bytes, as by Buffer and by Emscripten.
      byte += unit < 0x80 ? 1 : unit < 0x800 ? 2 : pair ? 4 : 3;
      index += pair ? 2 : 1;
    }
    return index;
  };
}

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
