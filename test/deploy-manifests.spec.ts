/**
 * The deploy/ folder is checked like code: every Kubernetes object validates against its schema
 * (kubernetes-models), the manifests keep Runway's invariants (probes on the health endpoints,
 * replicas, limits, non-root, a three-server JetStream cluster with three stream replicas,
 * kustomization listing every manifest), docker-compose.yml runs entries that exist, and the
 * agent's systemd unit restarts and runs as an unprivileged user.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const root = join(__dirname, '..');
const k8sDir = join(root, 'deploy', 'kubernetes');

/** The five API services: each serves /health/live and /health/ready and runs replicated. */
const SERVICES = ['qa-gate', 'promotion', 'rollout', 'flags', 'trail'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // Manifests are arbitrary nested YAML; the assertions are the type check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}

interface Manifest {
  file: string;
  object: K8sObject;
}

const manifestFiles = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();

function loadManifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const file of manifestFiles) {
    const docs = parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8'));
    for (const doc of docs) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as K8sObject | null;
      if (object !== null) out.push({ file, object });
    }
  }
  return out;
}

const manifests = loadManifests();

/** The kubernetes-models class for an object: `apps/v1` + `Deployment` → kubernetes-models/apps/v1/Deployment. */
function modelClass(apiVersion: string, kind: string): new (o: unknown) => { validate(): void } {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) throw new Error(`not an apiVersion/kind: ${apiVersion} ${kind}`);
  let mod: Record<string, new (o: unknown) => { validate(): void }>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(`kubernetes-models/${apiVersion}/${kind}`);
  } catch {
    throw new Error(`unknown kind ${kind} of ${apiVersion}: kubernetes-models has no schema for it`);
  }
  return mod[kind];
}

const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind);
const deployment = (name: string) => byKind('Deployment').find((m) => m.object.metadata.name === name)?.object;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mainContainer = (o: K8sObject): any => o.spec.template.spec.containers.find((c: { name: string }) => c.name === o.metadata.name) ?? o.spec.template.spec.containers[0];

describe('deploy/kubernetes', () => {
  it('holds the manifests Runway needs', () => {
    expect(manifests.length).toBeGreaterThan(10);
    expect(byKind('Deployment').map((m) => m.object.metadata.name).sort()).toEqual([...SERVICES, 'dashboard'].sort());
    expect(byKind('StatefulSet').map((m) => m.object.metadata.name)).toEqual(['nats']);
  });

  it.each(manifests.map((m) => [`${m.file}: ${m.object.kind} ${m.object.metadata?.name}`, m] as const))('%s validates against its Kubernetes schema', (_, m) => {
    const Model = modelClass(m.object.apiVersion, m.object.kind);
    expect(() => new Model(m.object).validate()).not.toThrow();
    expect(m.object.metadata.namespace).toBe(m.object.kind === 'Namespace' ? undefined : 'runway');
  });

  it('fails on an object of a kind it has no schema for, and on a schema error', () => {
    expect(() => modelClass('v1', 'NotAKind')).toThrow(/unknown kind NotAKind/);
    const Deployment = modelClass('apps/v1', 'Deployment');
    expect(() => new Deployment({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } }).validate()).toThrow();
  });

  it.each(SERVICES)('runs %s replicated, probed on /health/ready and /health/live, limited and non-root', (name) => {
    const d = deployment(name)!;
    expect(d).toBeDefined();
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    const c = mainContainer(d);
    expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
    // The probes reach the port the process listens on.
    const port = c.ports.find((p: { name?: string }) => p.name === c.readinessProbe.httpGet.port)?.containerPort ?? c.readinessProbe.httpGet.port;
    expect(String(port)).toBe(c.env.find((e: { name: string }) => e.name === 'PORT')?.value);
    expect(c.livenessProbe.httpGet.port).toBe(c.readinessProbe.httpGet.port);
    expectLimitsAndNonRoot(d);
    expect(c.args ?? c.command).toEqual(['node', `apps/${name}/dist/main.js`]);
  });

  it('runs one dashboard (its sessions live in memory), probed, limited and non-root', () => {
    const d = deployment('dashboard')!;
    expect(d.spec.replicas).toBe(1);
    const c = mainContainer(d);
    // The dashboard has no /health: /auth/session answers without a session.
    expect(c.readinessProbe?.httpGet?.path).toBe('/auth/session');
    expect(c.livenessProbe?.httpGet?.path).toBe('/auth/session');
    expectLimitsAndNonRoot(d);
    expect(c.args ?? c.command).toEqual(['node', 'apps/dashboard/dist/main.js']);
  });

  it('runs NATS as a three-server cluster with JetStream, and streams with three replicas', () => {
    const nats = byKind('StatefulSet')[0].object;
    expect(nats.spec.replicas).toBe(3);
    const c = mainContainer(nats);
    const configFlag = c.command.indexOf('--config');
    expect(configFlag).toBeGreaterThan(-1);
    const configPath: string = c.command[configFlag + 1];
    const mount = c.volumeMounts.find((v: { mountPath: string }) => configPath.startsWith(`${v.mountPath}/`));
    const volume = nats.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const configMap = byKind('ConfigMap').find((m) => m.object.metadata.name === volume.configMap.name)!.object;
    const conf = configMap.data![configPath.slice(mount.mountPath.length + 1)];
    expect(conf).toMatch(/^\s*jetstream\s*\{[^}]*store_dir:\s*\/data\//m);
    expect(conf).toMatch(/^\s*cluster\s*\{/m);
    // One route per server.
    expect(conf.match(/nats:\/\/nats-\d\.nats:6222/g)).toHaveLength(3);
    expect(c.livenessProbe.httpGet.path).toContain('js-enabled-only=true');
    expectLimitsAndNonRoot(nats);

    const shared = byKind('ConfigMap').find((m) => m.object.metadata.name === 'runway-shared')!.object;
    expect(shared.data!.NATS_STREAM_REPLICAS).toBe('3');
    expect(shared.data!.NATS_URL.split(',')).toHaveLength(3);
  });

  it('lists every manifest in kustomization.yaml, except the Secret template', () => {
    const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
    expect(kustomization.kind).toBe('Kustomization');
    expect([...kustomization.resources].sort()).toEqual(manifestFiles.filter((f) => f !== 'secret.template.yaml'));
    for (const r of kustomization.resources) expect(existsSync(join(k8sDir, r))).toBe(true);
  });
});

function expectLimitsAndNonRoot(o: K8sObject): void {
  const pod = o.spec.template.spec;
  for (const c of pod.containers) {
    expect({ container: c.name, limits: c.resources?.limits }).toEqual({ container: c.name, limits: { cpu: expect.anything(), memory: expect.anything() } });
    expect({ container: c.name, runAsNonRoot: c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot }).toEqual({ container: c.name, runAsNonRoot: true });
    expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
  }
}

describe('docker-compose.yml', () => {
  // `<<:` merge keys, as Compose reads them.
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; build?: unknown; command?: string[] }>;
  };

  it('parses, and has Postgres, NATS, the five services, the dashboard and an example agent', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['agent', 'dashboard', 'flags', 'nats', 'postgres', 'promotion', 'qa-gate', 'rollout', 'trail']);
  });

  it('runs every Runway service from the entry its app builds', () => {
    const runway = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(runway.map(([n]) => n).sort()).toEqual(['agent', 'dashboard', 'flags', 'promotion', 'qa-gate', 'rollout', 'trail']);
    for (const [name, s] of runway) {
      expect({ name, command: s.command }).toEqual({ name, command: ['node', expect.stringMatching(/^apps\/[a-z-]+\/dist\/main\.js$/)] });
      const app = s.command![1].split('/')[1];
      expect({ name, app, source: existsSync(join(root, 'apps', app, 'src', 'main.ts')) }).toEqual({ name, app, source: true });
    }
  });
});

describe('deploy/systemd/runway-agent.service', () => {
  const unit = readFileSync(join(root, 'deploy', 'systemd', 'runway-agent.service'), 'utf8');
  /** `Key=value` lines of one [Section], comments left out. */
  const section = (name: string): [string, string][] => {
    const out: [string, string][] = [];
    let current = '';
    for (const raw of unit.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[(.+)\]$/.exec(line);
      if (header) current = header[1];
      else if (current === name) {
        const eq = line.indexOf('=');
        if (eq > 0) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
      }
    }
    return out;
  };
  const service = section('Service');
  const values = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);

  it('starts the agent entry the app builds', () => {
    expect(values('ExecStart')).toHaveLength(1);
    const [bin, script] = values('ExecStart')[0].split(/\s+/);
    expect(bin).toMatch(/\/node$/);
    const app = /\/apps\/([a-z-]+)\/dist\/main\.js$/.exec(script);
    expect(app?.[1]).toBe('rollout-agent');
    expect(existsSync(join(root, 'apps', app![1], 'src', 'main.ts'))).toBe(true);
  });

  it('restarts the agent when it stops', () => {
    expect(values('Restart')).toHaveLength(1);
    expect(values('Restart')[0]).toMatch(/^(always|on-failure|on-abnormal)$/);
  });

  it('runs as an unprivileged user', () => {
    expect(values('User')).toHaveLength(1);
    expect(values('User')[0]).not.toMatch(/^(root|0)$/);
    expect(values('Group').every((g) => g !== 'root' && g !== '0')).toBe(true);
    expect(section('Install').find(([k]) => k === 'WantedBy')?.[1]).toBe('multi-user.target');
  });
});
