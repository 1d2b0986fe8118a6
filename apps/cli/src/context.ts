/** What every command gets: options, resolved configuration, a client per service, and output. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { CliError, ExitCode } from './exit-codes';
import { type ConfigFile, defaultConfigPath, loadConfigFile, type ResolvedConfig, resolveConfig, type ServiceName } from './config';
import { ServiceClient } from './http';
import { type Io, json } from './output';

export interface GlobalOptions {
  json?: boolean;
  config?: string;
  url?: string;
  timeout?: number;
}

export interface Deps {
  io: Io;
  env: NodeJS.ProcessEnv;
  home: string;
}

export class Ctx {
  private resolved?: ResolvedConfig;
  private readonly clients = new Map<ServiceName, ServiceClient>();

  constructor(
    readonly deps: Deps,
    readonly opts: GlobalOptions,
  ) {}

  get io(): Io {
    return this.deps.io;
  }

  get env(): NodeJS.ProcessEnv {
    return this.deps.env;
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  get config(): ResolvedConfig {
    if (!this.resolved) {
      const explicit = this.opts.config ?? (this.env.RUNWAY_CONFIG || undefined);
      const configPath = explicit ?? defaultConfigPath(this.env, this.deps.home);
      const file: ConfigFile | undefined = loadConfigFile(configPath, explicit !== undefined);
      this.resolved = resolveConfig({ url: this.opts.url, env: this.env, file, configPath });
    }
    return this.resolved;
  }

  client(service: ServiceName): ServiceClient {
    let c = this.clients.get(service);
    if (!c) {
      c = new ServiceClient(service, this.config.urls[service], this.config.token, this.opts.timeout);
      this.clients.set(service, c);
    }
    return c;
  }

  /** A line on stdout. */
  out(text: string): void {
    this.io.out(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A line on stderr: notes for people that scripts reading stdout should not see. */
  note(text: string): void {
    this.io.err(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `--json`: the value; otherwise what `human` renders. */
  print(value: unknown, human: () => string): void {
    this.out(this.json ? json(value) : human());
  }
}

/** A commander argParser from a parser that throws plain Errors (a bad value is a usage error). */
export function arg<T>(parse: (s: string) => T): (s: string) => T {
  return (s: string) => {
    try {
      return parse(s);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export type Action = (ctx: Ctx, ...args: unknown[]) => Promise<number | void>;

/** The shape every command's registration takes. */
export type Register = (program: Command, action: (fn: Action) => (...args: unknown[]) => Promise<void>) => void;

/** Runs a parser; its error is a usage error. */
export function parseOrUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new CliError((e as Error).message, ExitCode.USAGE);
  }
}
