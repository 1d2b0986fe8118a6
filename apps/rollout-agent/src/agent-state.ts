/**
 * What the agent must remember across restarts: the revision it runs and the outcome of each
 * deploy it was asked for. Written atomically (temp file, fsync, rename) before and after each
 * deploy, so a crash at any moment leaves either the old state or the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployStatus } from '@runway/contracts';

export interface DeployRecord {
  status: DeployStatus;
  revision: string;
  rolloutId: string;
  at: string;
  outputTail?: string;
}

export interface AgentStateData {
  runningRevision?: string;
  deploys: Record<string, DeployRecord>;
}

const KEEP = 500;

export class AgentState {
  private data: AgentStateData;
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.json');
    try {
      this.data = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      this.data = { deploys: {} };
    }
  }

  get runningRevision(): string | undefined {
    return this.data.runningRevision;
  }

  deploy(id: string): DeployRecord | undefined {
    return this.data.deploys[id];
  }

  record(id: string, rec: DeployRecord, runningRevision?: string): void {
    this.data.deploys[id] = rec;
    if (runningRevision) this.data.runningRevision = runningRevision;
    const ids = Object.keys(this.data.deploys);
    if (ids.length > KEEP) for (const old of ids.slice(0, ids.length - KEEP)) delete this.data.deploys[old];
    this.persist();
  }

  private persist(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}
