// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Modules that open sockets: forbidden in the pure (sans-I/O) packages. */
const SOCKET_MODULES = ['net', 'node:net', 'dgram', 'node:dgram', 'tls', 'node:tls', 'http', 'node:http'];

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', '**/coverage/', '**/.tmp/', 'apps/web/page-dist/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Template literals with numbers are how we print counters and ports; the rule's default
      // would force String(n) noise everywhere. Objects and unknowns are still refused.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Bit-level codec code compares against explicit constants on purpose.
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      // Prefix unused parameters with _ to document that a callback ignores an argument.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name="only"]',
          message: 'No .only in committed tests.',
        },
      ],
    },
  },
  {
    // Sans-I/O packages: codecs, service logic and the request-log core never touch sockets.
    files: ['packages/codec/src/**', 'packages/service/src/**', 'packages/service-*/src/**', 'packages/request-log/src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: SOCKET_MODULES.map((name) => ({
            name,
            message: 'Pure packages are sans-I/O: sockets belong in @netlab/transport-* (see docs/ARCHITECTURE.md).',
          })),
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests may use non-null assertions on values they have just asserted to exist.
    files: ['**/test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
