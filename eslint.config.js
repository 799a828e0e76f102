import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', 'test-results/**', 'console/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['bin/**', 'bench/**', 'scripts/**', 'test/**'],
    // Tests and the benchmark read JSON responses field by field.
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['console/**/*.js'],
    // Browser ES modules (no build step): the browser globals the console uses.
    languageOptions: {
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'localStorage', 'sessionStorage', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'confirm', 'location', 'history', 'console', 'Intl', 'crypto', 'TextEncoder', 'atob', 'btoa', 'Node', 'HTMLElement', 'CSS', 'queueMicrotask'].map((name) => [name, 'readonly']),
      ),
    },
  },
);
