import { readFileSync } from 'node:fs';

/** Peak resident set size (VmHWM) of a process of this machine in KiB, or undefined where /proc does not tell. */
export function peakRssKiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

