import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { GatewayMetrics } from '../../apps/gateway/src/metrics/gateway-metrics';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics';

const ROOT = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

/** Series names a registry exposes: each metric, and a histogram's _bucket/_sum/_count. */
async function exposed(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new GatewayMetrics().registry, new WorkerMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
    }
  }
  return names;
}

/** The dashboards and scrape configs under deploy/ stay in step with the code (parse, and name only real series). */
describe('observability deploy files', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/backup-gateway.json')) as {
    uid: string;
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };

  it('every series the dashboard queries exists in the gateway or worker registry', async () => {
    const names = await exposed();
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\bbg_[a-z0-9_]+/g) ?? [])));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
  });

  it('has a panel for each series of the brief', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const series of [
      'bg_http_request_duration_seconds',
      'bg_queue_jobs',
      'bg_queue_oldest_waiting_age_seconds',
      'bg_vendor_call_duration_seconds',
      'bg_vendor_call_errors_total',
      'bg_vendor_throttle_wait_seconds',
      'bg_webhook_delivery_lag_seconds',
      'bg_webhook_deliveries_total',
      'bg_restore_jobs_total',
      'bg_backup_runs_total',
      'bg_process_cpu_seconds_total',
    ])
      expect(exprs).toContain(series);
  });

  it('prometheus scrapes the gateway and the worker on the ports compose gives them', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = Object.fromEntries(prom.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]));
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<string, { environment?: Record<string, string>; profiles?: string[]; volumes?: string[] }>;
    };
    expect(targets.gateway).toEqual([`gateway:${compose.services.gateway.environment!.METRICS_PORT}`]);
    expect(targets.worker).toEqual([`worker:${compose.services.worker.environment!.WORKER_METRICS_PORT}`]);
  });

  it('compose starts prometheus and grafana only under the observability profile, with the files mounted', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { profiles?: string[]; volumes?: string[] }> };
    const profiled = Object.entries(compose.services)
      .filter(([, s]) => s.profiles?.length)
      .map(([name, s]) => [name, s.profiles]);
    expect(profiled).toEqual([
      ['prometheus', ['observability']],
      ['grafana', ['observability']],
    ]);
    for (const v of [...compose.services.prometheus.volumes!, ...compose.services.grafana.volumes!]) {
      expect(existsSync(path.join(ROOT, v.split(':')[0]))).toBe(true);
    }
    const provisioning = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provisioning.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(datasource.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
  });
});
