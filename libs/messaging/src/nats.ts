/**
 * Connecting to NATS and provisioning Runway's JetStream streams. Stream settings are explicit
 * configuration, never library defaults: file storage, replica count, retention and the
 * duplicate window that makes `Nats-Msg-Id` de-duplication work.
 */
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig,
} from '@nats-io/jetstream';
import { Subjects } from '@runway/contracts';
import type { MessagingLogger } from './logger';

export interface NatsSettings {
  /** One or more server URLs, comma separated. */
  servers: string;
  name: string;
  token?: string;
  user?: string;
  password?: string;
  /** Where replies arrive (`_INBOX` by default): a client whose NATS user may subscribe only under its own prefix needs it. */
  inboxPrefix?: string;
}

export interface StreamSettings {
  storage: 'file' | 'memory';
  replicas: number;
  maxAgeMs: number;
  duplicateWindowMs: number;
  maxBytes: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  storage: 'file',
  replicas: 1,
  maxAgeMs: 30 * 24 * 3600_000,
  duplicateWindowMs: 15 * 60_000,
  maxBytes: -1,
};

export async function connectNats(settings: NatsSettings, logger?: MessagingLogger): Promise<NatsConnection> {
  const nc = await connect({
    servers: settings.servers.split(',').map((s) => s.trim()).filter(Boolean),
    name: settings.name,
    token: settings.token,
    user: settings.user,
    pass: settings.password,
    inboxPrefix: settings.inboxPrefix,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
  });
  if (logger) {
    void (async () => {
      for await (const s of nc.status()) {
        // An error is how the server's refusals arrive (a permissions violation): say which.
        if (s.type === 'error') logger.warn({ nats: s.type, err: s.error?.message }, `nats ${s.type}`);
        else if (s.type === 'disconnect' || s.type === 'reconnect') logger.warn({ nats: s.type }, `nats ${s.type}`);
      }
    })().catch(() => undefined);
  }
  return nc;
}

function streamConfig(name: string, subjects: string[], s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects,
    storage: s.storage === 'file' ? StorageType.File : StorageType.Memory,
    num_replicas: s.replicas,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes,
    duplicate_window: nanos(s.duplicateWindowMs),
  };
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(config.name);
      const current = info.config;
      const drift =
        JSON.stringify(current.subjects) !== JSON.stringify(config.subjects) ||
        current.num_replicas !== config.num_replicas ||
        current.max_age !== config.max_age ||
        current.duplicate_window !== config.duplicate_window ||
        current.max_bytes !== config.max_bytes ||
        (config.max_msgs_per_subject !== undefined && current.max_msgs_per_subject !== config.max_msgs_per_subject);
      if (drift) {
        const { storage: _storage, ...updatable } = config;
        await jsm.streams.update(config.name, updatable);
      }
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await jsm.streams.add(config);
      return;
    } catch (e) {
      // Another replica created it between our look and our add: look again.
      if (attempt >= 3) throw e;
    }
  }
}

export function isNotFound(e: unknown): boolean {
  const err = e as { code?: number; status?: number; name?: string; message?: string };
  return err?.name === 'StreamNotFoundError' || err?.name === 'ConsumerNotFoundError' || err?.code === 404 ||
    err?.status === 404 || /not found/i.test(err?.message ?? '');
}

/** Creates or updates Runway's event and dead-letter streams. Safe to call from every replica. */
export async function provisionStreams(nc: NatsConnection, subjects: Subjects, settings: StreamSettings): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, streamConfig(subjects.eventStream, [subjects.eventWildcard], settings));
  await ensureStream(jsm, streamConfig(subjects.deadLetterStream, [subjects.deadLetterWildcard], settings));
  // Heartbeats: an hour is plenty, and only the latest few per host matter.
  await ensureStream(jsm, {
    ...streamConfig(subjects.telemetryStream, [subjects.telemetryWildcard], { ...settings, maxAgeMs: Math.min(settings.maxAgeMs, 3600_000), duplicateWindowMs: 60_000 }),
    max_msgs_per_subject: 10,
  });
  return jsm;
}
