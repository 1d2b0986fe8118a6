/**
 * `npm test` sets up what its tests need from outside npm. Chromium: RUNWAY_CHROMIUM, else the
 * usual paths, else installed through the system's package manager, else one line that names the
 * command to run.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureChromium } from '../tools/infra.mjs';

describe('ensureChromium', () => {
  let dir: string;
  const saved = process.env.RUNWAY_CHROMIUM;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runway-chromium-'));
    delete process.env.RUNWAY_CHROMIUM;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.RUNWAY_CHROMIUM;
    else process.env.RUNWAY_CHROMIUM = saved;
  });
  const executable = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };
  const quiet = () => undefined;

  it('takes the first usual path that is an executable, and hands it to the tests', () => {
    const found = executable('chromium');
    const r = ensureChromium(quiet, { paths: [join(dir, 'missing'), found], names: [], install: () => false });
    expect(r).toEqual({ path: found, source: 'found' });
    expect(process.env.RUNWAY_CHROMIUM).toBe(found);
  });

  it('installs it when it is nowhere, and uses what was installed', () => {
    const target = join(dir, 'chromium');
    const asked: string[] = [];
    const r = ensureChromium(quiet, {
      paths: [target], names: [],
      install: (pkg: string) => {
        asked.push(pkg);
        executable('chromium');
        return true;
      },
    });
    expect(asked).toEqual(['chromium']);
    expect(r).toEqual({ path: target, source: 'installed with apt-get' });
  });

  it('names the command to run when it cannot install', () => {
    expect(() => ensureChromium(quiet, { paths: [join(dir, 'nothing')], names: [], install: () => false })).toThrow(
      /No Chromium.*apt-get install chromium.*RUNWAY_CHROMIUM/,
    );
  });

  it('refuses a RUNWAY_CHROMIUM that points at nothing, rather than looking elsewhere', () => {
    process.env.RUNWAY_CHROMIUM = join(dir, 'nowhere');
    expect(() => ensureChromium(quiet, { paths: [executable('chromium')], names: [], install: () => false })).toThrow(/RUNWAY_CHROMIUM is .*nowhere, which is not an executable/);
  });
});
