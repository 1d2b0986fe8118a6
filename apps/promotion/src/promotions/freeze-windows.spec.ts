import { activeFreeze, parseFreezeWindows } from './freeze-windows';

describe('freeze windows', () => {
  it('reads explicit ranges', () => {
    const w = parseFreezeWindows('2026-12-24T00:00Z/2026-12-27T00:00Z');
    expect(activeFreeze(w, new Date('2026-12-25T12:00Z'))).toEqual({ spec: '2026-12-24T00:00Z/2026-12-27T00:00Z', until: new Date('2026-12-27T00:00Z') });
    expect(activeFreeze(w, new Date('2026-12-27T00:00Z'))).toBeNull();
    expect(activeFreeze(w, new Date('2026-12-23T23:59Z'))).toBeNull();
  });

  it('reads weekly windows that wrap around the week end', () => {
    const w = parseFreezeWindows('weekly:Fri 16:00/Mon 08:00');
    // 2026-11-20 is a Friday.
    expect(activeFreeze(w, new Date('2026-11-20T15:59Z'))).toBeNull();
    expect(activeFreeze(w, new Date('2026-11-20T16:00Z'))?.until).toEqual(new Date('2026-11-23T08:00Z'));
    expect(activeFreeze(w, new Date('2026-11-22T03:00Z'))?.until).toEqual(new Date('2026-11-23T08:00Z'));
    expect(activeFreeze(w, new Date('2026-11-23T08:00Z'))).toBeNull();
    expect(activeFreeze(w, new Date('2026-11-25T12:00Z'))).toBeNull();
  });

  it('takes several windows and refuses a malformed one, naming it', () => {
    const w = parseFreezeWindows(' weekly:Sat 00:00/Sun 00:00 ; 2027-01-01T00:00Z/2027-01-02T00:00Z ');
    expect(w).toHaveLength(2);
    expect(() => parseFreezeWindows('weekly:Funday 10:00/Mon 08:00')).toThrow(/Funday/);
    expect(() => parseFreezeWindows('2027-01-02/2027-01-01')).toThrow(/2027-01-02/);
  });
});
