// Lint rules `npm test` enforces beyond the compiler and the formatter: promises are awaited
// (or explicitly voided), and workflow code, which Temporal replays in a sandbox, never
// imports Node built-ins or I/O libraries.
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'zlib', 'timers', 'process'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.state/', '.tools/', 'test/fixtures/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', ...NODE_BUILTINS], message: 'workflow code runs in Temporal\'s deterministic sandbox: no Node built-ins; do I/O in an activity' },
            { group: ['pg', '@aws-sdk/*', 'nodemailer', '@slack/*', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'], message: 'workflow code does no I/O: call an activity' },
          ],
        },
      ],
    },
  },
);
