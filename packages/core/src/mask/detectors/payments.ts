// Payment provider keys: Stripe, Square, Braintree/PayPal, Shopify.
import type { DetectorDefinition } from '../lib/definition.js';
import { plain, token } from '../lib/definition.js';

export const paymentDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'stripe-key',
    description: 'Stripe secret and restricted keys, live and test (sk_live_, sk_test_, rk_live_, rk_test_).',
    keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
    body: '[A-Za-z0-9]{20,247}',
    bodyMax: 247,
    charset: /[A-Za-z0-9]/,
    positives: [
      plain((r) => 'sk_live_' + r.base62(24)),
      plain((r) => 'rk_live_' + r.base62(99)),
      plain((r) => 'sk_test_' + r.base62(99)),
    ],
    negatives: ['sk_live_ keys are secret', 'pk_live_ is publishable'],
  }),
  token({
    id: 'stripe-webhook-secret',
    description: 'Stripe webhook signing secrets (whsec_).',
    keywords: ['whsec_'],
    body: '[A-Za-z0-9+/=]{32,64}',
    bodyMax: 64,
    charset: /[A-Za-z0-9+/=]/,
    post: '(?![A-Za-z0-9+/=])',
    positives: [plain((r) => 'whsec_' + r.base62(32))],
    negatives: ['whsec_short'],
  }),
  token({
    id: 'square-token',
    description: 'Square access tokens (EAAA, sq0atp-) and OAuth secrets (sq0csp-).',
    keywords: ['EAAA', 'sq0atp-', 'sq0csp-'],
    body: '[A-Za-z0-9_-]{22,100}',
    bodyMax: 100,
    charset: /[A-Za-z0-9_-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'EAAA' + r.b64url(60)), plain((r) => 'sq0csp-' + r.b64url(43))],
    negatives: ['EAAA short'],
  }),
  token({
    id: 'braintree-access-token',
    description: 'Braintree / PayPal access tokens (access_token$production$… and $sandbox$).',
    keywords: ['access_token$production$', 'access_token$sandbox$'],
    body: '[a-z0-9]{16}\\$[a-f0-9]{32}',
    bodyMax: 49,
    charset: /[a-z0-9$]/,
    positives: [
      plain(
        (r) =>
          'access_token$production$' + r.chars('abcdefghijklmnopqrstuvwxyz0123456789', 16) + '$' + r.hex(32),
      ),
    ],
    negatives: ['access_token$production$'],
  }),
  token({
    id: 'shopify-token',
    description:
      'Shopify admin API, custom app, private app and shared secret tokens (shpat_, shpca_, shppa_, shpss_).',
    keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    // 32 hex digits, and longer in newer tokens
    body: '[a-fA-F0-9]{32,96}',
    bodyMax: 96,
    charset: /[a-fA-F0-9]/,
    positives: [
      plain((r) => 'shpat_' + r.hex(32)),
      plain((r) => 'shpss_' + r.hex(32)),
      plain((r) => 'shpat_' + r.hex(64)),
    ],
    negatives: ['shpat_short'],
  }),
];
