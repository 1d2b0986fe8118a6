import { DEFAULT_SCHEMA_PATCH_GLOB, schemaPatchMatcher } from './schema-patch';

describe('schema patch detection', () => {
  it('matches the default pattern and nothing else', () => {
    const isPatch = schemaPatchMatcher('database/schema/patch-*.sql');
    expect(isPatch('database/schema/patch-2209-00-1.sql')).toBe(true);
    expect(isPatch('database/schema/patch-2209-00-1.sql.orig')).toBe(false);
    expect(isPatch('database/schema/nested/patch-1.sql')).toBe(false);
    expect(isPatch('lib/lp/database/schema/patch-1.sql')).toBe(false);
    expect(isPatch('database/schema/comments.sql')).toBe(false);
    expect(schemaPatchMatcher('**/migrations/*.sql')('a/b/migrations/001.sql')).toBe(true);
  });
});

describe('the default glob', () => {
  it('is Launchpad\'s', () => {
    expect(schemaPatchMatcher()('database/schema/patch-2209-00-0.sql')).toBe(true);
    expect(DEFAULT_SCHEMA_PATCH_GLOB).toBe('database/schema/patch-*.sql');
  });
});
