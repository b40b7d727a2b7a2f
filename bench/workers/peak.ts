// A process's peak resident memory. On Linux it is VmHWM, the peak of this program's own
// memory: getrusage's maxRSS survives exec, so a child spawned by a process holding 500 MB
// would report the parent's 500 MB.
import { readFileSync } from 'node:fs';

export function peakResidentBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: getrusage's figure
  }
  return process.resourceUsage().maxRSS * 1024;
}
