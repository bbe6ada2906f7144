// Grammar-directed generator of bash command lines for the shell oracle: quoting, heredocs, line
// continuations, control characters, comments, wrappers, substitutions, brace expansion and globs,
// combined the way bash's grammar allows (and a little beyond, to reach error recovery). Seeded
// and bounded: the same seed gives the same lines. Test support; not shipped.

/** A small seeded PRNG (mulberry32): deterministic across runs and platforms. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Programs the generated lines run; each has a stub in the sandbox. */
export const GENERATED_PROGRAMS = ['ls', 'rm', 'id', 'cat', 'whoami', 'touch', 'grep', 'uname', 'date', 'tr'];

class Gen {
  /** Tame lines keep to spellings the classifier resolves, so the oracle checks their actions. */
  tame = false;

  constructor(private readonly random: () => number) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  name(): string {
    return this.pick(GENERATED_PROGRAMS);
  }

  /** A program name spelled some way bash still reads as that program (or a glob that may). */
  commandName(): string {
    const n = this.name();
    switch (this.tame ? this.pick([0, 1, 2, 3, 6, 7, 9]) : this.int(14)) {
      case 0:
        return `'${n}'`;
      case 1:
        return `"${n.slice(0, 1)}"${n.slice(1)}`;
      case 2:
        return `\\${n}`;
      case 3:
        return `/usr/bin/${n}`;
      case 4:
        return `/bin/[${n.slice(0, 1)}]${n.slice(1)}`;
      case 5:
        return `/usr/bin/${n.slice(0, -1)}?`;
      case 6:
        return `${n.slice(0, 1)}\\\n${n.slice(1)}`;
      case 7:
        return `$'${Array.from(n, (c) => `\\x${c.charCodeAt(0).toString(16)}`).join('')}'`;
      case 8:
        return `/usr/bin/${n.slice(0, 1)}*`;
      default:
        return n;
    }
  }

  /** One argument word. */
  word(depth: number): string {
    const base = this.pick(['x', '-l', 'a b', '/tmp/f', '--', '-rf', 'A=1', '$HOME', 'y.txt', '#c', 'p#q']);
    switch (this.tame ? this.pick([0, 1, 4, 5, 6, 7, 8, 9, 10, 12, 14]) : this.int(22)) {
      case 0:
        return `'${base}'`;
      case 1:
        return `"${base}"`;
      case 2:
        return `$'${base}\\n${this.pick(['', this.name(), `; ${this.name()}`])}'`;
      case 3:
        return `a${this.pick(['\f', '\v', '\r', '\x01', '\x7f'])}b`;
      case 4:
        return `"x\n${this.name()} y"`;
      case 5:
        return depth > 0 ? `$(${this.simple(depth - 1)})` : base;
      case 6:
        return depth > 0 ? `\`${this.simple(depth - 1)}\`` : base;
      case 7:
        return depth > 0 ? `"$(${this.simple(depth - 1)})"` : base;
      case 8:
        return depth > 0 ? `<(${this.simple(depth - 1)})` : base;
      case 9:
        return `{a,b}${this.pick(['', 'c', '{1..3}'])}`;
      case 10:
        return `${base}\\\n${this.pick(['z', ' z', ''])}`;
      case 11:
        return `$'a\\0${this.pick(['b', ' ', `;${this.name()}`])}'`;
      case 12:
        return depth > 0 ? `\${u:-$(${this.simple(depth - 1)})}` : base;
      case 13:
        return `*${this.pick(['', '/', '.txt'])}`;
      default:
        return base.includes(' ') ? `'${base}'` : base;
    }
  }

  /** A simple command, maybe behind a wrapper, with redirections. */
  simple(depth: number): string {
    const parts: string[] = [];
    if (this.chance(0.1)) parts.push('X=1');
    if (this.chance(0.15)) {
      parts.push(
        this.pick([
          'sudo',
          'env A=1',
          'nice -n 5',
          'timeout 5',
          'command',
          'exec',
          'nohup',
          'time',
          'xargs',
          'builtin',
        ]),
      );
    }
    parts.push(this.commandName());
    const n = this.int(4);
    for (let i = 0; i < n; i++) parts.push(this.word(depth));
    if (this.chance(0.15))
      parts.push(this.pick(['> /tmp/o', '2>&1', '< /dev/null', '>> out.txt', '<<< "$(id)"']));
    if (this.chance(0.1)) parts.push(`# ${this.name()}`);
    const odd = this.tame ? [' \t', '\t', ' \\\n '] : [' \t', '\t', ' \\\n ', '\f', '\v'];
    return parts.join(this.chance(0.1) ? this.pick(odd) : ' ');
  }

  /** A here-document in one of its many spellings, with a body that may run commands. */
  heredoc(): string {
    const delimiter = this.pick(['EOF', "'EOF'", '"EOF"', '\\EOF', 'E\\\nOF', 'E"O"F', 'EO\\\nF']);
    const dash = this.chance(0.4);
    const bodyLine = (): string =>
      this.pick([
        `text ${this.name()}`,
        `$(${this.name()})`,
        `\`${this.name()}\``,
        `$\\\n(${this.name()})`,
        `\\$(${this.name()})`,
        `a \\\n$(${this.name()})`,
        `\t$(${this.name()})`,
        `"$(${this.name()})"`,
        `'$(${this.name()})'`,
        `\${x:-$(${this.name()})}`,
        `$((1 + $(${this.name()})))`,
      ]);
    const lines: string[] = [];
    for (let i = this.int(3) + 1; i > 0; i--) lines.push(bodyLine());
    // A line that ends the body for bash but perhaps not for another reader, then commands.
    if (this.chance(0.5)) {
      lines.push(this.pick(['\tEOF', 'E\\\nOF', 'EOF ', ' EOF', 'EOF\\', '\t\tEOF']));
      lines.push(this.simple(0));
    }
    const end = this.pick(['EOF', '\tEOF', 'EOF']);
    const after = this.chance(0.3) ? `\n${this.simple(0)}` : '';
    const op = dash ? '<<-' : '<<';
    const command = this.chance(0.2) ? 'bash' : this.name();
    return `${command} ${op}${delimiter}${this.chance(0.2) ? ` | ${this.name()}` : ''}\n${lines.join('\n')}\n${end}${after}`;
  }

  /** A command: simple, compound, or a heredoc. */
  command(depth: number): string {
    switch (this.int(12)) {
      case 0:
        return `(${this.list(depth - 1)})`;
      case 1:
        return `{ ${this.list(depth - 1)}; }`;
      case 2:
        return `if ${this.simple(0)}; then ${this.list(depth - 1)}; fi`;
      case 3:
        return this.chance(0.5)
          ? `for v in */ a b; do (${this.simple(0)}) done`
          : `for v in */ a b; do { ${this.simple(0)}; } done`;
      case 4:
        return `f() { ${this.simple(depth)}; }; f`;
      case 5:
        return this.heredoc();
      case 6:
        return `case x in x) ${this.simple(0)};; esac`;
      case 7:
        return `bash -c '${this.simple(0).replaceAll("'", '')}'`;
      default:
        return this.simple(depth);
    }
  }

  list(depth: number): string {
    if (depth <= 0) return this.simple(0);
    const n = this.int(3) + 1;
    const parts: string[] = [this.command(depth)];
    for (let i = 1; i < n; i++) {
      parts.push(this.pick([';', ' && ', ' || ', ' | ', ' & ', '\n', ' ;\\\n']));
      parts.push(this.command(depth));
    }
    return parts.join('');
  }
}

/** `count` generated lines for `seed`. */
export function generateLines(seed: number, count: number): string[] {
  const gen = new Gen(prng(seed));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    gen.tame = i % 2 === 1;
    out.push(gen.list(2));
  }
  return out;
}
