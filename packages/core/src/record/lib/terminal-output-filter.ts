// What asciicast export lets through to the player's terminal. Recorded output is replayed to
// a terminal emulator (asciinema's player or `asciinema play` in the auditor's own terminal),
// so the sequences a hostile program could print to act on the viewer are neutralised, while
// what draws the screen is kept so full-screen programs still replay.
//
// Kept (ECMA-48 / xterm):
//   SGR colours and attributes      CSI … m
//   cursor movement and position    CSI … A B C D E F G H a d e f `   ESC 7  ESC 8  ESC D  ESC E  ESC M
//   erasing, inserting, scrolling   CSI … J K X L M P @ S T r   (no private prefix)
//   cursor save/restore             CSI s  CSI u
//   modes                           CSI 4 h/l (insert), CSI ? N h/l for N in 1 7 12 25 47 1047 1048 1049 2026
//   keypad and charsets             ESC =  ESC >  ESC ( X  ESC ) X
//   text controls                   \n \r \t \b
// Neutralised (shown as inert text such as `\u001b]52;c;…`):
//   every OSC (clipboard 52, title 0/1/2, hyperlinks 8, palette 4/10/11/…), DCS, APC, PM, SOS;
//   every CSI that makes the terminal answer on its input (DSR n, DA c, window reports t,
//   DECRQM $p, …) or changes it beyond the screen (window ops t, mouse and focus reporting
//   ?1000–?1016, bracketed paste ?2004, key modifiers >…m, cursor style q, soft reset !p);
//   ESC c (full reset), 8-bit C1 controls, other C0 controls (BEL, SO/SI, …), DEL and bidi controls.
import { escapeTerminalText } from '../terminal-text.js';

const KEPT_CSI_FINALS = new Set('mABCDEFGHadef`JKXLMP@STrsu'.split(''));
const KEPT_PRIVATE_MODES = new Set(['1', '7', '12', '25', '47', '1047', '1048', '1049', '2026']);
const KEPT_ESC = new Set('78DEM=>'.split(''));
/** A sequence longer than this is not finished by the next chunk: shown inert as it is. */
const MAX_PENDING = 4096;

/** A stateful filter: sequences split across chunks are judged whole. */
export interface TerminalOutputFilter {
  /** The safe text of a chunk (a sequence cut at its end is held back until the next chunk). */
  push(chunk: string): string;
  /** The text still held back, made inert. */
  end(): string;
}

/** Creates the filter asciicast export runs each session's output through. */
export function createTerminalOutputFilter(): TerminalOutputFilter {
  let pending = '';
  const run = (text: string, final: boolean): string => {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x1b) {
        const ch = text[i] ?? '';
        out += c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 ? ch : escapeTerminalText(ch);
        i += 1;
        continue;
      }
      const length = sequenceLength(text, i);
      if (length === undefined) {
        // Cut short at the chunk's end: wait for the rest, unless it will never come.
        if (!final && text.length - i <= MAX_PENDING) {
          pending = text.slice(i);
          return out;
        }
        out += escapeTerminalText(text.slice(i));
        return out;
      }
      const seq = text.slice(i, i + length);
      out += isKept(seq) ? seq : escapeTerminalText(seq);
      i += length;
    }
    return out;
  };
  return {
    push(chunk) {
      const text = pending + chunk;
      pending = '';
      return run(text, false);
    },
    end() {
      const text = pending;
      pending = '';
      return run(text, true);
    },
  };
}

/** The length of the escape sequence starting at `i` (an ESC), or undefined when it is cut short. */
function sequenceLength(text: string, i: number): number | undefined {
  const kind = text[i + 1];
  if (kind === undefined) return undefined;
  if (kind === '[') {
    for (let j = i + 2; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) return j - i + 1;
      if (c < 0x20 || c > 0x3f) {
        if (c >= 0x20 && c <= 0x2f) continue; // intermediate bytes
        return j - i; // malformed: stops before the stray character
      }
    }
    return undefined;
  }
  if (kind === ']' || kind === 'P' || kind === '_' || kind === '^' || kind === 'X') {
    // A string sequence ends at ST (ESC \ or 0x9c), and an OSC also at BEL.
    for (let j = i + 2; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x9c || (kind === ']' && c === 0x07)) return j - i + 1;
      if (c === 0x1b) {
        if (j + 1 >= text.length) return undefined;
        return text[j + 1] === '\\' ? j - i + 2 : j - i;
      }
    }
    return undefined;
  }
  if (kind === '(' || kind === ')' || kind === '*' || kind === '+' || kind === '#' || kind === '%') {
    return i + 2 < text.length ? 3 : undefined;
  }
  return 2;
}

function isKept(seq: string): boolean {
  const kind = seq[1] ?? '';
  if (kind === '[') {
    const final = seq.at(-1) ?? '';
    const body = seq.slice(2, -1);
    if (final === 'h' || final === 'l') {
      if (body === '4') return true;
      return (
        body.startsWith('?') &&
        body
          .slice(1)
          .split(';')
          .every((m) => KEPT_PRIVATE_MODES.has(m))
      );
    }
    // Parameters only (digits, `;`, `:`): no private prefix, no intermediates.
    return KEPT_CSI_FINALS.has(final) && /^[0-9;:]*$/.test(body);
  }
  if (kind === '(' || kind === ')') return seq.length === 3 && /^[0-9A-Za-z]$/.test(seq[2] ?? '');
  return seq.length === 2 && KEPT_ESC.has(kind);
}
