/**
 * Runs one shell command for Runway (an agent's deploy, rollback, health check, cowboy scan;
 * rollout's preflight) with a timeout, keeping its output's tail. A command sees only the
 * variables named for it: the ones its caller passes, a few a shell needs (PATH, HOME, locale,
 * time zone, temporary directory), and those an operator lists by name to pass through. So it
 * never sees the process's database URL, tokens or NATS credentials. Nothing here loads Nest:
 * the agent uses it too (`@runway/platform/command`).
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  tail: string;
  durationMs: number;
}

const TAIL_BYTES = 8192;

/** What a shell and the tools it runs expect to find; nothing of Runway's. */
const BASE = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM'];

/** Names that are never passed, even when listed: the credentials of Runway's own processes. */
const NEVER = /^(RUNWAY_AGENT_TOKEN|RUNWAY_ADMIN_TOKEN|NATS_(TOKEN|PASSWORD|USER|NKEY|CREDS)|DATABASE_URL|PG(PASSWORD|USER|HOST|DATABASE))$/;

/**
 * The environment of a command: `named` (what the caller passes for it), the shell's basics
 * from `base`, and each of `passThrough` (names an operator configured) that `base` has.
 */
export function commandEnvironment(named: NodeJS.ProcessEnv, passThrough: readonly string[] = [], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(base)) {
    if ((BASE.includes(key) || key.startsWith('LC_') || passThrough.includes(key)) && !NEVER.test(key)) env[key] = base[key];
  }
  for (const [key, value] of Object.entries(named)) if (value !== undefined && !NEVER.test(key)) env[key] = value;
  return env;
}

/** A list of variable names, as an operator writes it: `HTTP_PROXY,LP_CONFIG` (commas or spaces). */
export function parseNames(list: string | undefined): string[] {
  return (list ?? '').split(/[\s,]+/).filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
}

export function runCommand(
  command: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onOutput?: (tail: string) => void,
  passThrough: readonly string[] = [],
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: commandEnvironment(env, passThrough), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let tail = '';
    // One decoder per stream, so a character split across two reads stays whole.
    const keep = (decoder: StringDecoder) => (chunk: Buffer) => {
      tail = (tail + decoder.write(chunk)).slice(-TAIL_BYTES);
      onOutput?.(tail);
    };
    child.stdout.on('data', keep(new StringDecoder('utf8')));
    child.stderr.on('data', keep(new StringDecoder('utf8')));
    const timer = setTimeout(() => {
      tail += `\n[runway] timed out after ${timeoutMs} ms; killed`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, tail: `${tail}\n[runway] ${e.message}`.slice(-TAIL_BYTES), durationMs: Date.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, code, tail: tail.slice(-TAIL_BYTES), durationMs: Date.now() - started });
    });
  });
}
