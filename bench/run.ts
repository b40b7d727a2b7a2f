// npm run bench [-- --quick] [-- --only SUITE]: runs the suites, prints a table, and
// writes bench/results/latest.{json,md}. It asserts nothing about speed.
import { parseArgs } from 'node:util';
import { type Row, type Suite, writeResults } from './report.js';
import { coreSuite } from './suites/core.js';

const suites: Suite[] = [coreSuite];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run bench -- [--quick] [--only SUITE ...]

Runs Grove's benchmarks, each against a baseline measured in the same run, and writes
bench/results/latest.json and bench/results/latest.md.

  --quick        short samples (under a minute in all); for CI, not for numbers
  --only SUITE   run only the named suite(s): ${suites.map((s) => s.name).join(', ')}
  -h, --help     this text`);
  process.exit(0);
}

const unknown = (values.only ?? []).filter((name) => !suites.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; the suites are ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const rows: Row[] = [];
for (const suite of suites) {
  if (values.only && !values.only.includes(suite.name)) continue;
  console.error(`running ${suite.name}: ${suite.description}`);
  rows.push(...(await suite.run({ quick: values.quick })));
}
console.log(writeResults(rows, values.quick));
