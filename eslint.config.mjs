import tseslint from 'typescript-eslint';

/** Modules the pure domain must never import: it plans, it does no I/O. */
const FORBIDDEN_IN_DOMAIN = [
  '@aws-sdk/*',
  '@smithy/*',
  '@middy/*',
  'aws-lambda',
  '@kubernetes/*',
  '@slack/*',
  'node:fs',
  'node:http',
  'node:https',
  'node:net',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', '.build/', '.harness/', '.local-data/', 'coverage/', 'bench/.out/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: FORBIDDEN_IN_DOMAIN, message: 'src/domain is pure: no SDK, Lambda, middy or I/O modules.' }] },
      ],
    },
  },
  {
    // Tests read loosely-typed HTTP bodies and load handler modules fresh per test file.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
