import 'reflect-metadata';
import { allEventDefinitions, Events } from './catalogue';
import { EVENT_TYPE_PATTERN } from './envelope';
import { durableName, Subjects, subjectToken } from './subjects';

const landed = Events.RevisionLanded.type;
const heartbeat = Events.AgentHeartbeat.type;
const types = Object.values(Events).map((e) => e.type);

describe('the catalogue', () => {
  it('has types that match EVENT_TYPE_PATTERN and are all v1', () => {
    for (const type of types) {
      expect(type).toMatch(EVENT_TYPE_PATTERN);
      expect(type).toMatch(/\.v1$/);
    }
  });

  it('has unique names and unique types', () => {
    const names = Object.values(Events).map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(types).size).toBe(types.length);
    expect(allEventDefinitions()).toHaveLength(types.length);
  });
});

describe.each([
  ['without a namespace', '', ''],
  ['with namespace "ci-7"', 'ci-7', 'ci-7.'],
])('Subjects %s', (_label, namespace, p) => {
  const s = new Subjects(namespace);
  const streamPrefix = namespace ? 'CI_7_' : '';

  it('puts an event on <ns>runway.<type>.<key>, and telemetry under <ns>telemetry.', () => {
    expect(s.event(landed, 'stable')).toBe(`${p}runway.revision.landed.v1.stable`);
    expect(s.event(heartbeat, 'app1')).toBe(`${p}telemetry.runway.agent.heartbeat.v1.app1`);
    expect(s.allOf(landed)).toBe(`${p}runway.revision.landed.v1.>`);
    expect(s.allOf(heartbeat)).toBe(`${p}telemetry.runway.agent.heartbeat.v1.>`);
  });

  it('turns a key with dots, spaces or wildcards into one safe token', () => {
    const subject = s.event(Events.DeployRequested.type, 'app1.example.com *> x');
    expect(subject).toBe(`${p}runway.deploy.requested.v1.app1_example_com____x`);
    expect(subject.split('.')).toHaveLength(p.split('.').length + 4);
    expect(s.event(landed, '')).toBe(`${p}runway.revision.landed.v1._`);
  });

  it.each(types)('reads the type back from a subject of %s', (type) => {
    expect(s.typeOf(s.event(type, 'some.key'))).toBe(type);
  });

  it('finds no type in a subject without a version', () => {
    expect(s.typeOf(`${p}runway.revision.landed`)).toBeUndefined();
    expect(s.typeOf(`${p}telemetry.heartbeat`)).toBeUndefined();
  });

  // A dead-letter subject, or another installation's subject, is not an event subject.
  it('finds no type in a versioned subject that is not under <ns>runway. or <ns>telemetry.runway.', () => {
    expect(s.typeOf(s.deadLetter(s.event(landed, 'stable')))).toBeUndefined();
    expect(s.typeOf(`${p}orders.created.v1.x`)).toBeUndefined();
    expect(s.typeOf(`${p}other.runway.revision.landed.v1.stable`)).toBeUndefined();
  });

  it('dead-letters onto <ns>dlq.<original subject without ns>', () => {
    expect(s.deadLetter(s.event(landed, 'stable'))).toBe(`${p}dlq.runway.revision.landed.v1.stable`);
    expect(s.deadLetter(s.event(heartbeat, 'app1'))).toBe(`${p}dlq.telemetry.runway.agent.heartbeat.v1.app1`);
    expect(s.deadLetterWildcard).toBe(`${p}dlq.>`);
  });

  it('names the streams, prefixed by the upper-cased namespace, and routes each type to one', () => {
    expect(s.eventStream).toBe(`${streamPrefix}RUNWAY_EVENTS`);
    expect(s.telemetryStream).toBe(`${streamPrefix}RUNWAY_TELEMETRY`);
    expect(s.deadLetterStream).toBe(`${streamPrefix}RUNWAY_DLQ`);
    for (const def of Object.values(Events)) {
      expect(s.streamOf(def.type)).toBe(def.channel === 'telemetry' ? s.telemetryStream : s.eventStream);
    }
    expect(s.streamOf(heartbeat)).toBe(`${streamPrefix}RUNWAY_TELEMETRY`);
    expect(s.streamOf(landed)).toBe(`${streamPrefix}RUNWAY_EVENTS`);
  });
});

describe('Subjects namespace', () => {
  it.each(['a.b', 'a b', 'a*', 'a>'])('refuses %j', (ns) => {
    expect(() => new Subjects(ns)).toThrow(/namespace/);
  });

  it('accepts letters, digits, "_" and "-"', () => {
    expect(new Subjects('Team_1-x').prefix).toBe('Team_1-x.');
  });

  it('finds no type in a subject of another namespace', () => {
    expect(new Subjects('ci-7').typeOf('ci-8.runway.revision.landed.v1.stable')).toBeUndefined();
    expect(new Subjects('ci-7').typeOf('runway.revision.landed.v1.stable')).toBeUndefined();
  });
});

describe('subjectToken', () => {
  it('keeps safe characters and caps the length', () => {
    expect(subjectToken('stable-2_x')).toBe('stable-2_x');
    expect(subjectToken('x'.repeat(500))).toHaveLength(200);
  });
});

describe('durableName', () => {
  it('has no dots, and appends the key as one token', () => {
    const base = durableName('qa-gate', 'runway.revision.landed.v1');
    expect(base).toBe('qa-gate__runway_revision_landed_v1');
    expect(durableName('rollout-agent', 'runway.deploy.requested.v1', 'app1.example.com')).toBe(
      'rollout-agent__runway_deploy_requested_v1__app1_example_com',
    );
    expect(durableName('svc', 'runway.x.y.v1', 'a *>')).not.toMatch(/[.\s*>]/);
  });
});
