// Public entry of @portcullis/approvals: re-exports only.

// console
export { createApprovalConsole } from './console/create-approval-console.js';
export type { ApprovalConsole, ApprovalConsoleOptions } from './console/create-approval-console.js';
export type { ConsoleOidcOptions } from './console/oidc-client.js';

// webhooks
export { createWebhookNotifier } from './webhooks/create-webhook-notifier.js';
export type {
  WebhookDeliveryReport,
  WebhookEndpoint,
  WebhookNotifier,
  WebhookNotifierOptions,
} from './webhooks/create-webhook-notifier.js';
export { signWebhook, verifyWebhookSignature, WEBHOOK_HEADERS } from './webhooks/sign-webhook.js';
export type { VerifyWebhookInput } from './webhooks/sign-webhook.js';
export type { SlackBody, WebhookBody } from './webhooks/webhook-payload.js';

// shared
export { describeApproval } from './lib/describe-approval.js';
export type { ApprovalView } from './lib/describe-approval.js';
