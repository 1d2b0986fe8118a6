#!/usr/bin/env node
/** Entry point of `runway`, the command line for operators, QA, release engineers and scripts. */
import { homedir } from 'node:os';
import { run } from './program';

run(process.argv.slice(2), {
  io: {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: process.stdout.isTTY === true,
    now: () => new Date(),
  },
  env: process.env,
  home: homedir(),
}).then((code) => {
  process.exitCode = code;
});
