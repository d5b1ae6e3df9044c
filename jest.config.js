// Tiers (../shared/spec/style.md): unit specs beside the code, end-to-end tests of the app over HTTP,
// cluster tests with real node processes, browser tests in Chromium, and the production topology. `npm test`
// (scripts/run-tests.js) runs them in two lanes side by side, each one file at a time (--runInBand), so that
// on these two-core machines a timing-sensitive test never shares the machine with more than one other file.
//
// NestJS 12 ships as ES modules only. Node runs them from our CommonJS build (require(esm)), but Jest's
// module loader cannot on Node 20, so swc compiles those packages to CommonJS for the tests.
const esmOnly = ['@nestjs', 'file-type', 'strtok3', 'token-types', '@tokenizer', '@borewit', 'uint8array-extras', 'openid-client', 'oauth4webapi', 'jose'];

const common = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // The generated Prisma client imports its own TypeScript files as ./x.js.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
    // The production topology: PgBouncer, HAProxy, a PostgreSQL primary and its streaming replica, all real.
    { ...common, displayName: 'topology', testMatch: ['<rootDir>/test/topology/**/*.topology-spec.ts'] },
    // Rolling upgrades: the previous release, built from git (test/support/releases.ts), beside this tree.
    { ...common, displayName: 'upgrade', testMatch: ['<rootDir>/test/upgrade/**/*.upgrade-spec.ts'] },
  ],
};
