// The shared adapter conformance suite (SPEC §8) on the Kubernetes gate: the caller's handle
// is a session's JSON helpers, which go over HTTPS and WebSocket to the gate like any client.
import { KubeConfig } from '@kubernetes/client-node';
import { describeAdapterConformance } from '@portcullis/conformance';
import { agent, manager, startWorld, upstreamCalls } from './fixtures.js';
import { FAIL_ANNOTATION } from './stand-in/api-server.js';

describeAdapterConformance(
  '@portcullis/k8s',
  async ({ approvals, recorder }) => {
    const world = await startWorld({ approvals, recorder });
    world.api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'broken',
        namespace: 'prod',
        annotations: {
          [FAIL_ANNOTATION]: `etcd read failed for owner ${world.secrets.email} with key ${world.secrets.token}`,
        },
      },
    });
    const sessions: { end(): Promise<void> }[] = [];
    return {
      portcullis: world.portcullis,
      requester: agent,
      approver: manager,
      secrets: [world.secrets.token, world.secrets.email],
      credentials: [world.api.token],
      driverClasses: [KubeConfig],
      open(review) {
        const session = world.gate.as(agent, { review });
        sessions.push(session);
        const flags = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'flags', namespace: 'prod' },
          data: { beta: 'on' },
        };
        return Promise.resolve({
          handle: session,
          read: () => session.get({ resource: 'pods', namespace: 'prod', name: 'web-1' }),
          write: () => session.apply(flags),
          denied: () => session.delete({ resource: 'configmaps', namespace: 'prod', name: 'app' }),
          secretRead: () => session.get({ resource: 'configmaps', namespace: 'prod', name: 'app' }),
          secretError: () => session.get({ resource: 'pods', namespace: 'prod', name: 'broken' }),
          end: () => session.end(),
        });
      },
      writes() {
        return Promise.resolve(
          upstreamCalls(world.api).filter((c) => c.method !== 'GET' && c.url.includes('/configmaps')).length,
        );
      },
      async close() {
        await Promise.allSettled(sessions.map((s) => s.end()));
        await world.close();
      },
    };
  },
  // Row caps through bigRead() are not wired for the Kubernetes gate yet (see issue notes); byte caps are.
  {
    notices: false,
    caps: false,
  },
);
