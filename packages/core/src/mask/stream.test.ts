import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from './catalog.js';
import { createMasker } from './create-masker.js';
import { exampleJwt } from './detectors/keys.js';
import { compileDetectors } from './lib/compile-detectors.js';
import { MaskEngine } from './lib/engine.js';
import { createExampleRng, githubStyleToken } from './lib/example-rng.js';
import { renderMasked } from './lib/render.js';

const masker = createMasker();
const set = compileDetectors(masker.detectors);
const render = (det: number, text: string): string =>
  renderMasked('redact', set.defs[det]?.id ?? '?', text, undefined);

// ---- documents: benign text, multibyte text, ANSI, keyword fragments and real secrets ----

interface Piece {
  readonly text: string;
  /** Secrets that must never appear in the output. */
  readonly secrets: readonly string[];
}

const benign = fc.constantFrom<Piece>(
  ...[
    'hello world',
    'héllo wörld',
    '日本語のテキスト',
    '😀🎉 emoji',
    'Ünïcødé ✓',
    '\n',
    '\r\n',
    ' ',
    '\t',
    '\x1b[32m',
    '\x1b[0m',
    '\x1b[1;31m',
    '\x1b[',
    'password',
    'Password: ',
    'ghp_',
    '-----BEGIN',
    'eyJ',
    '@',
    '://',
    '4111 1111',
    '=',
    ':',
    '"',
    'sk-',
    'AKIA',
    'user@host:~$ ',
    '2024-01-15T10:30:00Z',
    'a'.repeat(70),
  ].map((text) => ({ text, secrets: [] })),
);

const secret = fc
  .tuple(fc.nat(DETECTORS.length - 1), fc.nat(9), fc.nat(1_000_000))
  .map(([d, p, seed]): Piece => {
    const def = DETECTORS[d]!;
    const make = def.positives[p % def.positives.length]!;
    const { text, secret: s } = make(createExampleRng(seed));
    return { text: ` ${text}\n`, secrets: [s] };
  });

// Secrets that overlap other candidates: a token as a password value, in a URL, in a header.
const overlapping = fc.tuple(fc.nat(3), fc.nat(1_000_000)).map(([kind, seed]): Piece => {
  const rng = createExampleRng(seed);
  const gh = githubStyleToken(rng, 'ghp_');
  const jwt = exampleJwt(rng);
  switch (kind) {
    case 0:
      return { text: `GITHUB_PASSWORD=${gh}\n`, secrets: [gh] };
    case 1:
      return { text: `https://x-access-token:${gh}@github.com/o/r.git `, secrets: [gh] };
    case 2:
      return { text: `Authorization: Bearer ${jwt}\n`, secrets: [jwt] };
    default:
      return { text: `{"token": "${jwt}", "password": "${gh}"}\n`, secrets: [jwt, gh] };
  }
});

// A secret with an ANSI colour sequence inside it, as terminals and log viewers produce.
const ansiSplit = fc.tuple(fc.nat(1_000_000), fc.nat(35)).map(([seed, at]): Piece => {
  const token = githubStyleToken(createExampleRng(seed), 'ghp_');
  const cut = 4 + at;
  return { text: ` \x1b[32m${token.slice(0, cut)}\x1b[1m${token.slice(cut)}\x1b[0m `, secrets: [token] };
});

const documents = fc
  .array(fc.oneof({ arbitrary: benign, weight: 4 }, secret, overlapping, ansiSplit), {
    minLength: 1,
    maxLength: 14,
  })
  .map((pieces) => ({ text: pieces.map((p) => p.text).join(''), secrets: pieces.flatMap((p) => p.secrets) }));

/** Cut points: a list of chunk sizes, mostly small (down to one unit). */
const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 400 })), {
  minLength: 1,
  maxLength: 40,
});

function chunk<T extends string | Buffer>(input: T, lengths: readonly number[]): T[] {
  const out: T[] = [];
  let i = 0;
  let k = 0;
  while (i < input.length) {
    const n = lengths[k++ % lengths.length]!;
    out.push(input.slice(i, i + n) as T);
    i += n;
  }
  return out;
}

function streamEngine(chunks: readonly string[], idleAfter: ReadonlySet<number> = new Set()): string {
  const engine = new MaskEngine(set, render);
  let out = '';
  chunks.forEach((c, i) => {
    out += engine.write(c);
    if (idleAfter.has(i)) out += engine.idle();
  });
  return out + engine.end();
}

async function streamBytes(chunks: readonly Buffer[]): Promise<Buffer> {
  const stream = masker.createStream();
  const parts: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
    Readable.from(chunks, { objectMode: false }).pipe(stream);
  });
  return Buffer.concat(parts);
}

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, ''); // eslint-disable-line no-control-regex

describe('streaming invariant', () => {
  it('streamed output equals whole-text output for every chunking (strings)', () => {
    fc.assert(
      fc.property(documents, sizes, (doc, lengths) => {
        const whole = masker.maskText(doc.text).text;
        expect(streamEngine(chunk(doc.text, lengths))).toBe(whole);
      }),
      { numRuns: 400 },
    );
  });

  // Documents long enough for a pending hit to be decided early in a normal step (each time
  // the text after it doubles from 4 KB): a document, then filler of some length, repeated.
  it('streamed output equals whole-text output past the early decisions of long windows', () => {
    const filler = fc.constantFrom(' plain text\n', 'a'.repeat(50), '=-=-', 'eyJ', '\n\n', ' 1234 ');
    // a private key whose body runs past the first doublings (4 and 8 KB after its start)
    const dashes = '-'.repeat(5);
    const longKey = fc.tuple(fc.nat(1_000_000), fc.integer({ min: 60, max: 160 })).map(([seed, lines]) => {
      const rng = createExampleRng(seed);
      const body = Array.from({ length: lines }, () => rng.b64(64)).join('\n');
      return `${dashes}BEGIN RSA PRIVATE KEY${dashes}\n${body}\n${dashes}END RSA PRIVATE KEY${dashes}\n`;
    });
    const part = fc.tuple(documents, filler, fc.integer({ min: 100, max: 9000 }), fc.option(longKey));
    const long = fc
      .array(part, { minLength: 1, maxLength: 4 })
      .map((parts) =>
        parts
          .map(([doc, fill, n, key]) => doc.text + (key ?? '') + fill.repeat(Math.ceil(n / fill.length)))
          .join(''),
      );
    const bigSizes = fc.array(fc.integer({ min: 1, max: 6000 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(long, bigSizes, (text, lengths) => {
        expect(streamEngine(chunk(text, lengths))).toBe(masker.maskText(text).text);
      }),
      { numRuns: 60 },
    );
  });

  it('no planted secret is ever emitted, even split by ANSI sequences', () => {
    fc.assert(
      fc.property(documents, sizes, (doc, lengths) => {
        const out = stripAnsi(streamEngine(chunk(doc.text, lengths)));
        for (const s of doc.secrets) expect(out).not.toContain(s);
      }),
      { numRuns: 300 },
    );
  });

  it('idle flushes at any point only emit a prefix of the whole-text output', () => {
    fc.assert(
      fc.property(documents, sizes, fc.array(fc.nat(60), { maxLength: 20 }), (doc, lengths, idles) => {
        const whole = masker.maskText(doc.text).text;
        const chunks = chunk(doc.text, lengths);
        const engine = new MaskEngine(set, render);
        let out = '';
        const idleAfter = new Set(idles);
        chunks.forEach((c, i) => {
          out += engine.write(c);
          if (idleAfter.has(i)) {
            out += engine.idle();
            expect(whole.startsWith(out)).toBe(true);
            for (const s of doc.secrets) expect(stripAnsi(out)).not.toContain(s);
          }
        });
        expect(out + engine.end()).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('byte streams split anywhere (inside UTF-8 characters too) give the whole-buffer bytes', async () => {
    await fc.assert(
      fc.asyncProperty(documents, sizes, async (doc, lengths) => {
        const bytes = Buffer.from(doc.text, 'utf8');
        const expected = Buffer.from(masker.maskText(doc.text).text, 'utf8');
        const got = await streamBytes(chunk(bytes, lengths));
        expect(got.equals(expected)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('one byte at a time through a PEM block spanning many chunks', async () => {
    const rng = createExampleRng(5);
    const pem =
      '-'.repeat(5) +
      'BEGIN OPENSSH PRIVATE KEY' +
      '-'.repeat(5) +
      '\n' +
      rng.b64(300) +
      '\n' +
      '-'.repeat(5) +
      'END OPENSSH PRIVATE KEY' +
      '-'.repeat(5);
    const text = `key:\n${pem}\nafter ✓\n`;
    const got = await streamBytes(chunk(Buffer.from(text), [1]));
    expect(got.toString('utf8')).toBe('key:\n[REDACTED:private-key]\nafter ✓\n');
  });

  it('catches a coloured token and keeps the colour codes', () => {
    const token = githubStyleToken(createExampleRng(9), 'ghp_');
    const text = `\x1b[32m${token}\x1b[0m done`;
    expect(masker.maskText(text).text).toBe('\x1b[32m[REDACTED:github-token]\x1b[0m done');
    const split = `\x1b[32m${token.slice(0, 10)}\x1b[1m${token.slice(10)}\x1b[0m done`;
    expect(masker.maskText(split).text).toBe('\x1b[32m[REDACTED:github-token]\x1b[1m\x1b[0m done');
    expect(streamEngine(chunk(split, [1]))).toBe('\x1b[32m[REDACTED:github-token]\x1b[1m\x1b[0m done');
  });

  it('reports findings in input offsets, counting ANSI sequences', () => {
    const token = githubStyleToken(createExampleRng(9), 'ghp_');
    const text = `ab \x1b[32m${token.slice(0, 10)}\x1b[1m${token.slice(10)}\x1b[0m`;
    expect(masker.maskText(text).findings).toEqual([
      { detector: 'github-token', category: 'secret', start: 8, end: 8 + token.length + 4 },
    ]);
  });
});

describe('idle flush', () => {
  const idle = (text: string): { emitted: string; held: number } => {
    const engine = new MaskEngine(set, render);
    const emitted = engine.write(text) + engine.idle();
    return { emitted, held: engine.pending };
  };

  it.each([
    ['alice@host:~$ ', 'alice@host:~$ '],
    ['[sudo] password for alice: ', '[sudo] password for alice: '],
    ['Password: ', 'Password: '],
    ['Listening on http://localhost:3000\n', 'Listening on http://localhost:3000\n'],
    ['\x1b[32mok\x1b[0m\n', '\x1b[32mok\x1b[0m\n'],
    ['token: ghp_abc', 'token: '],
    ['Card: 4111 1111 ', 'Card: '],
    ['-'.repeat(5) + 'BEGIN RSA PRIVATE KEY' + '-'.repeat(5) + '\nMIIE', ''],
    ['echo hello', 'echo '],
  ])('on %j emits %j and holds the rest', (text, emitted) => {
    const r = idle(text);
    expect(r.emitted).toBe(emitted);
    expect(r.held).toBe(text.length - emitted.length);
  });

  it('flushes a Transform after idleFlushMs without waiting for the end', async () => {
    const stream = masker.createStream({ idleFlushMs: 5, encoding: 'utf8' });
    const seen: string[] = [];
    stream.on('data', (c: string) => seen.push(c));
    stream.write('alice@host:~$ ');
    await new Promise((r) => setTimeout(r, 60));
    expect(seen.join('')).toBe('alice@host:~$ ');
    stream.end('ls\n');
    await new Promise((r) => stream.on('end', r));
    expect(seen.join('')).toBe('alice@host:~$ ls\n');
  });

  // Node fires a timer set past 2^31 - 1 ms after 1 ms: such an idleFlushMs must not flush at once.
  it('does not flush at once under an idleFlushMs past the longest timer', async () => {
    const stream = masker.createStream({ idleFlushMs: 2 ** 31 + 1000, encoding: 'utf8' });
    const seen: string[] = [];
    stream.on('data', (c: string) => seen.push(c));
    stream.write('alice@host:~$ ');
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.join('')).toBe('');
    stream.end('ls\n');
    await new Promise((r) => stream.on('end', r));
    expect(seen.join('')).toBe('alice@host:~$ ls\n');
  });
});

describe('holding back', () => {
  // A keyword whose window is long (a JWT's runs to 18,008 characters, an assignment's to
  // 6,297) must not hold output back for its whole window once what follows can no longer be
  // part of a match.
  it.each([
    ['a JWT keyword', 'auth eyJhbGciOiJIUzI1NiJ9 done. '],
    ['an assignment', 'db_password = "hunter2" # rotate\n'],
  ])('after %s, a stream holds back at most a chunk, and its output is unchanged', (_, start) => {
    const text = start + 'plain log words; nothing to see here.\n'.repeat(1200);
    const engine = new MaskEngine(set, render);
    let out = '';
    let held = 0;
    for (let i = 0; i < text.length; i += 4096) {
      out += engine.write(text.slice(i, i + 4096));
      held = Math.max(held, engine.pending);
    }
    out += engine.end();
    expect(out).toBe(new MaskEngine(set, render).whole(text));
    expect(held).toBeLessThanOrEqual(4096);
  });
});

describe('mask stream', () => {
  it('accepts strings and Uint8Arrays and emits Buffers by default', async () => {
    const stream = masker.createStream();
    const parts: unknown[] = [];
    stream.on('data', (c: unknown) => parts.push(c));
    stream.write('mail ');
    stream.write(new Uint8Array(Buffer.from('bob@example.org')));
    stream.end(' done');
    await new Promise((r) => stream.on('end', r));
    expect(parts.every((p) => Buffer.isBuffer(p))).toBe(true);
    expect(Buffer.concat(parts as Buffer[]).toString()).toBe('mail [REDACTED:email] done');
  });

  // Output chunks share slabs (as Node's pooled Buffers do): the memory around a chunk holds
  // only this stream's earlier masked output and zeros, never uninitialised memory.
  it('cuts its chunks from zero-filled memory that holds only its own output', async () => {
    const token = githubStyleToken(createExampleRng(7), 'ghp_');
    const stream = masker.createStream();
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    for (let i = 0; i < 40; i++) stream.write(`line ${i} token=${token} ok ${'é'.repeat(i)}\n`);
    stream.end();
    await new Promise((r) => stream.on('end', r));
    const output = Buffer.concat(parts);
    expect(output.includes(token)).toBe(false);
    for (const memory of new Set(parts.map((p) => p.buffer))) {
      const bytes = new Uint8Array(memory);
      const mine = new Uint8Array(bytes.length);
      for (const p of parts) if (p.buffer === memory) mine.fill(1, p.byteOffset, p.byteOffset + p.length);
      // every byte is in some chunk of this stream, or zero
      expect(bytes.every((b, i) => mine[i] === 1 || b === 0)).toBe(true);
    }
  });

  it('keeps a multibyte character split across writes intact', async () => {
    const bytes = Buffer.from('héllo 日本 😀');
    const got = await streamBytes(chunk(bytes, [1, 2, 1, 3]));
    expect(got.toString('utf8')).toBe('héllo 日本 😀');
  });

  it('rejects bad options', () => {
    expect(() => masker.createStream({ idleFlushMs: 0 })).toThrow(TypeError);
    expect(() => masker.createStream({ idleFlushMs: Number.NaN })).toThrow(TypeError);
    expect(() => masker.createStream({ encoding: 'nope' as BufferEncoding })).toThrow(TypeError);
  });
});
