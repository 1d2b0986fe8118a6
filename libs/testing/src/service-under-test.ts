/**
 * One service in-process for an integration test, with its own database and NATS namespace,
 * an admin client, a way to get clients of any role, and one call that removes it all.
 * The caller passes platform's `startService` (libs/testing does not depend on the platform,
 * whose own tests use libs/testing).
 */
import { apiClient, type ApiClient } from './api-client';
import { createIsolatedDatabase, dropNamespace, type IsolatedDatabase, serviceTestEnv, TEST_ADMIN_TOKEN, uniqueNamespace } from './isolation';

/** What the platform's `startService` gives back, as far as tests need it. */
export interface StartedService {
  url: string;
  close(): Promise<void>;
}

export interface ServiceUnderTest<S extends StartedService = StartedService> {
  svc: S;
  db: IsolatedDatabase;
  namespace: string;
  admin: ApiClient;
  /** A client holding a freshly issued token with these roles. */
  clientWith(roles: string[], name?: string): Promise<ApiClient>;
  close(): Promise<void>;
}

export async function startServiceUnderTest<D, S extends StartedService>(
  start: (definition: D, env: NodeJS.ProcessEnv) => Promise<S>,
  definition: D,
  extraEnv: Record<string, string> = {},
): Promise<ServiceUnderTest<S>> {
  const db = await createIsolatedDatabase();
  const namespace = uniqueNamespace();
  let svc: S;
  try {
    svc = await start(definition, serviceTestEnv(db, namespace, extraEnv));
  } catch (e) {
    await db.drop().catch(() => undefined);
    throw e;
  }
  // `svc` and `admin` may be replaced by a test that restarts the service; the rest follows them.
  const sut: ServiceUnderTest<S> = {
    svc, db, namespace, admin: apiClient(svc.url, TEST_ADMIN_TOKEN),
    clientWith: async (roles, name = roles.join('+')) => {
      const res = await sut.admin.post('/tokens', { name, roles });
      if (res.status !== 201) throw new Error(`issuing a ${roles.join('+')} token answered ${res.status}`);
      return apiClient(sut.svc.url, res.body.token);
    },
    close: async () => {
      await sut.svc.close();
      await dropNamespace(process.env.NATS_URL!, namespace).catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
  return sut;
}
