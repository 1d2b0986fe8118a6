/**
 * One service in-process for an integration test, with its own database and NATS namespace,
 * an admin client, a way to get clients of any role, and one call that removes it all.
 */
import { type RunningService, type ServiceDefinition, startService, type CommonEnv } from '@runway/platform';
import { apiClient, type ApiClient } from './api-client';
import { createIsolatedDatabase, dropNamespace, type IsolatedDatabase, serviceTestEnv, TEST_ADMIN_TOKEN, uniqueNamespace } from './isolation';

export interface ServiceUnderTest {
  svc: RunningService;
  db: IsolatedDatabase;
  namespace: string;
  admin: ApiClient;
  /** A client holding a freshly issued token with these roles. */
  clientWith(roles: string[], name?: string): Promise<ApiClient>;
  close(): Promise<void>;
}

export async function startServiceUnderTest<E extends CommonEnv>(
  definition: ServiceDefinition<E>,
  extraEnv: Record<string, string> = {},
): Promise<ServiceUnderTest> {
  const db = await createIsolatedDatabase();
  const namespace = uniqueNamespace();
  let svc: RunningService;
  try {
    svc = await startService(definition, serviceTestEnv(db, namespace, extraEnv));
  } catch (e) {
    await db.drop().catch(() => undefined);
    throw e;
  }
  const admin = apiClient(svc.url, TEST_ADMIN_TOKEN);
  return {
    svc, db, namespace, admin,
    clientWith: async (roles, name = roles.join('+')) => {
      const res = await admin.post('/tokens', { name, roles });
      if (res.status !== 201) throw new Error(`issuing a ${roles.join('+')} token answered ${res.status}`);
      return apiClient(svc.url, res.body.token);
    },
    close: async () => {
      await svc.close();
      await dropNamespace(process.env.NATS_URL!, namespace).catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
}
