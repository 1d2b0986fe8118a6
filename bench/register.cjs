/**
 * Lets `node -r bench/register.cjs x.bench.ts` run a TypeScript benchmark: each .ts file is
 * compiled with swc as it is required, with the same settings as the build. Workspace
 * packages (@runway/*) resolve to their built dist/.
 */
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const options = JSON.parse(readFileSync(join(__dirname, '..', '.swcrc'), 'utf8'));
delete options.$schema;

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...options, filename, sourceMaps: 'inline', swcrc: false, configFile: false });
  module._compile(code, filename);
};
