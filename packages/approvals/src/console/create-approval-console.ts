import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApprovalError,
  createMasker,
  PortcullisError,
  toNodeHandler,
  type ApprovalStore,
  type Masker,
  type Portcullis,
  type Principal,
} from '@portcullis/core';
import { describeApproval } from '../lib/describe-approval.js';
import { readLimited } from '../lib/read-limited.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { OidcClient, token, type ConsoleOidcOptions, type LoginAttempt } from './oidc-client.js';
import {
  continuePage,
  detailMain,
  listMain,
  messageMain,
  page,
  pendingList,
  signInMain,
  type Notice,
} from './render.js';

/** Options of {@link createApprovalConsole}. */
export interface ApprovalConsoleOptions {
  /**
   * The engine approvers act through: it resolves their tokens (the policy's `identity`
   * section) and applies the segregation rules when they vote. It must use `store`.
   */
  readonly portcullis: Portcullis;
  /** The approval store the hosts share (its change events refresh open pages at once). */
  readonly store: ApprovalStore;
  /** Sign-in with the policy's OpenID Connect issuer. */
  readonly oidc: ConsoleOidcOptions;
  /**
   * The console's public address, ending at its mount point (`https://ops.example.com/approvals/`).
   * It fixes the OIDC redirect URI (`<publicUrl>callback`), the cookie path, whether cookies are
   * `Secure` (https), and the origin state-changing requests must come from.
   */
  readonly publicUrl: string;
  /** Masks request text and comments on the page (default: every built-in detector). */
  readonly masker?: Masker;
  /** How long a sign-in lasts at most, in ms (default 8 h; never past the token's expiry). */
  readonly sessionTtlMs?: number;
  /** The clock (default `() => new Date()`). */
  readonly now?: () => Date;
  /** The HTTP client for the issuer (default the global `fetch`). */
  readonly fetch?: typeof fetch;
}

/** A mountable approval console (see {@link createApprovalConsole}). */
export interface ApprovalConsole {
  /** A fetch-style handler (Hono, Bun, Deno, undici servers): one `Request` in, one `Response` out. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** A Node `http` handler (`http.createServer(console.node)`, Express `app.use('/approvals', …)`). */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void;
  /** Ends live event streams and stops listening to the store. */
  close(): void;
}

interface Session {
  readonly principal: Principal;
  readonly csrf: string;
  readonly expiresAt: number;
}

const MAX_FORM = 16 * 1024;
const MAX_SESSIONS = 10_000;
/** Used sign-in attempts remembered (see usedLogins). */
const MAX_USED_LOGINS = 10_000;
const MAX_STREAMS = 200;
const LOGIN_TTL_MS = 10 * 60_000;

/**
 * The approval console: an HTTP handler the host mounts in its own server (or
 * `portcullis console` serves alone). Approvers sign in with the policy's OpenID Connect issuer
 * (authorization code + PKCE, state and nonce checked); the page lists pending requests — who
 * asked, through which agent, the target, the exact request masked, its classified actions, the
 * rule and reason, the time left — and takes an approve or deny with a comment. The same rules
 * as everywhere decide whether a vote counts: nobody approves their own request, nobody
 * approves through an agent, a person counts once; a refused vote says why on the page.
 *
 * Security: an HttpOnly, SameSite=Strict session cookie (Secure over https); a CSRF token and
 * an Origin check on every state change; a strict Content-Security-Policy (own origin only, no
 * inline code, no framing); nothing loaded from elsewhere. Sessions live in memory: a restarted
 * console signs everybody out.
 *
 * @example
 * ```ts
 * const approvals = createApprovalConsole({
 *   portcullis, store,
 *   oidc: { clientId: 'portcullis-console' },
 *   publicUrl: 'https://ops.example.com/approvals/',
 * });
 * http.createServer(approvals.node).listen(8080);
 * ```
 * @throws TypeError when `publicUrl` is not an http(s) URL or no issuer is known.
 */
export function createApprovalConsole(options: ApprovalConsoleOptions): ApprovalConsole {
  const publicUrl = new URL(options.publicUrl);
  if (publicUrl.protocol !== 'https:' && publicUrl.protocol !== 'http:')
    throw new TypeError('publicUrl must be an http: or https: URL');
  if (!publicUrl.pathname.endsWith('/')) publicUrl.pathname += '/';
  const base = publicUrl.pathname;
  const origin = publicUrl.origin;
  const secure = publicUrl.protocol === 'https:';
  const issuer = options.oidc.issuer ?? soleIssuer(options.portcullis.policy.identity?.issuer);
  if (issuer === undefined)
    throw new TypeError(
      'the console needs one OIDC issuer: set oidc.issuer (the policy’s identity section names none, or several)',
    );
  const oidc = new OidcClient(
    { ...options.oidc, issuer },
    new URL('callback', publicUrl).href,
    options.fetch ?? fetch,
  );
  const masker = options.masker ?? createMasker();
  const now = options.now ?? (() => new Date());
  const sessionTtl = options.sessionTtlMs ?? 8 * 3_600_000;
  const sessions = new Map<string, Session>(); // key: SHA-256 of the cookie value
  // Sign-in attempts live in their own browser's login cookie, sealed: a table of them here
  // could be filled by anyone (no sign-in is needed to start one), pushing out the attempts of
  // approvers in the middle of signing in.
  const attempts = attemptSeal();
  // The attempts already used (by SHA-256 of the cookie value): each is used once. Forgetting
  // the oldest of a full set is harmless: the issuer's code in it was spent with it.
  const usedLogins = new Set<string>();
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const cookie = {
    session: secure ? '__Secure-portcullis-session' : 'portcullis-session',
    login: secure ? '__Secure-portcullis-login' : 'portcullis-login',
  };
  const encoder = new TextEncoder();

  const unsubscribe = options.store.subscribe((change) => {
    const message = encoder.encode(`event: change\ndata: ${change.approval.id}\n\n`);
    for (const c of streams) {
      try {
        c.enqueue(message);
      } catch {
        streams.delete(c);
      }
    }
  });

  const sessionOf = (request: Request): Session | undefined => {
    const value = readCookie(request, cookie.session);
    if (value === undefined) return undefined;
    const key = digest(value);
    const s = sessions.get(key);
    if (s === undefined) return undefined;
    if (s.expiresAt <= now().getTime()) {
      sessions.delete(key);
      return undefined;
    }
    return s;
  };

  const html = (body: string, status = 200, extra: Record<string, string> = {}): Response =>
    new Response(body, {
      status,
      headers: { ...securityHeaders(), 'content-type': 'text/html; charset=utf-8', ...extra },
    });

  const signedOut = (message?: string, status = 200): Response =>
    html(page({ base, title: 'Sign in' }, signInMain(base, issuer, message)), status);

  const frame = (s: Session, title: string) => ({
    base,
    title,
    signedIn: { principal: s.principal, csrf: s.csrf },
  });

  const pendingViews = async () =>
    (await options.portcullis.approvals.list({ status: 'pending' })).map((a) => describeApproval(a, masker));

  const detail = async (s: Session, id: string, notice?: Notice, status = 200): Promise<Response> => {
    const approval = await options.portcullis.approvals.get(id);
    if (approval === undefined)
      return html(
        page(frame(s, 'Not found'), messageMain('Not found', `There is no approval request ${id}.`, base)),
        404,
      );
    const view = describeApproval(approval, masker);
    return html(page(frame(s, `Request ${id}`), detailMain(base, view, s.csrf, now(), notice)), status);
  };

  /** State changes must come from a page of this console, with this session's CSRF token. */
  const sameOriginPost = (request: Request, form: URLSearchParams, s: Session): boolean => {
    const from = request.headers.get('origin');
    if (from !== null && from !== origin) return false;
    const site = request.headers.get('sec-fetch-site');
    if (site !== null && site !== 'same-origin') return false;
    return equal(form.get('csrf') ?? '', s.csrf);
  };

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(base))
      return new Response('not found', { status: 404, headers: securityHeaders() });
    const route = url.pathname.slice(base.length);
    const method = request.method.toUpperCase();
    if (method === 'GET' && route === 'assets/console.css')
      return new Response(CONSOLE_CSS, {
        headers: { ...securityHeaders(), 'content-type': 'text/css; charset=utf-8' },
      });
    if (method === 'GET' && route === 'assets/console.js')
      return new Response(CONSOLE_JS, {
        headers: { ...securityHeaders(), 'content-type': 'text/javascript; charset=utf-8' },
      });
    if (method === 'GET' && route === 'login') return login();
    if (method === 'GET' && route === 'callback') return callback(request, url);

    const s = sessionOf(request);
    if (method === 'GET' && route === '') {
      if (s === undefined) return signedOut();
      return html(page(frame(s, 'Waiting for approval'), listMain(base, await pendingViews(), now())));
    }
    if (s === undefined) {
      if (method === 'GET' && route.startsWith('approvals/'))
        return new Response(null, { status: 303, headers: { ...securityHeaders(), location: base } });
      return signedOut('Your sign-in has ended; sign in again.', 401);
    }
    if (method === 'GET' && route === 'fragment/pending')
      return html(pendingList(base, await pendingViews(), now()));
    if (method === 'GET' && route === 'events') return events(s);
    if (method === 'POST' && route === 'logout') {
      const form = await readForm(request);
      if (form === undefined || !sameOriginPost(request, form, s)) return forbidden(s);
      const value = readCookie(request, cookie.session);
      if (value !== undefined) sessions.delete(digest(value));
      return new Response(null, {
        status: 303,
        headers: {
          ...securityHeaders(),
          location: base,
          'set-cookie': clearCookie(cookie.session, base, secure),
        },
      });
    }
    const match = /^approvals\/([^/]+)$/.exec(route);
    if (match !== null) {
      const id = decodeURIComponent(match[1] ?? '');
      if (method === 'GET') {
        const voted = url.searchParams.get('voted');
        const notice: Notice | undefined =
          voted === 'approve'
            ? { kind: 'ok', text: 'Your approval was recorded.' }
            : voted === 'deny'
              ? { kind: 'ok', text: 'Your denial was recorded.' }
              : undefined;
        return detail(s, id, notice);
      }
      if (method === 'POST') return vote(request, s, id);
    }
    return html(page(frame(s, 'Not found'), messageMain('Not found', 'There is no such page.', base)), 404);
  };

  const forbidden = (s: Session): Response =>
    html(
      page(
        frame(s, 'Refused'),
        messageMain(
          'Refused',
          'This form did not come from this console; reload the page and try again.',
          base,
        ),
      ),
      403,
    );

  const vote = async (request: Request, s: Session, id: string): Promise<Response> => {
    const form = await readForm(request);
    if (form === undefined || !sameOriginPost(request, form, s)) return forbidden(s);
    const verdict = form.get('verdict');
    if (verdict !== 'approve' && verdict !== 'deny')
      return detail(s, id, { kind: 'error', text: 'Choose approve or deny.' }, 400);
    const comment = (form.get('comment') ?? '').trim();
    if (comment.length > 1000)
      return detail(s, id, { kind: 'error', text: 'The comment is longer than 1000 characters.' }, 400);
    try {
      const approvals = options.portcullis.approvals;
      if (verdict === 'approve')
        await approvals.approve(id, s.principal, comment === '' ? undefined : comment);
      else await approvals.deny(id, s.principal, comment === '' ? undefined : comment);
    } catch (err) {
      if (err instanceof ApprovalError) {
        const status =
          err.code === 'ERR_APPROVAL_NOT_FOUND'
            ? 404
            : err.code === 'ERR_APPROVAL_STORE'
              ? 503
              : err.code === 'ERR_APPROVAL_FORBIDDEN'
                ? 403
                : 409;
        const text =
          err.code === 'ERR_APPROVAL_STORE'
            ? 'The approval store could not be reached; nothing was recorded. Try again.'
            : `Refused: ${err.message}`;
        return detail(s, id, { kind: 'error', text }, status);
      }
      if (err instanceof PortcullisError)
        return detail(s, id, { kind: 'error', text: `Refused: ${err.message}` }, 403);
      throw err;
    }
    return new Response(null, {
      status: 303,
      headers: {
        ...securityHeaders(),
        location: `${base}approvals/${encodeURIComponent(id)}?voted=${verdict}`,
      },
    });
  };

  const login = async (): Promise<Response> => {
    let begun: Awaited<ReturnType<OidcClient['begin']>>;
    try {
      begun = await oidc.begin(base, now().getTime());
    } catch (err) {
      return signedOut(`The sign-in service could not be reached: ${(err as Error).message}`, 502);
    }
    const id = attempts.seal(begun.attempt);
    return new Response(null, {
      status: 302,
      headers: {
        ...securityHeaders(),
        location: begun.url,
        // Lax: the issuer sends the browser back with a cross-site top-level GET.
        'set-cookie': setCookie(cookie.login, id, base, secure, 'Lax', LOGIN_TTL_MS / 1000),
      },
    });
  };

  const callback = async (request: Request, url: URL): Promise<Response> => {
    // (A sealed attempt: a few hundred characters.)
    const loginId = readCookie(request, cookie.login, 2048);
    const clear = clearCookie(cookie.login, base, secure);
    const fail = (text: string, status = 400): Response => {
      const r = signedOut(`Sign-in failed: ${text}`, status);
      r.headers.append('set-cookie', clear);
      return r;
    };
    if (loginId === undefined)
      return fail('this browser did not start a sign-in here (or it took over ten minutes).');
    const key = digest(loginId);
    const attempt = usedLogins.has(key) ? undefined : attempts.open(loginId);
    // single use, whatever happens next
    usedLogins.add(key);
    while (usedLogins.size > MAX_USED_LOGINS) usedLogins.delete(usedLogins.values().next().value as string);
    if (attempt === undefined || attempt.createdAt + LOGIN_TTL_MS <= now().getTime())
      return fail('the sign-in attempt has expired; sign in again.');
    const error = url.searchParams.get('error');
    if (error !== null) return fail(`the issuer answered ${error}.`);
    if (!equal(url.searchParams.get('state') ?? '', attempt.state))
      return fail('the state does not match this sign-in attempt.');
    const code = url.searchParams.get('code');
    if (code === null || code === '') return fail('the issuer sent no code.');
    let principal: Principal;
    try {
      const signed = await oidc.finish(code, attempt);
      principal = await options.portcullis.resolvePrincipal(signed.accessToken);
      if (signed.idClaims.sub !== principal.subject)
        return fail('the ID token and the access token name different people.');
    } catch (err) {
      return fail((err as Error).message);
    }
    sweep(sessions, (x) => x.expiresAt <= now().getTime(), MAX_SESSIONS);
    const value = token();
    const expiresAt = Math.min(
      now().getTime() + sessionTtl,
      principal.expiresAt === undefined ? Infinity : principal.expiresAt * 1000,
    );
    sessions.set(digest(value), { principal, csrf: token(), expiresAt });
    const headers = new Headers(securityHeaders());
    headers.set('content-type', 'text/html; charset=utf-8');
    headers.append('set-cookie', clear);
    headers.append(
      'set-cookie',
      setCookie(
        cookie.session,
        value,
        base,
        secure,
        'Strict',
        Math.max(1, Math.floor((expiresAt - now().getTime()) / 1000)),
      ),
    );
    return new Response(continuePage(attempt.returnTo), { status: 200, headers });
  };

  const events = (s: Session): Response => {
    if (streams.size >= MAX_STREAMS)
      return new Response('too many open event streams', { status: 503, headers: securityHeaders() });
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    let beat: ReturnType<typeof setInterval> | undefined;
    const end = (): void => {
      if (beat !== undefined) clearInterval(beat);
      if (self !== undefined) streams.delete(self);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        self = controller;
        streams.add(controller);
        controller.enqueue(encoder.encode(': connected\n\n'));
        beat = setInterval(() => {
          if (s.expiresAt <= now().getTime()) {
            end();
            controller.close();
            return;
          }
          try {
            controller.enqueue(encoder.encode(': keep-alive\n\n'));
          } catch {
            end();
          }
        }, 25_000);
        beat.unref();
      },
      cancel: end,
    });
    return new Response(body, {
      headers: {
        ...securityHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        'x-accel-buffering': 'no',
      },
    });
  };

  const fetchHandler = async (request: Request): Promise<Response> => {
    try {
      return await handle(request);
    } catch {
      // Nothing of the failure reaches the page: it may name the store's host or hold data.
      return new Response('the approval console failed; see the host’s logs', {
        status: 500,
        headers: securityHeaders(),
      });
    }
  };

  return Object.freeze({
    fetch: fetchHandler,
    node: toNodeHandler(fetchHandler, origin),
    close() {
      unsubscribe();
      for (const c of streams) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      streams.clear();
    },
  });
}

function soleIssuer(issuer: string | readonly string[] | undefined): string | undefined {
  if (typeof issuer === 'string') return issuer;
  return issuer?.length === 1 ? issuer[0] : undefined;
}

/**
 * Headers on every answer: nothing from elsewhere, no inline code, no framing, no caching.
 * `Referrer-Policy: same-origin`, not `no-referrer`: under `no-referrer` Chromium sends
 * `Origin: null` with form posts, which the origin check must refuse.
 */
function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function setCookie(
  name: string,
  value: string,
  path: string,
  secure: boolean,
  sameSite: 'Strict' | 'Lax',
  maxAge: number,
): string {
  return `${name}=${value}; Path=${path}; Max-Age=${String(maxAge)}; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
}

function clearCookie(name: string, path: string, secure: boolean): string {
  return `${name}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

function readCookie(request: Request, name: string, max = 128): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value.length <= max && /^[A-Za-z0-9_-]{16,}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return undefined;
  const bytes = await readLimited(request.body, MAX_FORM);
  return bytes === undefined ? undefined : new URLSearchParams(bytes.toString('utf8'));
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(digest(a));
  const y = Buffer.from(digest(b));
  return a.length > 0 && timingSafeEqual(x, y);
}

/**
 * Seals a sign-in attempt (its state, nonce and PKCE verifier) into a cookie value with
 * AES-256-GCM under a key made for this console (so a restart ends the attempts in progress,
 * as it ends sessions), and opens one: undefined for anything this console did not seal.
 */
function attemptSeal(): {
  readonly seal: (attempt: LoginAttempt) => string;
  readonly open: (value: string) => LoginAttempt | undefined;
} {
  const key = randomBytes(32);
  return {
    seal(attempt) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(JSON.stringify(attempt), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
    },
    open(value) {
      const bytes = Buffer.from(value, 'base64url');
      if (bytes.length < 29) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(12, 28));
        const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
        const a = JSON.parse(text) as Record<string, unknown>;
        const { state, nonce, verifier, createdAt, returnTo } = a;
        if (
          typeof state !== 'string' ||
          typeof nonce !== 'string' ||
          typeof verifier !== 'string' ||
          typeof createdAt !== 'number' ||
          typeof returnTo !== 'string'
        )
          return undefined;
        return { state, nonce, verifier, createdAt, returnTo };
      } catch {
        return undefined;
      }
    },
  };
}

/** Drops expired entries; past `max`, the oldest too, so no flood can grow the map without bound. */
function sweep<T>(map: Map<string, T>, expired: (value: T) => boolean, max: number): void {
  for (const [k, v] of map) if (expired(v)) map.delete(k);
  while (map.size >= max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
