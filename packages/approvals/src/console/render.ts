import type { Principal } from '@portcullis/core';
import type { ApprovalView } from '../lib/describe-approval.js';
import { escapeHtml, visibleText } from '../lib/visible-text.js';

/** Text from a request or a token, escaped for HTML and with hidden characters made visible. */
function t(text: string): string {
  return escapeHtml(visibleText(text));
}

/** What every page shares. */
export interface PageFrame {
  readonly base: string;
  readonly title: string;
  readonly signedIn?: { readonly principal: Principal; readonly csrf: string };
}

/** A whole page around `main`. */
export function page(frame: PageFrame, main: string): string {
  const who = frame.signedIn;
  const account =
    who === undefined
      ? ''
      : `<div class="account"><span>Signed in as <strong>${t(who.principal.subject)}</strong></span>
<form method="post" action="${frame.base}logout"><input type="hidden" name="csrf" value="${escapeHtml(who.csrf)}"><button type="submit">Sign out</button></form></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(frame.title)} · Portcullis approvals</title>
<link rel="stylesheet" href="${frame.base}assets/console.css">
<script src="${frame.base}assets/console.js" defer></script>
</head>
<body>
<header><a class="brand" href="${frame.base}">Portcullis approvals</a>${account}</header>
<main id="main">
${main}
</main>
</body>
</html>
`;
}

/** The signed-out page. */
export function signInMain(base: string, issuer: string, message?: string): string {
  const error = message === undefined ? '' : `<p class="error" role="alert">${t(message)}</p>`;
  return `<h1>Sign in to review requests</h1>
${error}<p>Requests from people and their agents that need another person's approval are listed here once you sign in.</p>
<p><a class="button" href="${base}login">Sign in with ${t(issuer)}</a></p>`;
}

/** The pending list (also served alone as the fragment the page refreshes on each change). */
export function pendingList(base: string, views: readonly ApprovalView[], now: Date): string {
  if (views.length === 0) return '<p class="empty">No requests are waiting for approval.</p>';
  const rows = views.map(
    (v) => `<tr>
<td>${requester(v)}</td>
<td>${t(v.target)}</td>
<td><code class="request">${t(clip(v.request, 240))}</code></td>
<td>${v.rules.map((r) => t(r.ruleId)).join('<br>')}</td>
<td>${timeLeft(v.until, now)}</td>
<td><a href="${base}approvals/${encodeURIComponent(v.id)}" aria-label="Review request ${escapeHtml(v.id)}">Review</a></td>
</tr>`,
  );
  return `<table>
<caption>${String(views.length)} request${views.length === 1 ? '' : 's'} waiting</caption>
<thead><tr><th scope="col">Requester</th><th scope="col">Target</th><th scope="col">Request</th><th scope="col">Rule</th><th scope="col">Time left</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** The list page. */
export function listMain(base: string, views: readonly ApprovalView[], now: Date): string {
  return `<h1>Waiting for approval</h1>
<section id="pending" aria-live="polite" data-events="${base}events" data-fragment="${base}fragment/pending">
${pendingList(base, views, now)}
</section>`;
}

/** What happened to the approver's last action on the detail page. */
export type Notice = { readonly kind: 'ok' | 'error'; readonly text: string };

/** One request in full, with the approve / deny form while it is pending. */
export function detailMain(base: string, v: ApprovalView, csrf: string, now: Date, notice?: Notice): string {
  const note =
    notice === undefined
      ? ''
      : notice.kind === 'error'
        ? `<p class="error" role="alert">${t(notice.text)}</p>`
        : `<p class="ok" role="status">${t(notice.text)}</p>`;
  const votes =
    v.votes.length === 0
      ? '<p>No votes yet.</p>'
      : `<ul>${v.votes
          .map(
            (x) =>
              `<li><strong>${t(x.subject)}</strong> ${x.verdict === 'approve' ? 'approved' : 'denied'} at <time datetime="${escapeHtml(x.at)}">${t(x.at)}</time>${x.comment === undefined ? '' : `: ${t(x.comment)}`}</li>`,
          )
          .join('')}</ul>`;
  const form =
    v.status !== 'pending'
      ? ''
      : `<form method="post" action="${base}approvals/${encodeURIComponent(v.id)}" class="vote">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" maxlength="1000" rows="3"></textarea>
<div class="buttons"><button type="submit" name="verdict" value="approve" class="approve">Approve</button>
<button type="submit" name="verdict" value="deny" class="deny">Deny</button></div>
</form>`;
  return `<p><a href="${base}">← All waiting requests</a></p>
<h1>Request ${escapeHtml(v.id)}</h1>
${note}<dl class="facts">
<dt>Status</dt><dd id="status">${t(v.status)}</dd>
<dt>Requester</dt><dd>${requester(v)} (${t(v.kind)})</dd>
<dt>Target</dt><dd>${t(v.target)}</dd>
<dt>Grant</dt><dd>${v.grant === 'once' ? 'once: this exact request, one time' : 'window: matching requests until it expires'}</dd>
<dt>Created</dt><dd><time datetime="${escapeHtml(v.createdAt)}">${t(v.createdAt)}</time></dd>
<dt>${v.status === 'approved' ? 'Usable for' : 'Time left'}</dt><dd>${timeLeft(v.until, now)}</dd>
</dl>
<h2>What would run</h2>
<pre class="request"><code>${t(v.request)}</code></pre>
<h2>What it does</h2>
<ul class="actions">${v.actions.map((a) => `<li><code>${t(a)}</code></li>`).join('')}</ul>
<h2>Why it needs approval</h2>
<ul>${v.reasons.map((r) => `<li>${t(r)}</li>`).join('')}</ul>
<ul>${v.rules.map((r) => `<li>Rule <code>${t(r.ruleId)}</code>: ${String(r.needed)} approval${r.needed === 1 ? '' : 's'} by ${t(r.approvers === '' ? 'anyone eligible' : r.approvers)}</li>`).join('')}</ul>
<h2>Votes</h2>
${votes}
${form}`;
}

/** A page for errors outside a request's page (sign-in failures, unknown ids). */
export function messageMain(heading: string, text: string, base: string): string {
  return `<h1>${t(heading)}</h1>
<p class="error" role="alert">${t(text)}</p>
<p><a href="${base}">Back to the console</a></p>`;
}

/** The page the callback answers with: it moves on by itself, so the Strict cookie is sent. */
export function continuePage(to: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeHtml(to)}"><title>Signed in</title></head><body><p><a href="${escapeHtml(to)}">Continue</a></p></body></html>`;
}

function requester(v: ApprovalView): string {
  return v.actors.length === 0
    ? t(v.subject)
    : `${t(v.subject)} <span class="via">via ${v.actors.map(t).join(' → ')}</span>`;
}

function timeLeft(until: string | undefined, now: Date): string {
  if (until === undefined) return '–';
  const ms = Date.parse(until) - now.getTime();
  const text =
    ms <= 0
      ? 'expired'
      : ms < 60_000
        ? 'under a minute'
        : ms < 3_600_000
          ? `${String(Math.floor(ms / 60_000))} min`
          : `${String(Math.floor(ms / 3_600_000))} h ${String(Math.floor((ms % 3_600_000) / 60_000))} min`;
  return `<time datetime="${escapeHtml(until)}">${text}</time>`;
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
