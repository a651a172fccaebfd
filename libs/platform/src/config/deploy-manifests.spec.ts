import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configSchema } from './config';

const ROOT = path.resolve(__dirname, '../../../..');
const K8S = path.join(ROOT, 'deploy/k8s');

type Manifest = Record<string, any>;

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(K8S)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8')).map((d) => {
        if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
        return { file, doc: d.toJSON() as Manifest };
      }),
    );
}

const CONFIG_NAMES = new Set(Object.keys(configSchema.shape));

/** Drift check: the Kubernetes manifests and the compose file agree with themselves and with the config schema. */
describe('deployment manifests (deploy/k8s, docker-compose.yml)', () => {
  const all = manifests();
  const byKind = (kind: string) => all.filter((m) => m.doc.kind === kind).map((m) => m.doc);
  const named = (kind: string, name: string) => byKind(kind).find((d) => d.metadata.name === name);

  it('has the gateway Deployment, Service and HPA, the worker Deployment, the migrations Job, a Secret and a ConfigMap', () => {
    expect(all.map((m) => m.doc.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'Secret', 'Service'].sort(),
    );
    const kustomization = parseAllDocuments(readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'))[0].toJSON() as Manifest;
    expect([...kustomization.resources].sort()).toEqual([...new Set(all.map((m) => m.file))].sort());
  });

  it('selects pods by the labels their templates carry (Deployments, Service, HPA target)', () => {
    for (const d of byKind('Deployment')) {
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
    const gateway = byKind('Deployment').find((d) => d.spec.template.metadata.labels['app.kubernetes.io/component'] === 'gateway')!;
    const service = byKind('Service')[0];
    expect(gateway.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const ports = gateway.spec.template.spec.containers[0].ports.map((p: Manifest) => p.name);
    expect(ports).toContain(service.spec.ports[0].targetPort);
    const hpa = byKind('HorizontalPodAutoscaler')[0];
    expect(named('Deployment', hpa.spec.scaleTargetRef.name)).toBe(gateway);
    const worker = byKind('Deployment').find((d) => d.spec.template.metadata.labels['app.kubernetes.io/component'] === 'worker');
    expect(worker).toBeDefined();
    // The Service must not catch worker or migration pods.
    expect(worker!.spec.template.metadata.labels).not.toMatchObject(service.spec.selector);
  });

  it('probes the gateway on /health/ready and /health/live', () => {
    const gateway = named('Deployment', 'backup-gateway-gateway')!;
    const c = gateway.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
  });

  it('names only variables the config schema knows, and the Secret holds the secrets', () => {
    const configMap = byKind('ConfigMap')[0];
    const secret = byKind('Secret')[0];
    for (const name of [...Object.keys(configMap.data), ...Object.keys(secret.stringData)]) expect(CONFIG_NAMES).toContain(name);
    expect(Object.keys(secret.stringData)).toEqual(expect.arrayContaining(['ADMIN_API_KEY', 'MASTER_KEY', 'DATABASE_URL', 'REDIS_URL']));
    for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
      for (const c of d.spec.template.spec.containers) {
        for (const e of c.env ?? []) expect(CONFIG_NAMES).toContain(e.name);
        const refs = (c.envFrom ?? []).map((r: Manifest) => r.configMapRef?.name ?? r.secretRef?.name);
        expect(refs.sort()).toEqual([configMap.metadata.name, secret.metadata.name].sort());
      }
    }
  });

  it('lets docker compose scale gateway and worker: neither publishes a fixed host port', () => {
    const compose = parseAllDocuments(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'))[0].toJSON() as Manifest;
    expect(compose.services.gateway.ports).toBeUndefined();
    expect(compose.services.worker.ports).toBeUndefined();
    expect(compose.services.proxy.ports).toEqual(['3000:3000']);
    const env = compose['x-app'].environment as Record<string, string>;
    const extra = new Set(['SANDBOX_CERT_PATH', 'NODE_EXTRA_CA_CERTS']);
    for (const name of Object.keys(env)) if (!extra.has(name)) expect(CONFIG_NAMES).toContain(name);
  });
});
