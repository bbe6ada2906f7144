// Unicode's own property for code points that render as nothing (variation selectors,
// combining grapheme joiner, Hangul fillers, tags, reserved ranges…), plus the other format
// characters and whitespace. Applied again after case folding and NFKC, which can map one
// invisible character to another.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\s]/gu;

/**
 * The form in which two subjects are compared as *people* for segregation of duties and for
 * counting distinct approvers: Unicode NFKC (full-width and compatibility forms fold to their
 * plain letters), whitespace, format characters and every default-ignorable code point (Unicode's
 * Default_Ignorable_Code_Point: zero-width space/joiner, BOM, soft hyphen, variation selectors,
 * Hangul fillers, tags, …) dropped, then case-folded (through upper case, so `ß` and `ss` fold
 * alike). Identity providers that keep the user's spelling as the subject (e-mail style logins) can issue `Alice` and `alice`
 * for one person; treating such spellings as one person only ever refuses more, never less.
 *
 * It does not map cross-script look-alikes (Cyrillic `а` for Latin `a`): a second spelling of
 * that kind is a second account at the identity provider, which no comparison here can undo.
 *
 * @example
 * ```ts
 * personKey(' Ａlice\u200b'); // 'alice'
 * ```
 */
export function personKey(subject: string): string {
  return subject
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(INVISIBLE, '');
}

/**
 * Whether two subjects name the same person under {@link personKey}.
 *
 * @example
 * ```ts
 * samePerson('alice', 'ALICE'); // true
 * ```
 */
export function samePerson(a: string, b: string): boolean {
  return personKey(a) === personKey(b);
}
