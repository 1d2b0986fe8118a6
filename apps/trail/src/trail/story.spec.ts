import { Events } from '@runway/contracts';
import { rolloutWindow, tellStory } from './story';
import type { EntryRow, RevisionRow } from './trail.repository';

const SHA = 'a'.repeat(40);
let seq = 0;
const row = (type: string, time: string, over: Partial<EntryRow> = {}, data: object = {}): EntryRow => ({
  seq: String(++seq), event_id: `e${seq}`, type, time: new Date(time), source: 'runway/x', subject: null, actor: 'runway', actor_kind: 'runway',
  actor_roles: [], reason: null, correlation_id: null, summary: type, revisions: [SHA], hosts: [], rollout_id: null, track: null, revno: null,
  event: { data }, ...over,
});
const revision: RevisionRow = { sha: SHA, branch: 'stable', revno: 6, landed_at: new Date('2026-12-05T09:00:00Z'), landed_with: null, build_url: null, message: 'Fix', author: 'Ada' };

describe('a revision\'s story', () => {
  const landed = row(Events.RevisionLanded.type, '2026-12-05T09:00:05Z');
  const passed = row(Events.QaPassed.type, '2026-12-05T10:00:00Z');
  const promoted = row(Events.Promoted.type, '2026-12-05T10:00:02Z');
  const deploy = row(Events.DeployReported.type, '2026-12-05T10:01:00Z', { rollout_id: 'r1', hosts: ['app1'] });
  const everywhere = row(Events.RunningEverywhere.type, '2026-12-05T10:01:01Z', {}, { at: '2026-12-05T10:01:00.500Z' });
  const flag = row(Events.FlagChanged.type, '2026-12-05T10:00:30Z', { revisions: [] });

  it('tells its steps once each, in time order, with stages, and its lead time from landing to running everywhere', () => {
    const story = tellStory(revision, [everywhere, landed, passed, promoted, deploy], [flag, deploy]);
    expect(story.steps.map((s) => s.stage)).toEqual(['landed', 'qa-passed', 'promoted', 'flag', 'deploy', 'everywhere']);
    expect(story.times).toEqual({
      landed: '2026-12-05T09:00:00.000Z', qaPassed: '2026-12-05T10:00:00.000Z', promoted: '2026-12-05T10:00:02.000Z', runningEverywhere: '2026-12-05T10:01:00.500Z',
    });
    expect(story.leadTime).toEqual({ landedToQaPassed: 3600, qaPassedToPromoted: 2, promotedToEverywhere: 58.5, total: 3660.5 });
  });

  it('tells each server\'s deploy once: its outcome, not its request and start', () => {
    const d = (type: string, time: string, status?: string) => row(type, time, { rollout_id: 'r1', hosts: ['app2'] }, { deployId: 'd2', status });
    const story = tellStory(revision, [d(Events.DeployRequested.type, '2026-12-05T10:02:00Z'), d(Events.DeployReported.type, '2026-12-05T10:02:01Z', 'started'),
      d(Events.DeployReported.type, '2026-12-05T10:02:09Z', 'rolled-back')], []);
    expect(story.steps.map((s) => [s.stage, (s.event as { data: { status?: string } }).data.status])).toEqual([['deploy', 'rolled-back']]);
  });

  it('leaves the stages not reached yet empty', () => {
    const story = tellStory(revision, [landed], []);
    expect(story.leadTime).toEqual({ landedToQaPassed: null, qaPassedToPromoted: null, promotedToEverywhere: null, total: null });
  });

  it('looks for holds, cowboys and flag changes from its first rollout step to running everywhere, on the servers it went to', () => {
    expect(rolloutWindow([landed], new Date())).toBeNull();
    expect(rolloutWindow([landed, deploy, everywhere], new Date())).toEqual({ from: deploy.time, to: everywhere.time, hosts: ['app1'] });
  });
});
