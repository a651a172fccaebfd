import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The repository carries its own vendor contracts (apps/sandbox/specs): no code, test, script or benchmark
 * may read a path outside the repository, or a clone with nothing beside it fails.
 */
const ROOT = resolve(__dirname, '../..');
const SCANNED = [
  'apps',
  'libs',
  'test',
  'bench',
  'scripts',
  'jest.config.js',
  'nest-cli.json',
  'package.json',
  'Dockerfile',
  'docker-compose.yml',
];
const SOURCE = /\.(ts|js|mjs|cjs|json)$|Dockerfile$|\.ya?ml$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.data', 'specs']);
// A path that leaves the repository: a quoted absolute path into the machine's work or shared folders, or a
// relative one up into the sibling shared or tool-library folders. Built from parts, so this file names none.
const UP = '\\.\\./';
const OUTSIDE = new RegExp(`(['"\`]/${'wo' + 'rk'}/|['"\`]/${'sha' + 'red'}/|${UP}${'sha' + 'red'}\\b|${UP}\\.library\\b)`);

function files(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return SOURCE.test(path) ? [path] : [];
  return readdirSync(path)
    .filter((name) => !SKIP_DIRS.has(name))
    .flatMap((name) => files(join(path, name)));
}

describe('the repository reads nothing outside itself', () => {
  const scanned = SCANNED.map((p) => join(ROOT, p)).flatMap((p) => {
    try {
      return files(p);
    } catch {
      return [];
    }
  });

  it('scans the source tree (guards against scanning nothing)', () => {
    expect(scanned.length).toBeGreaterThan(200);
    expect(scanned.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['test/conformance/graph.catalog-coverage.spec.ts']));
  });

  it('has no path to a file outside the repository in code, tests, scripts or benchmarks', () => {
    const self = __filename;
    const hits = scanned
      .filter((f) => f !== self)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(ROOT, f)}:${i + 1}` }))
          .filter(({ line }) => OUTSIDE.test(line)),
      )
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    expect(hits).toEqual([]);
  });

  it('carries every spec and seed document the suites read', () => {
    const specs = join(ROOT, 'apps/sandbox/specs');
    for (const file of [
      'graph/backupRestore.v1.0.derived.openapi.yaml',
      'graph/seed-000-backup-storage-rest-api.txt',
      'avepoint/avepoint-cloud-backup-m365.summary.openapi.yaml',
      'avepoint/seed-001-execute-restore-job.txt',
      'veeam/vb365-rest-v8.trimmed.openapi.json',
      'veeam/seed-002-rest-api-backup-repositories.txt',
      'azure-dataprotection/dataprotection-2024-04-01.trimmed.swagger.json',
      'azure-dataprotection/seed-004-backup-blobs-arm-rest.txt',
      'SOURCE.md',
    ]) {
      expect(statSync(join(specs, file)).size).toBeGreaterThan(500);
    }
  });
});
