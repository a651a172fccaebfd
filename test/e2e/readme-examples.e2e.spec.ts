import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { eventually, startStack, type TestStack } from '../support/stack';

/**
 * Runs the README's curl examples as written, with bash and curl, against a test stack.
 *
 * A runnable block is a ```sh block right after a `<!-- readme-test -->` line; blocks run in README order in one
 * environment. The conventions (README "Walk-through with curl" says them for the reader too):
 * - `export NAME=<json.path from the answer>` sets NAME from the previous command's JSON answer (`items.0.id`);
 *   an answer without it yet (the worker has not synced) is asked again, up to 60 s.
 * - `export GW=...` and `ADMIN=<...>`: the test stack's gateway URL and admin key; `https://localhost:4010` is
 *   the test sandbox; every other command runs unchanged.
 * - Every curl answers 2xx, unless its trailing comment starts with the expected status (`# 400 ...`).
 */
const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const MARK = '<!-- readme-test -->';

export interface ReadmeCommand {
  /** The shell text, continuation lines joined, trailing comment removed. */
  shell: string;
  /** The status the README says it answers (from `# 4xx ...`), or undefined for any 2xx. */
  expect?: number;
  /** For `export NAME=<path from the answer>`: what to take from the previous answer. */
  take?: { name: string; path: string };
}

/** The runnable blocks of a README, as commands in order. */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  // The mark alone on its line (prose may quote it).
  const blocks = markdown.split(/^<!-- readme-test -->[ \t]*$/m).slice(1);
  for (const block of blocks) {
    const fence = /^\s*```sh\n([\s\S]*?)\n```/.exec(block);
    if (!fence) throw new Error(`${MARK} must be followed by a \`\`\`sh block: ${block.slice(0, 80)}`);
    let pending = '';
    for (const raw of fence[1].split('\n')) {
      const line = pending ? `${pending}\n${raw}` : raw;
      if (/\\$/.test(raw) || unbalancedQuote(line)) {
        pending = line;
        continue;
      }
      pending = '';
      const { code, comment } = splitComment(line);
      if (!code.trim()) continue;
      const take = /^\s*export\s+([A-Z_][A-Z0-9_]*)=<([\w.]+) from the answer>\s*$/.exec(code);
      if (take) {
        out.push({ shell: '', take: { name: take[1], path: take[2] } });
        continue;
      }
      const status = /^\s*([1-5]\d\d)\b/.exec(comment);
      out.push({ shell: code, expect: status ? Number(status[1]) : undefined });
    }
  }
  return out;
}

function unbalancedQuote(text: string): boolean {
  return (splitComment(text).code.match(/'/g)?.length ?? 0) % 2 === 1;
}

/** A line's code and its trailing `# comment`, honouring single quotes (JSON bodies) and double quotes. */
function splitComment(line: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return { code: line.slice(0, i), comment: line.slice(i + 1).trim() };
  }
  return { code: line, comment: '' };
}

function pick(body: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), body);
}

describe('README examples work as written', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('parses the marked blocks of README.md', () => {
    const commands = readmeCommands(readFileSync(resolve(ROOT, 'README.md'), 'utf8'));
    expect(commands.filter((c) => c.shell.includes('curl')).length).toBeGreaterThan(20);
    expect(commands.some((c) => c.expect === 400)).toBe(true);
  });

  it('answers every curl line of the marked README blocks as the README says', async () => {
    const commands = readmeCommands(readFileSync(resolve(ROOT, 'README.md'), 'utf8'));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      GW: stack.baseUrl,
      ADMIN: stack.config.ADMIN_API_KEY!,
    };
    const sandbox = stack.sandbox.origin;
    const fixed = (shell: string) =>
      shell
        .replace(/https:\/\/localhost:4010/g, sandbox)
        // The test stack's own gateway URL and admin key stand for the ones npm start prints.
        .replace(/^\s*export GW=\S+ ADMIN=<[^>]+>\s*$/, ':');
    let last: { command: string; script: string; body: unknown } | undefined;
    const transcript: string[] = [];
    const exec = async (shell: string) => {
      // curl's own status line after the body; `-i` answers are cut after their headers.
      const script = `set -e\ncurl() { command curl -w '\\n__HTTP_STATUS__%{http_code}' "$@"; }\n${shell}\n`;
      const { stdout } = await run('bash', ['-c', script], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
      const at = stdout.lastIndexOf('__HTTP_STATUS__');
      const status = at >= 0 ? Number(stdout.slice(at + '__HTTP_STATUS__'.length).trim()) : 0;
      let text = at >= 0 ? stdout.slice(0, at) : stdout;
      if (/^HTTP\/[\d.]+ \d{3}/.test(text)) text = text.slice(text.search(/\r?\n\r?\n/) + 1).trim();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status, body, script };
    };
    for (const c of commands) {
      if (c.take) {
        const { name, path } = c.take;
        if (!last) throw new Error(`export ${name}=<${path} from the answer> has no answer before it`);
        let value = pick(last.body, path);
        const deadline = Date.now() + 60_000;
        while ((value === undefined || value === null) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          last = { ...last, body: (await exec(last.script.split('\n').slice(2, -1).join('\n'))).body };
          value = pick(last.body, path);
        }
        if (value === undefined || value === null)
          throw new Error(`${name}: no ${path} in the answer to\n${last.command}\n${JSON.stringify(last.body).slice(0, 1000)}`);
        env[name] = String(value);
        transcript.push(`${name}=${String(value).slice(0, 60)}`);
        continue;
      }
      const shell = fixed(c.shell);
      if (shell === ':') continue;
      if (!shell.includes('curl')) {
        // A plain shell line (export T=$GW/...): run it and keep what it exports.
        const { stdout } = await run('bash', ['-c', `${shell}\nenv -0`], { cwd: ROOT, env });
        for (const entry of stdout.split('\0')) {
          const eq = entry.indexOf('=');
          if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
        continue;
      }
      const res = await exec(shell);
      transcript.push(`${res.status} ${c.shell.split('\n')[0].slice(0, 120)}`);
      const ok = c.expect === undefined ? res.status >= 200 && res.status < 300 : res.status === c.expect;
      if (!ok) {
        throw new Error(
          `README example answered ${res.status} (expected ${c.expect ?? '2xx'}):\n${c.shell}\n${JSON.stringify(res.body).slice(0, 1500)}\n--- so far:\n${transcript.join('\n')}`,
        );
      }
      last = { command: c.shell, script: res.script, body: res.body };
    }
    if (process.env.README_TEST_VERBOSE) console.info(transcript.join('\n'));
    expect(transcript.length).toBeGreaterThan(20);

    // What the examples promise beyond their status: connections verify healthy, policies and items do not fail,
    // the restore succeeds.
    const api = stack.admin.withKey(env.KEY);
    const T = `/v1/tenants/${env.TENANT}`;
    for (const c of [env.C, env.AVEPOINT_C]) {
      const conn = await eventually(
        () => api.get(`${T}/connections/${c}`),
        (r) => r.body.health !== 'unknown',
        60_000,
      );
      expect({ id: c, health: conn.body.health, error: conn.body.lastError ?? null }).toEqual({ id: c, health: 'healthy', error: null });
    }
    const policies = await eventually(
      () => api.get(`${T}/policies?limit=200`),
      (r) => r.body.items.every((p: { status: string }) => ['active', 'failed'].includes(p.status)),
      60_000,
    );
    for (const p of policies.body.items)
      expect({ policy: p.displayName, status: p.status }).toEqual({ policy: p.displayName, status: 'active' });
    // A Veeam item is pending until its job first runs at the vendor (vendorStatus NotRun); none may fail.
    const settled = (i: { status: string; vendorStatus: string | null }) => i.status !== 'pending' || i.vendorStatus === 'NotRun';
    const items = (
      await eventually(
        () => api.get(`${T}/protected-items?limit=200`),
        (r) => r.body.items.every(settled),
        60_000,
      )
    ).body.items;
    expect(items).toHaveLength(4);
    for (const i of items) {
      expect({ item: i.externalId, status: i.status, error: i.error }).toEqual({
        item: i.externalId,
        status: expect.stringMatching(/^(protected|pending)$/),
        error: null,
      });
    }
    const job = await eventually(
      () => api.get(`${T}/restore-jobs/${env.JOB}`),
      (r) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(r.body.status),
      90_000,
    );
    expect(job.body.status).toBe('succeeded');
  }, 300_000);
});
