/**
 * The usage text of `portcullis console` (`portcullis console --help`, `portcullis help console`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./console.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis console --policy POLICY --client-id ID [--store URL] [--schema NAME]
                          [--listen HOST:PORT] [--public-url URL] [--client-secret-env NAME]

Serves the approval console alone: approvers sign in with the policy's OpenID Connect issuer
(identity.issuer) and approve or deny what waits in the PostgreSQL approval store.

--policy F             the policy (its identity section verifies approvers' tokens)
--client-id ID         the console's client id at the issuer
--client-secret-env N  the environment variable holding the client secret (confidential clients)
--store URL            the approval store (default: PORTCULLIS_STORE_URL)
--schema NAME          the store's schema (default portcullis)
--listen HOST:PORT     where to listen (default 127.0.0.1:8080)
--public-url URL       the address people open, when a proxy sits in front (default
                       http://HOST:PORT/); its path is where the console is mounted

Runs until interrupted (SIGINT or SIGTERM).`;
