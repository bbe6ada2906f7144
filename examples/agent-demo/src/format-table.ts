/** One line of the demo's report. */
export interface DemoStep {
  readonly who: string;
  readonly did: string;
  readonly expected: string;
  readonly outcome: string;
  readonly ok: boolean;
}

const WIDTHS = [2, 7, 46, 56, 6] as const;

/**
 * The steps as a plain-text table that fits about 125 columns: who did what, what happened,
 * and whether that is what should happen (long cells wrap). Steps that misbehaved are listed
 * after the table with what was expected.
 *
 * @example
 * ```ts
 * console.log(formatTable([{ who: 'bob', did: 'approves', expected: 'approved', outcome: 'approved', ok: true }]));
 * ```
 */
export function formatTable(steps: readonly DemoStep[]): string {
  const lines = [row(['#', 'WHO', 'DOES', 'WHAT HAPPENED', '']), WIDTHS.map((w) => '-'.repeat(w)).join('  ')];
  steps.forEach((s, i) => {
    lines.push(...row([String(i + 1), s.who, s.did, s.outcome, s.ok ? 'ok' : 'FAILED']).split('\n'));
  });
  const failed = steps.flatMap((s, i) =>
    s.ok ? [] : [`  step ${i + 1}: expected ${s.expected}; got ${s.outcome}`],
  );
  if (failed.length > 0) lines.push('', 'Not as described:', ...failed);
  return lines.join('\n');
}

function row(cells: readonly string[]): string {
  const wrapped = cells.map((c, i) => wrap(c, WIDTHS[i] ?? 10));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let line = 0; line < height; line++) {
    out.push(
      wrapped
        .map((w, i) => pad(w[line] ?? '', WIDTHS[i] ?? 10))
        .join('  ')
        .trimEnd(),
    );
  }
  return out.join('\n');
}

/** Breaks text into lines of at most `width` characters, at spaces where it can. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = Array.from(text);
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : width;
    lines.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
    while (rest[0] === ' ') rest = rest.slice(1);
  }
  lines.push(rest.join(''));
  return lines;
}

function pad(text: string, to: number): string {
  return text + ' '.repeat(Math.max(0, to - Array.from(text).length));
}
