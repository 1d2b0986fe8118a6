import { execFileSync } from 'node:child_process';
import { applyHeapProfile, HEAP_PROFILES, type HeapProfile } from './heap';

/** Runs a fresh Node that applies a profile's flags at run time, as boot.ts does, then churns. */
function heapAfterChurn(profile: HeapProfile): { newSpace: number } {
  const script = `
    const v8 = require('node:v8');
    for (const f of ${JSON.stringify(HEAP_PROFILES[profile])}) v8.setFlagsFromString(f);
    let keep = [];
    for (let i = 0; i < 3e6; i++) {
      keep.push({ i, s: 'x' + i });
      if (keep.length > 50000) keep = [];
    }
    const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    process.stdout.write(JSON.stringify({ newSpace }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { newSpace: number };
}

describe('heap profile', () => {
  it('compact keeps the young generation at its initial size where Node would grow it to 16 MB semi-spaces', () => {
    const compact = heapAfterChurn('compact');
    const node = heapAfterChurn('default');
    expect(compact.newSpace).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(node.newSpace).toBeGreaterThan(4 * compact.newSpace);
  });

  it('rejects an unknown profile with a message naming the choices, and sets no flag', () => {
    expect(() => applyHeapProfile('tiny')).toThrow('RUNWAY_HEAP must be one of compact, default, not "tiny"');
  });
});
