/**
 * Lint rules that keep the architecture honest:
 *   - apps depend only on libs, never on another app;
 *   - libs/contracts depends on no other Runway lib and on no framework, broker or database;
 *   - shared libs depend only on contracts, each other and the SDK; libs/testing only from tests;
 *   - libs/sdk (embedded in applications) depends only on contracts and no Runway framework.
 */
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

function boundaries({ tests }) {
  const extra = tests ? ['scope:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allowCircularSelfDependency: false,
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
        {
          sourceTag: 'scope:contracts',
          onlyDependOnLibsWithTags: extra,
          bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg', '@nats-io/*', 'pino', 'prom-client'],
        },
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared', 'scope:sdk', ...extra] },
        {
          // Applications embed the SDK: it carries no framework, database or logger of Runway's.
          sourceTag: 'scope:sdk',
          onlyDependOnLibsWithTags: ['scope:contracts', ...extra],
          bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg', 'pino', 'prom-client'],
        },
        { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared'] },
      ],
    },
  ];
}

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.runway/**', '.nx/**', 'coverage/**', '**/*.cjs', '**/*.mjs', '**/*.d.cts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),
    },
  },
  {
    // Tests may use libs/testing; production code may not.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries({ tests: true }) },
  },
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@runway/testing', message: 'libs/testing is for tests only.' }] }],
    },
  },
];
