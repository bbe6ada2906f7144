/**
 * The usage text of `portcullis check` (`portcullis check --help`, `portcullis help check`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./check.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis check --policy POLICY --target TARGET
         (--sql SQL | --command CMD | --kube-method METHOD --kube-path PATH [--kube-header "Name: value"]…)
         (--principal JSON | --token JWT|@FILE|-) [--json]

Decides one request under the policy and explains it: the effect, each classified action with the
rules that decided it, the reasons, what approval a review needs, and the masking profile.
Exit 0 when the request is allowed, 1 when it is denied or needs review, 2 on usage errors.`;
