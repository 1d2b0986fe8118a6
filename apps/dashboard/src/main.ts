/** The operator dashboard: serves the browser app, proxies the services' APIs, pushes live updates. */
import { join } from 'node:path';
import { Subjects } from '@runway/contracts';
import { loadConfig } from './config';
import { LiveHub } from './live';
import { buildServer } from './server';

async function main(): Promise<void> {
  const config = loadConfig(process.env, join(__dirname, 'public'));
  const live = new LiveHub(new Subjects(config.namespace), {
    info: (o, m) => app.log.info(o, m),
    warn: (o, m) => app.log.warn(o, m),
  });
  const app = buildServer(config, live);
  live.start(config.natsServers, config.natsAuth);
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address, services: config.serviceUrls, namespace: config.namespace || '(none)' }, 'dashboard listening');
  const stop = async () => {
    await live.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
