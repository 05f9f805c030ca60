import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeRemoteWrite, type RemoteWriteHeaders } from './request.js';
import type { DecodedWriteRequest } from './types.js';

/** What `npm run conformance` prints as `SUITE: passed/total passed`. */
export interface ConformanceResult {
  suite: string;
  total: number;
  passed: number;
  failures: { case: string; reason: string }[];
}

/** The decoding captured with each request (see the material's README). */
interface ExpectedDecode {
  timeseries: { labels: [string, string][]; samples: [number, number | string][]; exemplars: unknown[]; histograms: number }[];
  metadata: { type: string; metric_family_name: string; help: string; unit: string }[];
}

export const CAPTURE_DIR = path.join('remote-write', 'captured-prometheus-2.42.0');

/** Names of the captured requests (`req01` …) under a conformance directory. */
export function capturedRequests(conformanceDir: string): string[] {
  const dir = path.join(conformanceDir, CAPTURE_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.body.snappy'))
    .map((f) => f.slice(0, -'.body.snappy'.length))
    .sort();
}

export function loadCapturedRequest(conformanceDir: string, name: string): { body: Buffer; headers: RemoteWriteHeaders; expected: ExpectedDecode } {
  const dir = path.join(conformanceDir, CAPTURE_DIR);
  const raw = JSON.parse(readFileSync(path.join(dir, `${name}.headers.json`), 'utf8')) as { headers: Record<string, string> };
  const headers: RemoteWriteHeaders = {};
  for (const [k, v] of Object.entries(raw.headers)) (headers as Record<string, string>)[k.toLowerCase()] = v;
  return {
    body: readFileSync(path.join(dir, `${name}.body.snappy`)),
    headers,
    expected: JSON.parse(readFileSync(path.join(dir, `${name}.decoded.json`), 'utf8')) as ExpectedDecode,
  };
}

function nanBits(v: number | string): { nan: boolean; stale: boolean; value: number } {
  if (typeof v === 'number') return { nan: false, stale: false, value: v };
  const m = /^NaN:0x([0-9a-f]{16})$/i.exec(v);
  if (!m) return { nan: true, stale: false, value: NaN };
  return { nan: true, stale: m[1]!.toLowerCase() === '7ff0000000000002', value: NaN };
}

/** Compares a decode with the captured expectation; returns the first difference. */
export function compareWithExpected(got: DecodedWriteRequest, want: ExpectedDecode): string | undefined {
  if (got.rejected.length > 0) return `rejected ${got.rejected.length} series, first: ${got.rejected[0]!.reason}`;
  if (got.timeseries.length !== want.timeseries.length) return `${got.timeseries.length} series, expected ${want.timeseries.length}`;
  for (let i = 0; i < want.timeseries.length; i++) {
    const g = got.timeseries[i]!;
    const w = want.timeseries[i]!;
    const wantLabels = w.labels.filter(([, v]) => v !== '');
    if (JSON.stringify(g.labels) !== JSON.stringify(wantLabels)) return `series ${i}: labels ${JSON.stringify(g.labels)}, expected ${JSON.stringify(wantLabels)}`;
    if (g.samples.length !== w.samples.length) return `series ${i}: ${g.samples.length} samples, expected ${w.samples.length}`;
    for (let k = 0; k < w.samples.length; k++) {
      const [wt, wv] = w.samples[k]!;
      const s = g.samples[k]!;
      const e = nanBits(wv);
      if (s.t !== wt) return `series ${i} sample ${k}: t=${s.t}, expected ${wt}`;
      if (e.nan ? !Number.isNaN(s.v) || Boolean(s.stale) !== e.stale : s.v !== e.value) {
        return `series ${i} sample ${k}: v=${s.v}${s.stale ? ' (stale)' : ''}, expected ${String(wv)}`;
      }
    }
    if (g.exemplars.length !== w.exemplars.length) return `series ${i}: ${g.exemplars.length} exemplars, expected ${w.exemplars.length}`;
    if (g.histograms.length !== w.histograms) return `series ${i}: ${g.histograms.length} histograms, expected ${w.histograms}`;
  }
  if (got.metadata.length !== want.metadata.length) return `${got.metadata.length} metadata entries, expected ${want.metadata.length}`;
  for (let i = 0; i < want.metadata.length; i++) {
    const g = got.metadata[i]!;
    const w = want.metadata[i]!;
    if (g.type !== w.type.toLowerCase() || g.metricFamilyName !== w.metric_family_name || g.help !== w.help || g.unit !== w.unit) {
      return `metadata ${i}: ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`;
    }
  }
  return undefined;
}

/** Decodes every captured Prometheus 2.42 request and compares it with its provided decoding. */
export function runRemoteWriteConformance(conformanceDir: string): ConformanceResult {
  const names = capturedRequests(conformanceDir);
  const failures: ConformanceResult['failures'] = [];
  for (const name of names) {
    try {
      const { body, headers, expected } = loadCapturedRequest(conformanceDir, name);
      const reason = compareWithExpected(decodeRemoteWrite(body, headers), expected);
      if (reason !== undefined) failures.push({ case: name, reason });
    } catch (err) {
      failures.push({ case: name, reason: `failed to decode: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return { suite: 'remote-write', total: names.length, passed: names.length - failures.length, failures };
}
