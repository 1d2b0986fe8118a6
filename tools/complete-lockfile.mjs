#!/usr/bin/env node
/**
 * Puts back into package-lock.json the optional platform packages (swc's and nx's native
 * binaries for other systems) that this npm leaves out of the lockfile when it writes it,
 * without which `npm ci` refuses the lockfile as out of sync. Runs after every `npm install`
 * (the root postinstall) and is a no-op when nothing is missing. Metadata comes from the
 * registry (`npm view`) where the package exists; some platform binaries were never published
 * for the pinned version, and for those the entry only names the version.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const file = join(root, 'package-lock.json');
let lock;
try {
  lock = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  process.exit(0);
}
const pk = lock.packages;
const missing = new Map();
for (const [path, meta] of Object.entries(pk)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`;
    const top = `node_modules/${dep}`;
    if (pk[nested]) continue;
    const isExact = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version);
    const atTop = pk[top]?.version ?? missing.get(top)?.version;
    // A range is taken as met by whatever the top level holds; an exact pin must match it.
    if (atTop && (!isExact || atTop === version)) continue;
    // Where the top level holds (or will hold) another version, this one nests under its parent.
    missing.set(atTop ? nested : top, { dep, version });
  }
}
if (missing.size === 0) process.exit(0);
function npmView(spec, fields) {
  try {
    const out = execFileSync('npm', ['view', spec, '--json', ...fields], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim() ? JSON.parse(out) : undefined;
  } catch {
    return undefined;
  }
}

/** A range (`^18.4.0-beta.17`) becomes the highest published version it allows, else its floor. */
function exact(dep, range) {
  if (/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range)) return range;
  const found = npmView(`${dep}@${range}`, ['version']);
  const versions = Array.isArray(found) ? found : found ? [found] : [];
  return versions.at(-1) ?? range.replace(/^[\^~>=<\s]+/, '');
}

for (const [key, { dep, version: range }] of missing) {
  const version = exact(dep, range);
  let info = {};
  // Some of these binaries were never published for this version; npm ci only needs the entry.
  info = npmView(`${dep}@${version}`, ['os', 'cpu', 'libc', 'dist.integrity', 'license', 'engines']) ?? {};
  const entry = { version, optional: true };
  if (info['dist.integrity']) entry.integrity = info['dist.integrity'];
  for (const k of ['license', 'cpu', 'os', 'libc', 'engines']) if (info[k]) entry[k] = info[k];
  pk[key] = entry;
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: restored ${missing.size} optional platform packages to package-lock.json`);
