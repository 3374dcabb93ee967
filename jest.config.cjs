// @middy/* is ESM-only; swc turns it (and our TypeScript) into CommonJS for jest.
const transform = {
  // GET /docs inlines Swagger UI's bundle and stylesheet as text; first, so the JS rule below never sees them.
  '/swagger-ui-dist/.+\\.(js|css)$': '<rootDir>/tests/textTransform.cjs',
  '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  '^.+\\.yaml$': '<rootDir>/tests/textTransform.cjs',
};
const shared = {
  transform,
  transformIgnorePatterns: [
    '/node_modules/(?!(@middy|@kubernetes/client-node|openid-client|oauth4webapi|jose|jsonpath-plus|jsep|@jsep-plugin|rfc4648|socks-proxy-agent|agent-base|swagger-ui-dist)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'yaml', 'css'],
  testEnvironment: 'node',
  // @middy/* export only an "import" condition, which jest's CommonJS resolver skips.
  moduleNameMapper: { '^@middy/(core|util)$': '<rootDir>/node_modules/@middy/$1/index.js' },
};
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    // Integration tests talk to real servers over real connections; on two busy cores a call can take seconds.
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/tests/integration/**/*.test.ts'], testTimeout: 60_000 },
  ],
};
