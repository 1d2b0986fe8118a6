import { runCommand } from './command';

describe('runCommand', () => {
  it('reports success, the exit code and the output tail', async () => {
    await expect(runCommand('echo hi', {}, 10_000)).resolves.toMatchObject({ ok: true, code: 0, tail: 'hi\n' });
  });

  it('reports a failing exit code, with stderr in the tail', async () => {
    await expect(runCommand('echo oops >&2; exit 3', {}, 10_000)).resolves.toMatchObject({ ok: false, code: 3, tail: 'oops\n' });
  });

  it('keeps only the last 8192 bytes of a large output', async () => {
    const r = await runCommand(`head -c 100000 /dev/zero | tr '\\0' x; printf END`, {}, 10_000);
    expect(r.ok).toBe(true);
    expect(r.tail).toHaveLength(8192);
    expect(r.tail.endsWith('xxxEND')).toBe(true);
  });

  // A character split across two reads of the pipe must stay whole in the tail a person reads.
  it('keeps a UTF-8 character that arrives split across two writes', async () => {
    const r = await runCommand(`printf '\\303'; sleep 0.5; printf '\\251'`, {}, 10_000);
    expect(r.tail).toBe('é');
  });

  it('passes the given environment variables to the command', async () => {
    const r = await runCommand('printf "%s" "$RUNWAY_REVISION"', { RUNWAY_REVISION: 'abc1234' }, 10_000);
    expect(r.tail).toBe('abc1234');
  });

  it('kills a command that runs past its timeout, and says so', async () => {
    const started = Date.now();
    const r = await runCommand('echo begun; sleep 30; echo never', {}, 300);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.ok).toBe(false);
    expect(r.tail).toMatch(/^begun\n[\s\S]*timed out after 300 ms/);
    expect(r.tail).not.toContain('never');
  });
});
