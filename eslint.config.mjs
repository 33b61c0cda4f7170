// Lint is where the layer rules live (docs/ARCHITECTURE.md): a violation fails `npm test`.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https',
  'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
]
const NATIVE_AND_NODE_ONLY = ['better-sqlite3', 'better-sqlite3-multiple-ciphers', '@napi-rs/keyring', 'luxon', 'libphonenumber-js', 'csv-parse', 'fhirpath']

const electronBan = {
  paths: [{ name: 'electron', message: 'Layer rule 1: the engine, headless server and sandbox run under plain Node and never import electron.' }],
  patterns: [
    { group: ['electron/*', '**/electron/main/**', '**/electron/preload/**'], message: 'Layer rule 1: no Electron shell code outside electron/main and electron/preload.' },
    // Relative paths from electron/<x>/ into the shell: ../main/…, ../../main/…, ../preload/…
    { regex: '^(\\.\\./)+(main|preload)(/|$)', message: 'Layer rule 1: no Electron shell code outside electron/main and electron/preload.' },
  ],
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip|todo)$/]", message: 'Tests must run: no .only / .skip / .todo.' },
        { selector: "CallExpression[callee.name='eval']", message: 'No eval.' },
      ],
      'no-new-func': 'error',
    },
  },
  // Rule 1: engine, headless server, sandbox: no Electron.
  {
    files: ['electron/engine/**/*.ts', 'electron/headless/**/*.ts', 'electron/sandbox/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', electronBan] },
  },
  // Rule 2: the renderer: no Node, no native modules, no Electron, nothing from electron/.
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'react-hooks/set-state-in-effect': 'off',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Layer rule 2: the renderer talks to the engine only through the shared contract (window.practiceStudio / HTTP).' },
            ...[...NODE_BUILTINS, ...NATIVE_AND_NODE_ONLY].map((name) => ({ name, message: 'Layer rule 2: the renderer never imports Node or native modules.' })),
          ],
          patterns: [
            { group: ['node:*'], message: 'Layer rule 2: the renderer never imports Node built-ins.' },
            { group: ['**/electron/**', 'electron/*'], message: 'Layer rule 2: the renderer never imports engine or shell code; use shared/ and the API.' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { property: 'dangerouslySetInnerHTML', message: 'Render message content as text.' }],
      'react/no-danger': 'off',
    },
  },
  // Rule 3: shared/: neither Node, DOM-only code, React nor Electron.
  {
    files: ['shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Layer rule 3: shared/ imports neither Electron nor Node.' },
            { name: 'react', message: 'Layer rule 3: shared/ is UI-free.' },
            ...[...NODE_BUILTINS, ...NATIVE_AND_NODE_ONLY].map((name) => ({ name, message: 'Layer rule 3: shared/ imports neither Node nor native modules.' })),
          ],
          patterns: [
            { group: ['node:*'], message: 'Layer rule 3: shared/ never imports Node built-ins.' },
            { group: ['**/electron/**', '**/renderer/**', 'electron/*', 'react-dom', 'react-dom/*', '@mantine/*'], message: 'Layer rule 3: shared/ depends on nothing but zod.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require', '__dirname', 'localStorage'],
    },
  },
  // Tests read loosely-typed JSON from real peers; `any` there is a convenience, not a design.
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs', 'scripts/**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
)
