// ESLint for the browser client (web_client/) and the Node tools (tools/, bench/); run by scripts/test.sh.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/', '.venv/', 'data/', 'build/', 'dist/', 'web_client/dist/'] }, // web_client/dist/: the client's build
  js.configs.recommended,
  {
    files: ['web_client/**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.browser } },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      // No globals in production: the one window property, window.vrstore, is js/hook.js's (test pages only).
      'no-restricted-syntax': ['error', {
        selector: 'AssignmentExpression > MemberExpression.left[object.name=/^(window|self|globalThis)$/]',
        message: 'Do not write globals; only js/hook.js (loaded on test pages) sets window.vrstore.',
      }],
    },
  },
  {
    files: ['web_client/js/hook.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['tools/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
];
