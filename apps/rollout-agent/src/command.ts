/** Runs one shell command (deploy, rollback, health check) with a timeout, keeping its output's tail. */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  tail: string;
  durationMs: number;
}

const TAIL_BYTES = 8192;

/** The agent's own credentials: a deploy script has no business with them. */
const WITHHELD = ['RUNWAY_AGENT_TOKEN', 'NATS_TOKEN', 'NATS_PASSWORD', 'NATS_USER', 'RUNWAY_ADMIN_TOKEN'];

export function commandEnvironment(extra: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base, ...extra };
  for (const key of WITHHELD) delete env[key];
  return env;
}

export function runCommand(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, onOutput?: (tail: string) => void): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: commandEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let tail = '';
    // One decoder per stream, so a character split across two reads stays whole.
    const keep = (decoder: StringDecoder) => (chunk: Buffer) => {
      tail = (tail + decoder.write(chunk)).slice(-TAIL_BYTES);
      onOutput?.(tail);
    };
    child.stdout.on('data', keep(new StringDecoder('utf8')));
    child.stderr.on('data', keep(new StringDecoder('utf8')));
    const timer = setTimeout(() => {
      tail += `\n[runway-agent] timed out after ${timeoutMs} ms; killed`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, tail: `${tail}\n[runway-agent] ${e.message}`.slice(-TAIL_BYTES), durationMs: Date.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, code, tail: tail.slice(-TAIL_BYTES), durationMs: Date.now() - started });
    });
  });
}
