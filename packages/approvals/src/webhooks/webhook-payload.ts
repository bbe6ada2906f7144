import type { ApprovalChange } from '@portcullis/core';
import type { ApprovalView } from '../lib/describe-approval.js';

/** The JSON body of a `json` webhook. */
export interface WebhookBody {
  /** The delivery id (also in the `portcullis-webhook-id` header). */
  readonly id: string;
  /** `approval.created`, `approval.voted` or `approval.consumed`. */
  readonly type: `approval.${ApprovalChange['type']}`;
  /** When the notification was made (ISO 8601). */
  readonly at: string;
  /** The approval as approvers see it: the request masked. */
  readonly approval: ApprovalView;
  /** Where to decide on it, when the console's address is configured. */
  readonly url?: string;
}

/** A Slack-compatible body (incoming webhooks and `chat.postMessage` accept it). */
export interface SlackBody {
  readonly text: string;
  readonly blocks: readonly unknown[];
}

/** The `json` body of one notification. */
export function jsonBody(
  id: string,
  change: ApprovalChange,
  view: ApprovalView,
  at: Date,
  url?: string,
): WebhookBody {
  return {
    id,
    type: `approval.${change.type}`,
    at: at.toISOString(),
    approval: view,
    ...(url === undefined ? {} : { url }),
  };
}

/**
 * The Slack-compatible body of one notification: a one-line summary in `text` (what
 * notifications show) and a few blocks. Everything taken from the request is escaped for Slack's
 * mrkdwn (`&`, `<`, `>`), so request text cannot form links or mentions, and placed in code spans.
 */
export function slackBody(change: ApprovalChange, view: ApprovalView, url?: string): SlackBody {
  const who = view.actors.length === 0 ? view.subject : `${view.subject} via ${view.actors.join(' → ')}`;
  const headline =
    change.type === 'created'
      ? `Approval needed: ${who} on ${view.target}`
      : change.type === 'voted'
        ? `Approval ${view.status}: ${who} on ${view.target}`
        : `Approved request used: ${who} on ${view.target}`;
  const request = clip(view.request, 2500).replace(/`/g, 'ˋ');
  const fields = [
    `*Requester:* ${slack(who)}`,
    `*Target:* ${slack(view.target)}`,
    `*Status:* ${view.status}`,
    ...(view.until === undefined ? [] : [`*Until:* ${view.until}`]),
  ];
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${slack(headline)}*` } },
    { type: 'section', text: { type: 'mrkdwn', text: '```' + slack(request) + '```' } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (view.reasons.length > 0)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: slack(clip(view.reasons.join(' · '), 1500)) }],
    });
  if (url !== undefined)
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review' }, url }],
    });
  return { text: slack(headline), blocks };
}

function slack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
