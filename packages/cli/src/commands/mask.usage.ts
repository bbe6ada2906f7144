/**
 * The usage text of `portcullis mask` (`portcullis mask --help`, `portcullis help mask`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./mask.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis mask [--policy POLICY [--profile NAME]] [--idle-flush MS] [--hash-key-env NAME]
       portcullis mask --list-detectors [--json]

Copies standard input to standard output with secrets and PII masked, streaming as input
arrives. Default: every built-in detector, [REDACTED:<detector>] style. With --policy, the
policy's profile NAME (default: its masking.default, else every detector).

  --idle-flush MS      after MS ms without input, write out everything that can no longer be
                       part of a secret (default 200; 0 waits for more input or the end)
  --hash-key-env NAME  the environment variable holding the key for the hash style
                       (default PORTCULLIS_MASK_KEY), as hex or base64, at least 16 bytes
  --list-detectors     list the detectors: id, category, description`;
