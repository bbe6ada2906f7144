// The approval console inside an Express app the host already runs, beside its own routes, with
// webhooks telling a chat channel when something waits. Everything comes from the environment:
//   DATABASE_URL         the PostgreSQL approval store the gated hosts share
//   PORTCULLIS_POLICY    the policy file (its identity section names the issuer)
//   CONSOLE_CLIENT_ID    the console's client id at the issuer
//   PUBLIC_URL           where people reach this app (https://ops.example.com/)
//   WEBHOOK_URL          optional: a chat incoming-webhook URL
//   WEBHOOK_SECRET       with WEBHOOK_URL: 32+ bytes, base64
import { createApprovalConsole, createWebhookNotifier, type WebhookNotifier } from '@portcullis/approvals';
import { createPortcullis, loadPolicyFile } from '@portcullis/core';
import { createPgApprovalStore } from '@portcullis/pg';
import express, { type Express } from 'express';
import pg from 'pg';

/** The app and what to close on shutdown. */
export interface ExampleApp {
  readonly app: Express;
  close(): Promise<void>;
}

/** Builds the Express app: `/healthz` of its own and the console under `/approvals/`. */
export async function createApp(env: NodeJS.ProcessEnv = process.env): Promise<ExampleApp> {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`set ${name}`);
    return value;
  };
  const pool = new pg.Pool({ connectionString: need('DATABASE_URL'), max: 4 });
  const store = createPgApprovalStore(pool);
  const portcullis = await createPortcullis({
    policy: await loadPolicyFile(need('PORTCULLIS_POLICY')),
    approvals: store,
  });
  const publicUrl = new URL('approvals/', need('PUBLIC_URL')).href;
  const approvals = createApprovalConsole({
    portcullis,
    store,
    oidc: { clientId: need('CONSOLE_CLIENT_ID') },
    publicUrl,
  });
  let notifier: WebhookNotifier | undefined;
  if (env['WEBHOOK_URL'] !== undefined) {
    notifier = createWebhookNotifier({
      store,
      endpoints: [
        { url: env['WEBHOOK_URL'], secret: Buffer.from(need('WEBHOOK_SECRET'), 'base64'), format: 'slack' },
      ],
      consoleUrl: publicUrl,
    });
  }

  const app = express();
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  // Express strips the mount path from req.url; the console reads req.originalUrl.
  app.use('/approvals', approvals.node);
  return {
    app,
    async close() {
      approvals.close();
      await notifier?.close();
      await store.close();
      await pool.end();
    },
  };
}
