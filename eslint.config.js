import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'kansoku-data/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Domain code stays free of frameworks and drivers: they are reached through ports.
    files: ['src/core/**', 'src/audit/**', 'src/inventory/**', 'src/sources/**', 'src/query/**', 'src/rules/**', 'src/alerting/**', 'src/notify/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fastify', 'kysely', 'pg', 'better-sqlite3', 'chdb', '@clickhouse/client'].map((name) => ({ name, message: 'domain code reaches stores and HTTP through ports (src/store/ports.ts)' })) }],
    },
  },
);
