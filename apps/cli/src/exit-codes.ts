/** What `runway` exits with. Scripts rely on these: change them only with the README. */
export const ExitCode = {
  OK: 0,
  /** Anything else: a service unreachable or failing, an input the service rejected. */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** The token is missing, unknown, revoked, or lacks the role (HTTP 401, 403). */
  AUTH: 3,
  /** No such revision, lock, rollout, cowboy, flag rule, landing or security fix (HTTP 404). */
  NOT_FOUND: 4,
  /** Refused in the current state: conflict, not approved, held (HTTP 409, 422); `rollout watch`: superseded or cancelled. */
  CONFLICT: 5,
  /** `runway cowboys check`: at least one cowboy is applied somewhere. */
  COWBOYS_APPLIED: 6,
  /** `runway rollout watch`: the rollout failed. */
  ROLLOUT_FAILED: 7,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports on stderr and turns into an exit code. Its message never holds a token. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.ERROR,
    readonly details: { status?: number; code?: string; errors?: { line: number; message: string }[]; body?: unknown } = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 409 || status === 422 || status === 423) return ExitCode.CONFLICT;
  return ExitCode.ERROR;
}
