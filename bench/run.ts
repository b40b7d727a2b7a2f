// npm run bench [-- --quick] [-- --only SUITE]: runs the suites, prints a table, and
// writes bench/results/latest.{json,md} and the SVG charts. It asserts nothing about speed.
//
// The suites follow issue 8's list. Suites of other issues (5: SIMD kernels, RPC, the
// write-ahead log) are added to SUITES below as they land; each is a Suite (report.ts)
// whose rows compare with a baseline measured in the same run.
import { parseArgs } from 'node:util';

import { load, machine, type Row, type Suite, writeResults } from './report.js';
import { appendsSuite } from './suites/appends.js';
import { concurrencySuite } from './suites/concurrency.js';
import { lookupsSuite } from './suites/lookups.js';
import { memorySuite } from './suites/memory.js';
import { rpcSuite } from './suites/rpc.js';
import { sharingSuite } from './suites/sharing.js';

const SUITES: Suite[] = [concurrencySuite, sharingSuite, lookupsSuite, memorySuite, rpcSuite, appendsSuite];

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
bench/results/latest.json, latest.md and SVG charts. Run it on an otherwise idle machine;
the load average at the start and the end is recorded with the results.

  --quick        short samples (under a minute in all); for CI, not for numbers
  --only SUITE   run only the named suite(s): ${SUITES.map((s) => s.name).join(', ')}
  -h, --help     this text`);
  process.exit(0);
}

const unknown = (values.only ?? []).filter((name) => !SUITES.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; the suites are ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const started = process.hrtime.bigint();
const startLoad = load();
const ran: Suite[] = [];
const rows: Row[] = [];
for (const suite of SUITES) {
  if (values.only && !values.only.includes(suite.name)) continue;
  console.error(`running ${suite.name}: ${suite.description}`);
  globalThis.gc?.();
  rows.push(...(await suite.run({ quick: values.quick })));
  ran.push(suite);
}
const info = {
  when: new Date().toISOString(),
  quick: values.quick,
  machine: machine(),
  load: { start: startLoad, end: load() },
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
};
console.log(writeResults(rows, ran, info));
