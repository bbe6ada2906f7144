// Chat, webhook and messaging-service credentials.
import type { DetectorDefinition } from '../lib/definition.js';
import { plain, scan, token } from '../lib/definition.js';

export const messagingDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'slack-token',
    description:
      'Slack bot, user, app-level, configuration, refresh and legacy tokens (xoxb-, xoxp-, xapp-, xoxe-, …).',
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxo-', 'xoxe-', 'xoxe.xoxp-', 'xapp-'],
    body: '[A-Za-z0-9-]{10,250}',
    bodyMax: 250,
    charset: /[A-Za-z0-9-]/,
    post: '(?![A-Za-z0-9-])',
    positives: [
      plain((r) => 'xoxb-' + r.digits(12) + '-' + r.digits(13) + '-' + r.base62(24)),
      plain((r) => 'xapp-1-A' + r.upper(10) + '-' + r.digits(13) + '-' + r.hex(64)),
      plain((r) => 'xoxe.xoxp-1-' + r.base62(140)),
    ],
    negatives: ['xoxb- tokens belong to bots', 'xoxp-short'],
  }),
  token({
    id: 'slack-webhook',
    description: 'Slack incoming webhook, workflow and trigger URLs (the secret path after hooks.slack.com).',
    keywords: ['hooks.slack.com/services/', 'hooks.slack.com/workflows/', 'hooks.slack.com/triggers/'],
    pre: '(?<![A-Za-z0-9-])',
    body: '[A-Za-z0-9_/-]{20,200}',
    bodyMax: 200,
    bodyOnly: true,
    charset: /[A-Za-z0-9_/-]/,
    post: '(?![A-Za-z0-9_/-])',
    positives: [
      (r) => {
        const secret = 'T' + r.upper(10) + '/B' + r.upper(10) + '/' + r.base62(24);
        return { text: `curl -X POST https://hooks.slack.com/services/${secret} -d @msg.json`, secret };
      },
    ],
    negatives: ['see https://hooks.slack.com/services/ for docs'],
  }),
  token({
    id: 'discord-webhook',
    description: 'Discord webhook URLs (the id and token after /api/webhooks/).',
    keywords: ['discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'],
    pre: '(?<![A-Za-z0-9-])',
    body: '[0-9]{17,20}/[A-Za-z0-9_-]{60,80}',
    bodyMax: 101,
    bodyOnly: true,
    charset: /[A-Za-z0-9_/-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [
      (r) => {
        const secret = r.digits(18) + '/' + r.b64url(68);
        return { text: `url: https://discord.com/api/webhooks/${secret}`, secret };
      },
    ],
    negatives: ['https://discord.com/api/webhooks/123'],
  }),
  scan({
    id: 'discord-bot-token',
    category: 'secret',
    description:
      'Discord bot tokens: a base64 user id (M, N or O), a 6-character timestamp and an HMAC, dot-separated.',
    pattern:
      '(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_.-])',
    maxLength: 76,
    charset: /[A-Za-z0-9_.-]/,
    seed: { first: /[MNO]/, notAfter: /[A-Za-z0-9_.-]/, run: /[A-Za-z0-9_-]/, min: 24 },
    positives: [plain((r) => 'M' + r.b64url(25) + '.' + r.b64url(6) + '.' + r.b64url(38))],
    negatives: ['Node.js.v20', 'MANIFEST.in.txt'],
  }),
  scan({
    id: 'telegram-bot-token',
    category: 'secret',
    description: 'Telegram bot tokens: the bot id (5–16 digits), a colon and 35 base64url characters.',
    pattern: '(?<![0-9_:-])[0-9]{5,16}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])',
    maxLength: 52,
    charset: /[A-Za-z0-9_:-]/,
    seed: {
      first: /[0-9]/,
      notAfter: /[0-9_:-]/,
      run: /[0-9]/,
      min: 5,
      accept: (n, next) => n >= 5 && n <= 16 && next === 58,
    },
    positives: [
      (r) => {
        const secret = r.digits(10) + ':AA' + r.b64url(33);
        return { text: `https://api.telegram.org/bot${secret}/getMe`, secret };
      },
      (r) => {
        const secret = String(1 + r.int(9)) + r.digits(11) + ':AA' + r.b64url(33);
        return { text: `TELEGRAM_BOT=${secret}`, secret };
      },
    ],
    negatives: ['12:30:45', '2024-01-15T10:30:00Z'],
  }),
  token({
    id: 'teams-webhook',
    description: 'Microsoft Teams / Office 365 incoming webhook URLs (the path after webhook.office.com).',
    keywords: ['.webhook.office.com/webhookb2/', 'outlook.office.com/webhook/'],
    pre: '',
    body: '[A-Za-z0-9@/_.-]{40,400}',
    bodyMax: 400,
    bodyOnly: true,
    charset: /[A-Za-z0-9@/_.-]/,
    post: '(?![A-Za-z0-9@/_.-])',
    positives: [
      (r) => {
        const secret = `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}@${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}/IncomingWebhook/${r.hex(32)}/${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`;
        return { text: `https://contoso.webhook.office.com/webhookb2/${secret}`, secret };
      },
    ],
    negatives: ['https://contoso.webhook.office.com/webhookb2/'],
  }),
  token({
    id: 'twilio-api-key',
    description: 'Twilio API key SIDs (SK and 32 hex).',
    keywords: ['SK'],
    body: '[0-9a-fA-F]{32}',
    bodyMax: 32,
    charset: /[0-9a-fA-F]/,
    positives: [plain((r) => 'SK' + r.hex(32))],
    negatives: ['SKU-1234', 'TASK'],
  }),
  token({
    id: 'sendgrid-api-key',
    description: 'SendGrid API keys (SG., 22 characters, ., 43 characters).',
    keywords: ['SG.'],
    body: '[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}',
    bodyMax: 66,
    charset: /[A-Za-z0-9_.-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'SG.' + r.b64url(22) + '.' + r.b64url(43))],
    negatives: ['SG.short'],
  }),
  token({
    id: 'mailgun-api-key',
    description: 'Mailgun API keys (key- and 32 hex).',
    keywords: ['key-'],
    body: '[a-f0-9]{32}',
    bodyMax: 32,
    charset: /[a-f0-9]/,
    positives: [plain((r) => 'key-' + r.hex(32))],
    negatives: ['key-value store', 'api-key-header'],
  }),
  token({
    id: 'mailchimp-api-key',
    description: 'Mailchimp API keys (32 hex, -us and the data-center number).',
    keywords: ['-us'],
    back: { max: 32, chars: /[a-f0-9]/ },
    pre: '(?<![A-Za-z0-9])[a-f0-9]{32}',
    body: '[0-9]{1,2}',
    bodyMax: 2,
    charset: /[0-9]/,
    positives: [plain((r) => r.hex(32) + '-us' + String(1 + r.int(20)))],
    negatives: ['en-us', 'status-us1'],
  }),
];
