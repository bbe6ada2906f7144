// Splitting a psql script (PostgreSQL's regression files, our own corpus) into the statements psql
// would send, the way psql reads it: `;` ends a statement outside quotes, comments and parentheses;
// `\set`/`\getenv` define variables that `:name`, `:'name'` and `:"name"` interpolate; other
// backslash commands are dropped (`\g`, `\gset`, … still send the statement before them);
// `COPY … FROM stdin` and `\copy … from stdin` take the lines up to `\.` as their data, and
// `\copy … from 'file'` becomes a server-side COPY. Enough psql for a replay, not all of it.

/** One statement psql would send, with the data of a `COPY … FROM stdin`. */
export interface ScriptStatement {
  readonly sql: string;
  readonly copyData?: string;
}

const SENDING_META = new Set(['g', 'gx', 'gset', 'gexec', 'gdesc', 'crosstabview', 'watch']);

/** Splits `text`; `env` serves `\getenv`, `vars` holds and receives psql variables. */
export function splitPsqlScript(
  text: string,
  env: Readonly<Record<string, string>>,
  vars: Map<string, string> = new Map(),
): ScriptStatement[] {
  const out: ScriptStatement[] = [];
  let buf = '';
  let i = 0;
  let parens = 0;
  const n = text.length;

  const emit = (): void => {
    const sql = buf.trim();
    buf = '';
    parens = 0;
    if (sql === '' || isOnlyComments(sql)) return;
    if (/^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(stripComments(sql))) {
      const data = readCopyData();
      out.push({ sql, copyData: data });
    } else {
      out.push({ sql });
    }
  };

  /** The lines after the current one, up to a line `\.`. */
  const readCopyData = (): string => {
    const eol = text.indexOf('\n', i);
    i = eol === -1 ? n : eol + 1;
    const lines: string[] = [];
    while (i < n) {
      const end = text.indexOf('\n', i);
      const line = text.slice(i, end === -1 ? n : end);
      i = end === -1 ? n : end + 1;
      if (line === '\\.') break;
      lines.push(line);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  };

  while (i < n) {
    const c = text.charAt(i);
    const next = text.charAt(i + 1);
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      buf += text.slice(i, end === -1 ? n : end);
      i = end === -1 ? n : end;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (text.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (text.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      buf += text.slice(i, j);
      i = j;
      continue;
    }
    if (c === "'") {
      const escapes = /[eE]$/.test(buf) && !/[A-Za-z0-9_$][eE]$/.test(buf);
      let j = i + 1;
      while (j < n) {
        const d = text.charAt(j);
        if (escapes && d === '\\') j += 2;
        else if (d === "'" && text.charAt(j + 1) === "'") j += 2;
        else if (d === "'") break;
        else j++;
      }
      buf += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      buf += text.slice(i, end === -1 ? n : end + 1);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === '$' && !/[A-Za-z0-9_]$/.test(buf)) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64))?.[0];
      if (tag !== undefined) {
        const end = text.indexOf(tag, i + tag.length);
        const stop = end === -1 ? n : end + tag.length;
        buf += text.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (c === ':' && next === ':') {
      buf += '::';
      i += 2;
      continue;
    }
    if (c === ':') {
      const m = /^:(?:'([A-Za-z0-9_]+)'|"([A-Za-z0-9_]+)"|([A-Za-z0-9_]+))/.exec(text.slice(i, i + 128));
      const name = m?.[1] ?? m?.[2] ?? m?.[3];
      const value = name === undefined ? undefined : vars.get(name);
      if (m !== null && value !== undefined) {
        buf +=
          m[1] !== undefined
            ? quoteLiteral(value)
            : m[2] !== undefined
              ? `"${value.replaceAll('"', '""')}"`
              : value;
        i += m[0].length;
        continue;
      }
    }
    if (c === '(') parens++;
    if (c === ')') parens = Math.max(0, parens - 1);
    if (c === ';' && parens === 0) {
      buf += ';';
      i++;
      emit();
      continue;
    }
    if (c === '\\') {
      const end = text.indexOf('\n', i);
      const line = text.slice(i + 1, end === -1 ? n : end);
      const name = /^[A-Za-z.!?;]*/.exec(line)?.[0] ?? '';
      const args = line.slice(name.length).trim();
      i = end === -1 ? n : end;
      if (SENDING_META.has(name)) {
        emit();
      } else if (name === 'set') {
        const [varName, ...values] = tokens(args, vars);
        if (varName !== undefined) vars.set(varName, values.join(''));
      } else if (name === 'getenv') {
        const [varName, envName] = tokens(args, vars);
        if (varName !== undefined && envName !== undefined && env[envName] !== undefined)
          vars.set(varName, env[envName]);
      } else if (name === 'copy') {
        copyMeta(args);
      }
      continue;
    }
    buf += c;
    i++;
  }
  emit();
  return out;

  function copyMeta(args: string): void {
    const pending = buf;
    buf = '';
    const body = interpolate(args, vars);
    const from = /^([\s\S]*?)\bfrom\s+(stdin|pstdin)\b([\s\S]*)$/i.exec(body);
    if (from !== null) {
      const data = readCopyData();
      i = Math.max(0, i - 1); // readCopyData consumed through the newline the loop expects
      out.push({ sql: `COPY ${from[1] ?? ''}FROM STDIN${from[3] ?? ''}`, copyData: data });
    } else if (/\bfrom\s+'/i.test(body)) {
      out.push({ sql: `COPY ${body}` });
    }
    buf = pending;
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `\set` arguments: whitespace-separated, each `'quoted'`, `:var`, `:'var'` or bare, parts concatenated. */
function tokens(args: string, vars: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\]|''|\\.)*)'|:'([A-Za-z0-9_]+)'|:([A-Za-z0-9_]+)|(\S+?)(?=\s|'|:|$)|(\s+)/g;
  let current: string | undefined;
  for (const m of args.matchAll(re)) {
    if (m[5] !== undefined) {
      if (current !== undefined) out.push(current);
      current = undefined;
      continue;
    }
    let part = '';
    if (m[1] !== undefined) part = m[1].replaceAll("''", "'").replace(/\\(.)/g, '$1');
    else if (m[2] !== undefined) part = quoteLiteral(vars.get(m[2]) ?? '');
    else if (m[3] !== undefined) part = vars.get(m[3]) ?? `:${m[3]}`;
    else if (m[4] !== undefined) part = m[4];
    current = (current ?? '') + part;
  }
  if (current !== undefined) out.push(current);
  return out;
}

function interpolate(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/:'([A-Za-z0-9_]+)'|:([A-Za-z0-9_]+)/g, (whole, quoted?: string, bare?: string) => {
    const value = vars.get(quoted ?? bare ?? '');
    if (value === undefined) return whole;
    return quoted !== undefined ? quoteLiteral(value) : value;
  });
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

function isOnlyComments(sql: string): boolean {
  return stripComments(sql).trim() === '' || stripComments(sql).trim() === ';';
}
