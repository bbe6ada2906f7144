// Credentials by context rather than by vendor format: URLs with passwords, Authorization
// headers, cookies and session ids, and password/secret/token assignments.
import { Buffer } from 'node:buffer';
import type { DetectorDefinition } from '../lib/definition.js';
import { assigned, assignment, boundaryBefore, isPlaceholderValue, token } from '../lib/definition.js';

const DOTTED_CODE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

function viableWith(prefix: RegExp): (tail: string) => number {
  return (tail) => {
    const m = prefix.exec(tail);
    if (m === null) return -1;
    const v = m.indices?.groups?.['v'];
    return v === undefined ? tail.length : v[0];
  };
}

// Key names that describe a secret rather than hold it (`password_file`, `max_tokens`).
const NOT_SECRET_KEY =
  /(?:^|_)(?:file|path|dir|url|uri|endpoint|name|type|length|len|min|max|size|count|limit|ttl|expiry|expires(?:_at|_in)?|timeout|duration|policy|hint|prompt|label|field|header|format|version|enabled|disabled|required|regex|pattern|algorithm|alg|mode|provider|ref|arn|location|strength|reset|rotation|complexity|history|manager|store|flow|grant|input|less|env|var)$|(?:key|token|credentials?|secret_?key)_?ids?$|secrets?_?manager|(?:^|_)(?:max|min|num|total|prompt|completion|input|output|context)_tokens?(?:_|$)|tokens?_(?:count|used|limit|total|usage|per|remaining)|tokeniz|secretary|(?:^|_)keys$/;

// What could still grow into an SQL password clause (over-approximate: held from its start).
const SQL_PASSWORD_PREFIX =
  /^(?:password[ \t\r\n]*(?:['"][^\r\n]*)?|identified[A-Za-z0-9_ \t\r\n]*(?:['"][^\r\n]*|[A-Za-z0-9_$#!%^&*+.~@-]*)?)$/i;

// Options between a command name and its password flag (one command; a line may continue
// after a backslash).
const CLI_ARGS = `(?:[ \\t](?:[^\\r\\n|;&\\\\]|\\\\\\r?\\n|\\\\[^\\r\\n]){0,200}?)?[ \\t]`;
/** Whether a base64 string decodes to `user:password` (a Docker `auth` entry, HTTP Basic). */
const isBasicCredential = (value: string): boolean =>
  /^[A-Za-z0-9+/]{4,1024}={0,2}$/.test(value) &&
  /^[^:\s]{1,256}:\S{1,512}$/.test(Buffer.from(value, 'base64').toString('utf8'));

const CLI_PREFIX =
  /^(?:curl|sshpass|redis-cli|docker|podman|nerdctl|mysql|mysqldump|mysqladmin|machine)(?:[ \t](?:[^\r\n]|\\\r?\n|\\\r$)*)?$/;
/** A flag's value: single-quoted, double-quoted or bare, in groups <g>1, <g>2, <g>3. */
const cliValue = (g: string): string =>
  `(?:'(?<${g}1>[^'\\r\\n]{1,256})'|"(?<${g}2>[^"\\r\\n]{1,256})"|(?<${g}3>[^\\s'"]{1,256}))`;

const NSS_SOURCE = /^(?:files|compat|systemd|sss|ldap|nis|nisplus|winbind|altfiles|hesiod|cache)$/;
const PASSWORD_KEY = /password|passwd|passphrase|(?:^|_)(?:pass|pwd|pw|passcode)(?:_|$)/;
const SECRET_KEY =
  /secret|token|(?:api|access|private|signing|encryption|master|license|app|application|client|account|auth|webhook|service)_?key|credential/;
const SESSION_KEY =
  /(?:^|_)(?:session(?:_?(?:id|token|key|secret))?|sessid|phpsessid|jsessionid|connect_sid|sid)$/;

export const credentialDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'pgpass-password',
    description:
      'Passwords in PostgreSQL password files (~/.pgpass lines host:port:database:user:password) whose port is a wildcard or a usual PostgreSQL or PgBouncer port (5432–5439, 6432).',
    keywords: [':*:', ...Array.from({ length: 8 }, (_, i) => `:${String(5432 + i)}:`), ':6432:'],
    back: { max: 253, chars: /[A-Za-z0-9.*_[\]-]/ },
    pre: '(?<![A-Za-z0-9.*_\\[\\]-])[A-Za-z0-9.*_\\[\\]-]{1,253}',
    body: '(?:[^:\\s\\\\]|\\\\.){1,63}:(?:[^:\\s\\\\]|\\\\.){1,63}:(?<secret>[^\\s]{1,256})',
    bodyMax: 63 * 2 + 2 + 2 + 256,
    secretInBody: true,
    charset: /\S/,
    post: '',
    validate: (secret) => !isPlaceholderValue(secret, false),
    positives: [
      (r) => {
        const secret = r.base62(20);
        return { text: `db.internal:5432:app:app_user:${secret}`, secret };
      },
      (r) => {
        const secret = r.base62(16);
        return { text: `# ~/.pgpass\n*:*:*:postgres:${secret}\n`, secret };
      },
    ],
    negatives: ['db.internal:5432', 'localhost:5432:app', 'listen 0.0.0.0:5432: ok', 'db:5432:app:user:'],
  }),
  token({
    id: 'url-credentials',
    description:
      'Passwords in URLs and connection strings (scheme://user:password@host: postgres, mysql, mongodb+srv, redis, amqp, https, …), also with JSON-escaped slashes (:\\/\\/).',
    // `:\/\/` is how PHP's json_encode and some Java serialisers write `://`.
    keywords: ['://', ':\\/\\/'],
    back: { max: 32, chars: /[A-Za-z0-9+.-]/ },
    pre: '(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}',
    body: '(?<user>[^\\s:@/?#"\'<>]{0,128}):(?<secret>[^\\s/?#"\'<>]{1,256})@(?=[A-Za-z0-9\\[._-])',
    bodyMax: 128 + 1 + 256 + 1,
    secretInBody: true,
    charset: /[^\s/?#"'<>]/,
    post: '',
    // A password equal to the user name (`postgres:postgres@`) tells the reader nothing new.
    validate: (secret, m) => !isPlaceholderValue(secret, false) && secret !== m.groups?.['user'],
    positives: [
      (r) => {
        const secret = r.base62(20);
        return { text: `DATABASE_URL=postgres://app:${secret}@db.internal:5432/app?sslmode=require`, secret };
      },
      (r) => {
        const secret = r.base62(16);
        return { text: `mongodb+srv://admin:${secret}@cluster0.mongodb.net/test`, secret };
      },
      (r) => {
        const secret = r.base62(12);
        return { text: `redis://:${secret}@cache:6379/0 and amqp://guest@rabbit`, secret };
      },
      (r) => {
        const secret = r.base62(8) + '@' + r.base62(4);
        return { text: `mysql://root:${secret}@localhost/db`, secret };
      },
      (r) => {
        const secret = r.base62(14);
        return { text: `{"dsn":"postgres:\\/\\/app:${secret}@db:5432\\/app"}`, secret };
      },
    ],
    negatives: [
      'http://localhost:8080/health',
      'ssh://git@github.com:22/org/repo.git',
      'postgres://app:${DB_PASSWORD}@db/app',
      'https://user@example.com/path',
    ],
  }),
  token({
    id: 'authorization-header',
    description:
      'Credentials in Authorization / Proxy-Authorization headers (Bearer, Basic, Token, Digest, …), as headers, JSON or YAML.',
    keywords: ['authorization'],
    ignoreCase: true,
    pre: boundaryBefore('A-Za-z0-9_'),
    body: '["\']?[ \\t]{0,4}[:=][ \\t]{0,4}["\']?(?:(?:bearer|basic|token|bot|digest|negotiate|ntlm|apikey|dpop|sso-key|ssws)[ \\t]{1,4})?(?<secret>[A-Za-z0-9._~+/=:,-]{8,4096})',
    bodyMax: 4 + 4 + 1 + 4 + 1 + 10 + 4 + 4096,
    secretInBody: true,
    charset: /./,
    post: '',
    viable: viableWith(/^authorization["']?[ \t]*(?:[:=][ \t]*["']?(?<v>)[A-Za-z0-9._~+/=:, \t-]*)?$/di),
    validate: (secret) => !isPlaceholderValue(secret, true) && !DOTTED_CODE.test(secret),
    positives: [
      (r) => {
        const secret = r.b64url(40);
        return { text: `GET /v1/items HTTP/1.1\r\nAuthorization: Bearer ${secret}\r\nAccept: */*`, secret };
      },
      (r) => {
        const secret = Buffer.from(`admin:${r.base62(12)}`).toString('base64');
        return { text: `curl -H "Authorization: Basic ${secret}" https://api.example.com`, secret };
      },
      (r) => {
        const secret = r.hex(40);
        return { text: `{"headers": {"authorization": "token ${secret}"}}`, secret };
      },
    ],
    negatives: [
      'const authorization = req.headers.authorization;',
      'Authorization: Bearer ${TOKEN}',
      'the authorization server issues tokens',
    ],
  }),
  token({
    id: 'bearer-token',
    description: 'Bearer tokens outside an Authorization header ("Bearer <token>", at least 16 characters).',
    keywords: ['bearer'],
    ignoreCase: true,
    pre: boundaryBefore('A-Za-z0-9_'),
    body: '[ \\t]{1,4}(?<secret>[A-Za-z0-9._~+/-]{16,4096}={0,3})',
    bodyMax: 4 + 4096 + 3,
    secretInBody: true,
    charset: /./,
    post: '(?![A-Za-z0-9._~+/=-])',
    viable: viableWith(/^bearer(?:[ \t]+(?<v>)[A-Za-z0-9._~+/=-]*)?$/di),
    validate: (secret) => (/[0-9]/.test(secret) || secret.length >= 32) && !DOTTED_CODE.test(secret),
    positives: [
      (r) => {
        const secret = r.b64url(32);
        return { text: `{"token_type": "Bearer", "value": "Bearer ${secret}"}`, secret };
      },
    ],
    negatives: ['Bearer authentication is described in RFC 6750', 'use a bearer token'],
  }),
  token({
    id: 'cookie-header',
    description: 'Cookie and Set-Cookie header values (session cookies), as headers, JSON or YAML.',
    keywords: ['cookie'],
    ignoreCase: true,
    pre: boundaryBefore('A-Za-z0-9_'),
    body: '["\']?[ \\t]{0,4}[:=][ \\t]{0,4}["\']?(?<secret>(?:[^\\r\\n"\'\\\\]|\\\\(?![rn"])){1,4096})',
    bodyMax: 4 + 4 + 1 + 4 + 1 + 4096,
    secretInBody: true,
    charset: /./,
    post: '',
    viable: viableWith(/^cookie["']?[ \t]*(?:[:=][ \t]*["']?(?<v>)[^\r\n"']*)?$/di),
    // A cookie worth hiding holds a value of 10 characters or more (`theme=dark` does not);
    // long headers are taken as they are, so the check stays cheap on every hit.
    validate: (secret) =>
      secret.includes('=') &&
      (secret.length >= 40 || /=[^;,\s]{10}/.test(secret)) &&
      !isPlaceholderValue(secret, false),
    positives: [
      (r) => {
        const secret = `sessionid=${r.base62(32)}; csrftoken=${r.base62(32)}`;
        return { text: `GET / HTTP/1.1\r\nCookie: ${secret}\r\nHost: example.com`, secret };
      },
      (r) => {
        const secret = `sid=${r.base62(32)}`;
        return { text: `{"req": "GET / HTTP/1.1\\r\\nCookie: ${secret}\\r\\nHost: api"}`, secret };
      },
      (r) => {
        const secret = `JSESSIONID=${r.hex(32).toUpperCase()}; Path=/; HttpOnly`;
        return { text: `< Set-Cookie: ${secret}\n`, secret };
      },
    ],
    negatives: ['cookies: true', 'cookie: none', 'Set-Cookie: theme=dark; Path=/'],
  }),
  {
    ...token({
      id: 'docker-config-auth',
      description:
        'Docker registry credentials: the base64 auths document of a .dockerconfigjson Secret (eyJhdXRocyI6…) and "auth": base64 user:password entries of config.json.',
      // `auth"`, not `"auth"`: a keyword starting with `"` slows the prefilter on all JSON.
      keywords: ['eyJhdXRocyI6', 'auth"', 'auth\\"'],
      pre: boundaryBefore('A-Za-z0-9+/'),
      body: '(?:(?<=eyJhdXRocyI6)[A-Za-z0-9+/]{4,16384}={0,2}|(?<=auth")[ \\t]{0,4}:[ \\t]{0,4}"(?<secret>[A-Za-z0-9+/]{4,1024}={0,2})")',
      bodyMax: 16386,
      charset: /[A-Za-z0-9+/=: \t"\\]/,
      post: '(?![A-Za-z0-9+/=])',
      validate: (secret, m) =>
        (m.groups?.['secret'] === undefined && m.groups?.['escaped'] === undefined) ||
        isBasicCredential(secret),
      positives: [
        (r) => {
          const auth = Buffer.from(`bob:${r.base62(16)}`).toString('base64');
          const secret = Buffer.from(JSON.stringify({ auths: { 'ghcr.io': { auth } } })).toString('base64');
          return { text: `{"data": {".dockerconfigjson": "${secret}"}, "kind": "Secret"}`, secret };
        },
        (r) => {
          const secret = Buffer.from(`bob:${r.base62(16)}`).toString('base64');
          return { text: `{"auths": {"https://index.docker.io/v1/": {"auth": "${secret}"}}}`, secret };
        },
      ],
      negatives: ['{"auth": "none"}', '"auth": "c2VydmljZQ=="'],
    }),
    // The auths document is masked whole (keyword included); of an "auth" entry, the value.
    pattern: new RegExp(
      `(?:${boundaryBefore('A-Za-z0-9+/')}(?<whole>eyJhdXRocyI6[A-Za-z0-9+/]{4,16384}={0,2})` +
        '|(?<=")auth"[ \\t]{0,4}:[ \\t]{0,4}"(?<secret>[A-Za-z0-9+/]{4,1024}={0,2})"' +
        // …and the same inside a JSON string: {\"auth\":\"…\"}
        '|(?<=\\\\")auth\\\\"[ \\t]{0,4}:[ \\t]{0,4}\\\\"(?<escaped>[A-Za-z0-9+/]{4,1024}={0,2})\\\\")(?![A-Za-z0-9+/=])',
      'yd',
    ),
    secretGroups: ['whole', 'secret', 'escaped'],
    // In a parsed config.json (maskJson), the value under an `auth` key.
    keyValue: { acceptsKey: (key) => key === 'auth', acceptsValue: isBasicCredential },
  },
  assignment({
    id: 'session-id',
    description:
      'Session identifiers assigned to session-id keys (sessionid, session_token, JSESSIONID, PHPSESSID, connect.sid; at least 16 characters).',
    keywords: ['sess', 'sid'],
    key: SESSION_KEY,
    valueCheck: (v) => v.length >= 16,
    positives: [
      assigned('PHPSESSID', '=', (r) => r.lower(26)),
      assigned('"session_token"', ': ', (r) => r.b64url(40), '"'),
    ],
    negatives: ['session: redis', 'sid=42', 'session_timeout: 3600'],
  }),
  assignment({
    id: 'password-assignment',
    description:
      'Passwords assigned in env files, JSON (also JSON inside JSON strings), YAML, TOML, XML elements, code, CLI flags and connection strings (password=, "passwd":, pwd:, --password=, Password=…;, <password>…</password>).',
    keywords: ['pass', 'pwd'],
    key: PASSWORD_KEY,
    notKey: NOT_SECRET_KEY,
    // nsswitch.conf lines (`passwd: files systemd`) name lookup sources, not passwords.
    valueCheck: (v) => v.length >= 3 && !NSS_SOURCE.test(v),
    positives: [
      assigned('DB_PASSWORD', '=', (r) => r.base62(16)),
      assigned('"password"', ': ', (r) => r.base62(12) + '!\\"#', '"'),
      assigned('  password', ': ', (r) => r.lower(10)),
      assigned('mysql --user=root --password', '=', (r) => r.base62(14)),
      (r) => {
        const secret = r.base62(14);
        return { text: `<server>\n  <id>repo</id>\n  <password>${secret}</password>\n</server>`, secret };
      },
      (r) => {
        const secret = r.base62(14);
        return { text: `Server=db;Database=app;User Id=sa;Password=${secret};Encrypt=true`, secret };
      },
    ],
    negatives: [
      'password: ${DB_PASSWORD}',
      'PASSWORD_FILE=/run/secrets/db',
      'password_min_length: 12',
      'password: string;',
      'const password = await getPassword();',
      'passwordless: true',
      '[sudo] password for alice: ',
      'compass_heading=270',
      'passwd:         files systemd',
      'password: REDACTED',
      '"password": "***masked***"',
      'password=xxxxxxxx',
      'set PGPASSWORD=%DB_PASSWORD%',
    ],
  }),
  {
    ...token({
      id: 'sql-password',
      description:
        "Passwords in SQL statements: PASSWORD 'x' in CREATE/ALTER ROLE and USER, IDENTIFIED [WITH plugin] BY 'x' (MySQL, Oracle).",
      keywords: ['password', 'identified'],
      ignoreCase: true,
      pre: boundaryBefore('A-Za-z0-9_'),
      body:
        '(?:(?<=password)[ \\t\\r\\n]{1,8}(?:(?<q>[\'"])(?<secret>(?:(?!\\k<q>)[^\\\\\\r\\n]|\\\\[^\\r\\n]|\'\'|""){1,1024})\\k<q>)' +
        '|(?<=identified)(?:[ \\t\\r\\n]{1,8}with[ \\t\\r\\n]{1,8}[A-Za-z0-9_]{1,64})?[ \\t\\r\\n]{1,8}by[ \\t\\r\\n]{1,8}' +
        '(?:(?<q2>[\'"])(?<secret2>(?:(?!\\k<q2>)[^\\\\\\r\\n]|\\\\[^\\r\\n]|\'\'|""){1,1024})\\k<q2>|(?!(?:values|password)[ \\t\\r\\n])(?<bare>[A-Za-z0-9_$#!%^&*+.~@-]{1,128})(?![A-Za-z0-9_$#!%^&*+.~@-])))',
      bodyMax: 8 + 1 + 2048 + 1 + 8 + 4 + 8 + 64 + 8 + 2 + 8,
      charset: /[\s\S]/,
      post: '',
      viable: (tail) => (SQL_PASSWORD_PREFIX.test(tail) ? 0 : -1),
      validate: (secret) => !isPlaceholderValue(secret, false),
      positives: [
        (r) => {
          const secret = r.base62(16);
          return { text: `ALTER ROLE app WITH LOGIN PASSWORD '${secret}' VALID UNTIL 'infinity';`, secret };
        },
        (r) => {
          const secret = r.base62(10) + "''" + r.base62(4);
          return { text: `CREATE USER report ENCRYPTED PASSWORD\n  '${secret}';`, secret };
        },
        (r) => {
          const secret = r.base62(14);
          return {
            text: `CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY "${secret}";`,
            secret,
          };
        },
        (r) => {
          const secret = r.base62(12);
          return { text: `CREATE USER scott IDENTIFIED BY ${secret};`, secret };
        },
      ],
      negatives: [
        'Accepted password for alice from 10.0.0.1 port 22 ssh2',
        'ALTER ROLE app PASSWORD NULL;',
        "CREATE ROLE app PASSWORD '${APP_PASSWORD}';",
        'CREATE USER ops IDENTIFIED EXTERNALLY;',
        'Enter password: ',
      ],
    }),
    // Either form's group is the secret.
    secretGroups: ['secret', 'secret2', 'bare'],
  },
  {
    ...token({
      id: 'cli-password',
      description:
        'Passwords on command lines and in .netrc: curl -u/--user user:password, sshpass -p, redis-cli -a, docker/podman login -p, mysql -pPASSWORD / --password PASSWORD, netrc machine … password.',
      keywords: [
        'curl',
        'sshpass',
        'redis-cli',
        'docker',
        'podman',
        'nerdctl',
        'mysql',
        'mysqldump',
        'mysqladmin',
        'machine',
      ],
      pre: boundaryBefore('A-Za-z0-9_-'),
      body: [
        `(?<=curl)${CLI_ARGS}(?:-u|--user|-U|--proxy-user)(?:[ \\t]{1,4}|=)(?<uq>['"]?)[^\\s:'"]{1,128}:(?<curl>[^\\s'"]{1,256})\\k<uq>(?![^\\s'"])`,
        `(?<=sshpass)[ \\t]{1,4}-p[ \\t]{0,4}${cliValue('sp')}`,
        `(?<=redis-cli)${CLI_ARGS}(?:-a|--pass)[ \\t]{1,4}${cliValue('rc')}`,
        `(?<=docker|podman|nerdctl)[ \\t]{1,4}login${CLI_ARGS}(?:-p|--password)[ \\t]{1,4}${cliValue('dl')}`,
        `(?<=mysql|mysqldump|mysqladmin)${CLI_ARGS}(?:-p(?<my>[^\\s'"-][^\\s'"]{0,255})|--password[ \\t]{1,4}${cliValue('mp')})`,
        // netrc: a login is required, so prose ("machine learning password reset") is not read as one
        '(?<=machine)[ \\t]{1,4}[^\\s]{1,253}(?:[ \\t]{1,4}(?:account|port)[ \\t]{1,4}[^\\s]{1,64})?[ \\t]{1,4}login[ \\t]{1,4}[^\\s]{1,256}(?:[ \\t]{1,4}(?:account|port)[ \\t]{1,4}[^\\s]{1,64})?[ \\t]{1,4}password[ \\t]{1,4}(?<nrc>[^\\s]{1,256})',
      ]
        .map((alt) => `(?:${alt})`)
        .join('|')
        .replace(/^/, '(?:')
        .concat(')'),
      bodyMax: 1400,
      charset: /[^\r\n]/,
      post: '',
      // Held (from the command name) only while the line can still become one of the forms:
      // a `mysql> ` or `docker-compose` prompt is not held.
      viable: (tail) => (CLI_PREFIX.test(tail) ? 0 : -1),
      validate: (secret) => !isPlaceholderValue(secret, false) && !/^[0-9]{1,10}$/.test(secret),
      positives: [
        (r) => {
          const secret = r.base62(14);
          return { text: `$ curl -sS -u admin:${secret} https://api.example.com/v1\n`, secret };
        },
        (r) => {
          const secret = r.base62(14);
          return { text: `sshpass -p '${secret}' ssh deploy@10.0.0.5 uptime\n`, secret };
        },
        (r) => {
          const secret = r.base62(16);
          return { text: `redis-cli -h cache -a ${secret} --no-auth-warning ping\n`, secret };
        },
        (r) => {
          const secret = r.base62(16);
          return { text: `docker login -u bob -p ${secret} ghcr.io\n`, secret };
        },
        (r) => {
          const secret = r.base62(12);
          return { text: `mysql -h db -P 3306 -u root -p${secret} app < dump.sql\n`, secret };
        },
        (r) => {
          const secret = r.base62(20);
          return { text: `machine api.github.com login bob password ${secret}\n`, secret };
        },
      ],
      negatives: [
        'curl -u $USER:$TOKEN https://api.example.com',
        'docker run -u 1000:1000 alpine id',
        'mysql -u root -p app',
        'mysql -h db -P 3306 -u app',
        'docker login ghcr.io',
        'machine learning password reset',
      ],
    }),
    secretGroups: [
      'curl',
      'sp1',
      'sp2',
      'sp3',
      'rc1',
      'rc2',
      'rc3',
      'dl1',
      'dl2',
      'dl3',
      'my',
      'mp1',
      'mp2',
      'mp3',
      'nrc',
    ],
  },
  assignment({
    id: 'secret-assignment',
    description:
      'Secrets, tokens, API keys, private keys and credentials assigned in env files, JSON (also JSON inside JSON strings), YAML, TOML, XML elements and code (client_secret=, "apiKey":, TOKEN=…; at least 8 characters).',
    keywords: [
      'secret',
      'token',
      'credential',
      'api_key',
      'apikey',
      'api-key',
      'access_key',
      'accesskey',
      'access-key',
      'private_key',
      'privatekey',
      'private-key',
      'signing_key',
      'signingkey',
      'encryption_key',
      'encryptionkey',
      'master_key',
      'masterkey',
      'license_key',
      'licensekey',
      'app_key',
      'appkey',
      'client_key',
      'account_key',
      'auth_key',
      'authkey',
      'webhook_key',
      'service_key',
    ],
    key: SECRET_KEY,
    notKey: NOT_SECRET_KEY,
    valueCheck: (v) => v.length >= 8 && (/[^0-9]/.test(v) || v.length >= 16),
    positives: [
      assigned('CLIENT_SECRET', '=', (r) => r.base62(32)),
      assigned('"apiKey"', ': ', (r) => r.b64url(30), '"'),
      assigned('  api_token', ': ', (r) => r.hex(40)),
      assigned('app.secret_key', ' = ', (r) => r.b64(24), "'"),
      assigned('COHERE_API_KEY', '=', (r) => r.base62(40)),
      assigned('{"log": "{\\"client_secret\\"', ': ', (r) => r.base62(32), '\\"'),
      assigned('{"env": "A=1\\napi_token', '=', (r) => r.base62(32)),
    ],
    negatives: [
      'max_tokens: 1024',
      'token_url: https://auth.example.com/token',
      'secret_name: db-credentials',
      '"key": "value"',
      'GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}',
      'api_key = os.environ["API_KEY"]',
      'token = getToken()',
      'usage: {"prompt_tokens": 12, "completion_tokens": 30}',
    ],
  }),
];
