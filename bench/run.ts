// npm run bench [-- --quick] [-- --only SUITE] [-- --out DIR]: runs the suites, prints a
// table, and writes latest.json, latest.md and the SVG charts (to bench/results unless told
// otherwise). It asserts nothing about speed.
//
// The suites follow issue 8's list; item 5 gathers the suites of other issues (SIMD
// kernels: arrays, RPC: rpc, the write-ahead log: store, the cluster over NATS JetStream:
// cluster, which needs nats-server; import and export of big documents: documents), each
// added to SUITES below. A suite is a Suite
// (report.ts) whose rows compare with baselines measured in the same run.
import { parseArgs } from 'node:util';

import { defaultResultsDir, load, machine, type Row, type Suite, writeResults } from './report.js';
import { appendsSuite } from './suites/appends.js';
import { arraysSuite } from './suites/arrays.js';
import { boundedSuite } from './suites/bounded.js';
import { clusterSuite } from './suites/cluster.js';
import { concurrencySuite } from './suites/concurrency.js';
import { documentsSuite } from './suites/documents.js';
import { lookupsSuite } from './suites/lookups.js';
import { memorySuite } from './suites/memory.js';
import { rpcSuite } from './suites/rpc.js';
import { sharingSuite } from './suites/sharing.js';
import { storeSuite } from './suites/store.js';

const SUITES: Suite[] = [
  concurrencySuite,
  sharingSuite,
  lookupsSuite,
  memorySuite,
  arraysSuite,
  rpcSuite,
  storeSuite,
  appendsSuite,
  clusterSuite,
  documentsSuite,
  boundedSuite,
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    out: { type: 'string', default: defaultResultsDir },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run bench -- [--quick] [--only SUITE ...] [--out DIR]

Runs Grove's benchmarks, each against a baseline measured in the same run, and writes
bench/results/latest.json, latest.md and SVG charts. Run it on an otherwise idle machine;
the load average at the start and the end is recorded with the results.

  --quick        short samples (under a minute in all); for CI, not for numbers
  --only SUITE   run only the named suite(s): ${SUITES.map((s) => s.name).join(', ')}
  --out DIR      where to write the results (default bench/results, which README.md shows)
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
  const suiteStart = process.hrtime.bigint();
  rows.push(...(await suite.run({ quick: values.quick })));
  console.error(`  ${suite.name} took ${(Number(process.hrtime.bigint() - suiteStart) / 1e9).toFixed(1)} s`);
  ran.push(suite);
}
const info = {
  when: new Date().toISOString(),
  quick: values.quick,
  machine: machine(),
  load: { start: startLoad, end: load() },
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
};
console.log(writeResults(rows, ran, info, values.out));
