// Lint for exporter/, alerting/, bench/ and dashboards/ (`npm run lint`, part of `npm test`). The Grafana plugins
// lint themselves with their scaffold's config (panel-plugin/, datasource-plugin/: `npm run lint -w <plugin>`).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/coverage/',
      '.stryker-tmp*/',
      'reports/',
      'panel-plugin/',
      'datasource-plugin/',
    ],
  },
  js.configs.recommended,
  // Type-aware: floating promises and misused promises are real bugs in a tailer that must not lose a line.
  // Each file is checked against its folder's own tsconfig.json (exporter/, alerting/, bench/, dashboards/).
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The standard: no `any` without a comment saying why; the comment is an eslint-disable with its reason.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': 'error',
      // Callbacks that return a promise to an API that ignores it (timers, event emitters) lose its rejection.
      '@typescript-eslint/no-misused-promises': 'error',
      // The code marks index reads that must exist with `!` (`m[1]!`), as it would under noUncheckedIndexedAccess;
      // without that compiler option this rule calls every such `!` unnecessary and --fix strips them.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async function without await still returns a promise on purpose (async test callbacks, handlers that
      // implement an async interface): no bug to find there.
      '@typescript-eslint/require-await': 'off',
      // Node's URLSearchParams and URL print what they hold (the rule only knows the DOM lib's ones).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON of any shape (JSON.parse, HTTP bodies) and use Jest's asymmetric matchers, typed `any`:
    // checking every use of those is noise. Production code keeps these checks, and explicit `any` stays an error.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // CommonJS configuration files (jest.config.js): not part of any TypeScript project.
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // ES module configuration files (stryker.config.mjs reads the environment).
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly' } },
  },
  // Last: turns off every rule that formatting (prettier) decides.
  prettier,
]);
