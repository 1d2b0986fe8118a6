/**
 * Lints OpenAPI documents with Redocly's recommended rules. An ES module of its own because
 * @redocly/openapi-core is one and Jest runs the tests as CommonJS: the contract test runs this
 * with Node, documents in on stdin as `{ "<name>": <document> }`, problems out on stdout as
 * `{ "<name>": [{ severity, ruleId, message, pointer }] }`.
 */
import { BaseResolver, createConfig, lintDocument } from '@redocly/openapi-core';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const documents = JSON.parse(input);
const config = await createConfig({ extends: ['recommended'] });
const out = {};
for (const [name, parsed] of Object.entries(documents)) {
  const problems = await lintDocument({
    document: { source: { absoluteRef: `${name}.json`, body: '' }, parsed },
    config,
    externalRefResolver: new BaseResolver(),
  });
  out[name] = problems.map((p) => ({ severity: p.severity, ruleId: p.ruleId, message: p.message, pointer: p.location?.[0]?.pointer ?? '' }));
}
process.stdout.write(JSON.stringify(out));
