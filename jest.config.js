/** Jest runs the TypeScript sources as native ESM, compiled per file by SWC. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The integration tests start child processes and servers; two workers match the CI machine.
  maxWorkers: 2,
  testTimeout: 60000,
};
