// Every TypeScript sample in README.md, docs/ and the package READMEs is extracted and
// type-checked against the packages' sources, so a sample that no longer matches the API
// (a renamed option, a string where bytes are wanted) fails here. Samples are fragments: names
// they use without declaring (`principal`, `decision`, `pool`) are allowed; everything else the
// compiler says is an error. A sample may opt out with `<!-- sample: skip -->` on the line before
// its fence (say why beside it).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Diagnostics that only say a fragment uses a name it did not declare. */
const FRAGMENT_CODES = new Set([
  2304, // Cannot find name 'x'.
  2552, // Cannot find name 'x'. Did you mean 'y'?
  18004, // No value exists in scope for the shorthand property 'x'.
  2451, // Cannot redeclare block-scoped variable (two samples of one page reuse a name) — files are modules, kept for safety
  7005, // Variable implicitly has an 'any' type.
  7034, // Variable implicitly has type 'any' in some locations.
  7006, // Parameter implicitly has an 'any' type (its context is an undeclared name).
]);

interface Sample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The markdown files whose samples are checked. */
export async function sampleFiles(): Promise<string[]> {
  const files = [path.join(root, 'README.md')];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.md')) files.push(full);
    }
  };
  await walk(path.join(root, 'docs'));
  for (const pkg of await readdir(path.join(root, 'packages'))) {
    const readme = path.join(root, 'packages', pkg, 'README.md');
    if (
      await readFile(readme, 'utf8').then(
        () => true,
        () => false,
      )
    )
      files.push(readme);
  }
  return files;
}

/** The ```ts / ```typescript blocks of a markdown text. */
export function extractSamples(text: string, file: string): Sample[] {
  const lines = text.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const indent = open[1] ?? '';
    const skip = (lines[i - 1] ?? '').includes('<!-- sample: skip');
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++;
    if (!skip) {
      const code = lines
        .slice(start, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      samples.push({ file: path.relative(root, file), line: start + 1, code });
    }
    i = end;
  }
  return samples;
}

/** Type-checks samples; returns one message per error that is not a fragment's undeclared name. */
export async function checkSamples(samples: readonly Sample[], dir: string): Promise<string[]> {
  const names = new Map<string, Sample>();
  for (const [i, sample] of samples.entries()) {
    const name = path.join(dir, `sample-${i}.mts`);
    names.set(name, sample);
    await writeFile(name, `${sample.code}\nexport {};\n`);
  }
  const src = (pkg: string): string[] => [path.join(root, 'packages', pkg, 'src/index.ts')];
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules/@types')],
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    paths: {
      '@portcullis/core': src('core'),
      '@portcullis/core/vitest': [path.join(root, 'packages/core/src/vitest.ts')],
      '@portcullis/pg': src('adapters-pg'),
      '@portcullis/ssh': src('adapters-ssh'),
      '@portcullis/k8s': src('adapters-k8s'),
      '@portcullis/cli': src('cli'),
      '@portcullis/approvals': src('approvals'),
      '@portcullis/mcp': src('mcp'),
      '@portcullis/testing': src('testing'),
    },
  };
  const host = ts.createCompilerHost(options);
  // Driver packages (pg, ssh2, …) resolve from the adapters that depend on them.
  const resolveFrom = [
    root,
    path.join(root, 'packages/adapters-pg'),
    path.join(root, 'packages/adapters-ssh'),
    path.join(root, 'packages/adapters-k8s'),
    path.join(root, 'packages/mcp'),
    path.join(root, 'packages/core'),
  ];
  host.resolveModuleNameLiterals = (literals, containingFile, _redirect, opts) =>
    literals.map((literal) => {
      for (const from of [containingFile, ...resolveFrom.map((d) => path.join(d, 'index.ts'))]) {
        const found = ts.resolveModuleName(literal.text, from, opts, host).resolvedModule;
        if (found !== undefined) return { resolvedModule: found };
      }
      return { resolvedModule: undefined };
    });
  const program = ts.createProgram([...names.keys()], options, host);
  const messages: string[] = [];
  for (const [name, sample] of names) {
    const sourceFile = program.getSourceFile(name);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    for (const d of diagnostics) {
      if (FRAGMENT_CODES.has(d.code)) continue;
      const at =
        d.file !== undefined && d.start !== undefined
          ? d.file.getLineAndCharacterOfPosition(d.start).line
          : 0;
      messages.push(
        `${sample.file}:${sample.line + at}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    }
  }
  return messages;
}

let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('code samples in the docs', () => {
  it('every TypeScript sample type-checks against the sources', async () => {
    const samples: Sample[] = [];
    for (const file of await sampleFiles())
      samples.push(...extractSamples(await readFile(file, 'utf8'), file));
    expect(samples.length).toBeGreaterThan(10);
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-samples-'));
    expect(await checkSamples(samples, dir)).toEqual([]);
  }, 180_000);
});
