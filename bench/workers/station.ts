// A station in a process of its own, so that its memory is its own (the documents suite
// and test/cli.bigdocs.test.ts fork it): sends { url } once listening, and on 'close'
// closes and answers { maxRSS }, its peak resident memory in bytes.
import { startStation } from '../../src/station/server.js';
import { peakResidentBytes } from './peak.js';

const station = await startStation({ port: 0, rateLimit: false });
process.on('message', async (command) => {
  if (command !== 'close') return;
  await station.close();
  process.send!({ maxRSS: peakResidentBytes() }, () => process.exit(0));
});
process.send!({ url: station.url });
