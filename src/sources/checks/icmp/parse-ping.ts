/**
 * Reads the summary that iputils `ping` prints (C locale):
 *   3 packets transmitted, 3 received, 0% packet loss, time 401ms
 *   3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2040ms
 *   rtt min/avg/max/mdev = 0.045/0.061/0.077/0.013 ms
 */
export interface PingSummary {
  transmitted: number;
  received: number;
  errors: number;
  duplicates: number;
  lossPercent: number;
  rtt?: { minMs: number; avgMs: number; maxMs: number; mdevMs: number };
  /** ICMP errors reported for single probes, e.g. "Destination Host Unreachable". */
  icmpErrors: string[];
}

const STATS_RE = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?(?:, \+(\d+) corrupted)?, ([\d.]+)% packet loss/;
const RTT_RE = /(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)(?:\/([\d.]+))? ms/;
const ICMP_ERROR_RE = /^From \S+(?: \S+)? icmp_seq=\d+ (.+)$/gm;

export function parsePingOutput(stdout: string): PingSummary | undefined {
  const s = STATS_RE.exec(stdout);
  if (!s) return undefined;
  const summary: PingSummary = {
    transmitted: Number(s[1]),
    received: Number(s[2]),
    duplicates: Number(s[3] ?? 0),
    errors: Number(s[4] ?? 0),
    lossPercent: Number(s[6]),
    icmpErrors: [],
  };
  const r = RTT_RE.exec(stdout);
  if (r) summary.rtt = { minMs: Number(r[1]), avgMs: Number(r[2]), maxMs: Number(r[3]), mdevMs: Number(r[4] ?? 0) };
  const seen = new Set<string>();
  for (const m of stdout.matchAll(ICMP_ERROR_RE)) seen.add(m[1]!.trim());
  summary.icmpErrors = [...seen];
  return summary;
}
