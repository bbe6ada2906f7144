/**
 * The usage text of `portcullis approvals` (`portcullis approvals --help`, `portcullis help approvals`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./approvals.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis approvals list [--status STATUS[,STATUS…]|all] [--subject S] [--target T] [--json]
       portcullis approvals show ID [--json]
       portcullis approvals approve ID --policy POLICY --token JWT|@FILE|- [--comment TEXT] [--json]
       portcullis approvals deny ID --policy POLICY --token JWT|@FILE|- [--comment TEXT] [--json]

Every form takes --store URL (a postgres:// URL; default: the PORTCULLIS_STORE_URL environment
variable) and --schema NAME (default portcullis), the approval store the hosts share.

list    approval requests, oldest first (default: --status pending)
show    one request in full: what would run, why it needs review, who may approve, the votes
approve / deny
        vote as the person the bearer token names, verified with the policy's identity section.
        Separation of duties holds here too: the requester, their agent, and anyone acting
        through an agent are refused.

Exit 0 on success, 1 when the vote is refused, the token is rejected, the id is unknown or the
store fails, 2 on usage errors.`;
