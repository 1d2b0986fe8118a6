/** Runs one shell command (deploy, rollback, health check) with a timeout, keeping its output's tail. */
import { spawn } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  tail: string;
  durationMs: number;
}

const TAIL_BYTES = 8192;

export function runCommand(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, onOutput?: () => void): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
      onOutput?.();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
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
      resolve({ ok: code === 0, code, tail, durationMs: Date.now() - started });
    });
  });
}
