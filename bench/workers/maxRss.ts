// Loaded with `node --import` into a process whose memory is measured (the CLI, in the
// documents suite and test/cli.bigdocs.test.ts): reports its peak resident memory on
// stderr as it exits, as the line "maxRSS <bytes>".
import { writeSync } from 'node:fs';

import { peakResidentBytes } from './peak.js';

process.on('exit', () => writeSync(2, `\nmaxRSS ${peakResidentBytes()}\n`));
