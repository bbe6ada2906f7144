// Observability, productivity and other SaaS credentials.
import type { DetectorDefinition } from '../lib/definition.js';
import { assigned, assignment, plain, token } from '../lib/definition.js';

export const serviceDetectors: readonly DetectorDefinition[] = [
  assignment({
    id: 'datadog-api-key',
    description:
      'Datadog API (32 hex) and application (40 hex) keys assigned to DD_API_KEY, DD_APP_KEY, DD-API-KEY and similar keys.',
    keywords: ['dd_api', 'dd_app', 'dd-api', 'dd-app', 'ddapi', 'ddapp', 'datadog'],
    key: /(?:^|_)(?:dd|datadog)_(?:api|app|application)_key$/,
    value: '[a-f0-9]{40}|[a-f0-9]{32}',
    positives: [
      assigned('DD_API_KEY', '=', (r) => r.hex(32)),
      assigned('DD-APPLICATION-KEY', ': ', (r) => r.hex(40)),
    ],
    negatives: ['DD_API_KEY=${DD_API_KEY}', 'datadog_api_key: ""'],
  }),
  token({
    id: 'newrelic-key',
    description: 'New Relic user API, ingest, browser and insights keys (NRAK-, NRII-, NRJS-, NRAA-, NRIQ-).',
    keywords: ['NRAK-', 'NRII-', 'NRJS-', 'NRAA-', 'NRIQ-', 'NRRA-'],
    // browser keys (NRJS-) hold 19 hex digits; the others 27 characters or more
    body: '[A-Za-z0-9_-]{19,64}',
    bodyMax: 64,
    charset: /[A-Za-z0-9_-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'NRAK-' + r.upper(27)), plain((r) => 'NRJS-' + r.hex(19))],
    negatives: ['NRAK-short'],
  }),
  token({
    id: 'sentry-dsn',
    description: 'Sentry DSNs: the 32-hex public key (and legacy secret) in https://<key>@<host>/<project>.',
    keywords: ['://'],
    back: { max: 8, chars: /[a-z]/ },
    pre: '(?<![A-Za-z0-9+.-])https?',
    body: '(?<secret>[a-f0-9]{32}(?::[a-f0-9]{32})?)@[A-Za-z0-9.-]{1,100}(?::[0-9]{1,5})?/(?:[A-Za-z0-9_.-]{1,50}/)?[0-9]{1,12}',
    bodyMax: 240,
    secretInBody: true,
    charset: /[A-Za-z0-9:@/_.-]/,
    positives: [
      (r) => {
        const secret = r.hex(32);
        return {
          text: `SENTRY_DSN=https://${secret}@o${r.digits(6)}.ingest.us.sentry.io/${r.digits(7)}\n`,
          secret,
        };
      },
    ],
    negatives: ['https://sentry.io/organizations/acme/issues/'],
  }),
  token({
    id: 'sentry-auth-token',
    description: 'Sentry organization and user auth tokens (sntrys_, sntryu_).',
    keywords: ['sntrys_', 'sntryu_'],
    body: '[A-Za-z0-9_+/=]{32,400}',
    bodyMax: 400,
    charset: /[A-Za-z0-9_+/=]/,
    post: '(?![A-Za-z0-9_+/=])',
    positives: [plain((r) => 'sntrys_' + r.b64(120)), plain((r) => 'sntryu_' + r.hex(64))],
    negatives: ['sntrys_short'],
  }),
  token({
    id: 'linear-api-key',
    description: 'Linear personal API keys and OAuth tokens (lin_api_, lin_oauth_).',
    keywords: ['lin_api_', 'lin_oauth_'],
    body: '[A-Za-z0-9]{40,64}',
    bodyMax: 64,
    charset: /[A-Za-z0-9]/,
    positives: [plain((r) => 'lin_api_' + r.base62(40))],
    negatives: ['lin_api_short'],
  }),
  token({
    id: 'notion-token',
    description: 'Notion integration tokens (ntn_ and legacy secret_ with 43 characters).',
    keywords: ['ntn_', 'secret_'],
    body: '[A-Za-z0-9]{40,50}',
    bodyMax: 50,
    charset: /[A-Za-z0-9]/,
    positives: [plain((r) => 'ntn_' + r.digits(11) + r.base62(35)), plain((r) => 'secret_' + r.base62(43))],
    negatives: ['secret_key_base', 'ntn_short'],
  }),
  token({
    id: 'planetscale-token',
    description:
      'PlanetScale service tokens, passwords and OAuth tokens (pscale_tkn_, pscale_pw_, pscale_oauth_).',
    keywords: ['pscale_tkn_', 'pscale_pw_', 'pscale_oauth_'],
    body: '[A-Za-z0-9_=.-]{32,64}',
    bodyMax: 64,
    charset: /[A-Za-z0-9_=.-]/,
    post: '(?![A-Za-z0-9_=.-])',
    positives: [plain((r) => 'pscale_pw_' + r.b64url(43))],
    negatives: ['pscale_pw_short'],
  }),
  token({
    id: 'supabase-token',
    description: 'Supabase personal access tokens (sbp_ and 40 hex).',
    keywords: ['sbp_'],
    body: '[a-f0-9]{40}',
    bodyMax: 40,
    charset: /[a-f0-9]/,
    positives: [plain((r) => 'sbp_' + r.hex(40))],
    negatives: ['sbp_short'],
  }),
];
