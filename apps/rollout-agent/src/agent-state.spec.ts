import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentState, type DeployRecord } from './agent-state';

const rec = (revision: string, status: DeployRecord['status'] = 'succeeded'): DeployRecord => ({
  status, revision, rolloutId: 'r-1', at: '2024-05-01T12:00:00Z',
});

describe('AgentState', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runway-agent-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts empty, and a new instance reads back what the last one recorded', () => {
    const first = new AgentState(dir);
    expect(first.runningRevision).toBeUndefined();
    first.record('d-1', rec('aaaaaaa', 'started'));
    first.record('d-1', { ...rec('aaaaaaa'), outputTail: 'done' }, 'aaaaaaa');
    first.record('d-2', rec('bbbbbbb', 'failed'));

    const second = new AgentState(dir);
    expect(second.runningRevision).toBe('aaaaaaa');
    expect(second.deploy('d-1')).toEqual({ ...rec('aaaaaaa'), outputTail: 'done' });
    expect(second.deploy('d-2')?.status).toBe('failed');
    expect(second.deploy('d-3')).toBeUndefined();
  });

  it('keeps the 500 most recent deploy records', () => {
    const state = new AgentState(dir);
    for (let i = 1; i <= 503; i++) state.record(`deploy-${i}`, rec('ccccccc'));
    const reread = new AgentState(dir);
    expect(reread.deploy('deploy-1')).toBeUndefined();
    expect(reread.deploy('deploy-3')).toBeUndefined();
    expect(reread.deploy('deploy-4')).toBeDefined();
    expect(reread.deploy('deploy-503')).toBeDefined();
  });

  it('starts empty from a corrupt state.json, and can record again', () => {
    writeFileSync(join(dir, 'state.json'), '{"runningRevision": "aaa', 'utf8');
    const state = new AgentState(dir);
    expect(state.runningRevision).toBeUndefined();
    expect(state.deploy('d-1')).toBeUndefined();
    state.record('d-1', rec('ddddddd'), 'ddddddd');
    expect(new AgentState(dir).runningRevision).toBe('ddddddd');
  });
});
