#!/usr/bin/env node
// `runway` on PATH (npx runway, or node_modules/.bin on PATH): the built CLI. npm start and
// npm test build it; so does `npm run build`. A CommonJS file, so that it runs without a build.
/* eslint-disable @typescript-eslint/no-require-imports */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('runway: the CLI is not built yet: run npm run build (npm start and npm test build it too)\n');
  process.exit(1);
}
require(main);
