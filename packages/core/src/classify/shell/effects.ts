// What a command does besides being executed itself: the shared result type of the wrapper,
// interpreter and program tables (its own module so those tables need not import each other).
import type { ShellWord } from './words.js';

/** Something a command does besides being executed itself. */
export type WrapperEffect =
  /** Runs this argv as a command (`sudo rm x` runs `rm x`). */
  | { readonly kind: 'argv'; readonly words: readonly ShellWord[] }
  /** Runs this text as a shell command line (`sh -c 'rm x'`, `eval`, `watch`). */
  | { readonly kind: 'script'; readonly text: string }
  /** Starts a shell that reads its commands from standard input. */
  | { readonly kind: 'stdin' }
  /** Writes this file. */
  | { readonly kind: 'write'; readonly path: ShellWord }
  /**
   * Sets `NAME=value` (`env X=1 cmd`, `printf -v X`); a word that is not literal sets NAME to a
   * value that is not known.
   */
  | { readonly kind: 'assign'; readonly word: ShellWord }
  /**
   * Changes the working directory: the shell's (`cd`, `pushd`) or that of the command it runs
   * (`env -C`, `sudo -D`). `dir` is `undefined` where it cannot be known (`cd -`, `popd`).
   * Relative paths written anywhere in the request are then placed in each directory it may
   * be (shell.ts).
   */
  | { readonly kind: 'chdir'; readonly dir: ShellWord | undefined }
  /** Runs its command under another root directory (`chroot`): no written path is known. */
  | { readonly kind: 'chroot' }
  /** Does something that cannot be resolved statically. */
  | { readonly kind: 'unknown' };
