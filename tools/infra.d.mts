/** Types for infra.mjs, for the TypeScript tests of it. */
export interface ChromiumOptions {
  paths?: string[];
  names?: string[];
  install?: (pkg: string, log: (line: string) => void) => boolean;
}
export const CHROMIUM_PATHS: string[];
export function ensureChromium(log?: (line: string) => void, options?: ChromiumOptions): { path: string; source: string };
export function ensureGit(log?: (line: string) => void): string;
