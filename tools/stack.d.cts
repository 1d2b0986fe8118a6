/** Types for stack.cjs, so TypeScript tests and benchmarks can use it. */
import type { ChildProcess } from 'node:child_process';

export interface ProcessHandle {
  name: string;
  proc: ChildProcess;
  url: string | undefined;
  logFile: string;
  pid: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  log(): string;
}

export type ServiceName = 'qa-gate' | 'promotion' | 'rollout' | 'flags' | 'trail';
export interface Stack {
  services: Record<ServiceName, ProcessHandle & { url: string }>;
  url(name: ServiceName): string;
  stop(): Promise<void>;
}

export declare const ROOT: string;
export declare const SERVICES: Record<ServiceName, number>;
export declare function startService(name: ServiceName, env: Record<string, string | undefined>, opts?: { logDir?: string; port?: number; readyMs?: number }): Promise<ProcessHandle & { url: string }>;
export declare function startStack(env: Record<string, string | undefined>, opts?: { logDir?: string; ports?: Partial<Record<ServiceName, number>> }): Promise<Stack>;
export declare function startAgent(env: Record<string, string | undefined>, opts?: { logDir?: string; waitReadyMs?: number }): Promise<ProcessHandle>;
export declare function startDashboard(env: Record<string, string | undefined>, serviceUrls: Record<ServiceName, string>, opts?: { logDir?: string; port?: number }): Promise<ProcessHandle & { url: string }>;
export declare function issueToken(serviceUrl: string, adminToken: string, body: { name: string; roles: string[]; host?: string }): Promise<string>;
export declare function sleep(ms: number): Promise<void>;
