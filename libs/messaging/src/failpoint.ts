/**
 * Named places where a test can make this process die, to prove that a crash there loses
 * nothing and applies nothing twice. Inert unless RUNWAY_FAILPOINTS names the point; the
 * process then SIGKILLs itself, exactly as the kernel's OOM killer or a power cut would.
 */
export type FailpointName = 'consumer-after-commit' | 'relay-before-publish' | 'relay-after-publish' | 'agent-mid-deploy';

const armed = new Set((process.env.RUNWAY_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function failpoint(name: FailpointName): void {
  if (armed.size > 0 && armed.has(name)) {
    process.stderr.write(`failpoint ${name}: killing process ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
