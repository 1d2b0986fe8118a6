/**
 * Named places where a test can make this process die, to prove that a crash there loses
 * nothing and applies nothing twice. Inert unless RUNWAY_FAILPOINTS names the point; the
 * process then SIGKILLs itself, exactly as the kernel's OOM killer or a power cut would.
 * `name` fires at every pass; `name:detail` only where the detail matches (an event type).
 */
export type FailpointName = 'consumer-after-commit' | 'relay-before-publish' | 'relay-after-publish' | 'agent-mid-deploy';

const armed = new Set((process.env.RUNWAY_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function failpoint(name: FailpointName, ...details: string[]): void {
  if (armed.size === 0) return;
  if (armed.has(name) || details.some((d) => armed.has(`${name}:${d}`))) {
    process.stderr.write(`failpoint ${name}: killing process ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
