// Loads tree-sitter and the bash grammar's WebAssembly once per process.
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

/** Loads the bash grammar once; later calls return the same promise. */
export function loadBashParser(): Promise<void> {
  loading ??= (async () => {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(wasm);
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
  })().catch((err: unknown) => {
    // Let a later call try again instead of caching the failure forever.
    loading = undefined;
    throw err;
  });
  return loading;
}

/** The loaded parser, or `undefined` before {@link loadBashParser} has finished. */
export function bashParser(): Parser | undefined {
  return parser;
}
