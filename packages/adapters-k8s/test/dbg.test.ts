import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { it } from 'vitest';
import { agent, startWorld } from './fixtures.js';
const run = promisify(execFile);
it('dbg', async () => {
  const world = await startWorld();
  const s = world.gate.as(agent);
  await s.writeKubeconfig('/tmp/kc-dbg');
  const k = async (...args: string[]) => {
    const r = await run('kubectl', ['--kubeconfig', '/tmp/kc-dbg', ...args], { timeout: 20000 }).catch((e) => e);
    console.log('$ kubectl', args.join(' '), '\n', r.stdout, r.stderr);
  };
  await k('get', 'pods', '-n', 'prod');
  await k('get', 'secret', 'db-creds', '-n', 'prod', '-o', 'yaml');
  await k('delete', 'configmap', 'app', '-n', 'prod');
  await k('exec', '-n', 'prod', 'web-1', '--', 'cat', '/var/log/app.log');
  await k('logs', '-n', 'prod', 'web-1');
  console.log(world.api.received.map((r) => r.method + ' ' + r.url).join('\n'));
  await world.close();
}, 120000);
