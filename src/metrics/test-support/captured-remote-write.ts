/**
 * The remote-write requests captured from a real Prometheus 2.42 sender
 * (conformance/remote-write/captured-prometheus-2.42.0): exact bodies and headers.
 *
 * The captured samples carry the time of capture. Kansoku keeps 15 days of samples and drops
 * older ones at ingest, so when the capture is older than `maxAgeMs` the requests are
 * re-encoded with every timestamp moved by the same offset (`shiftMs`), which keeps the data
 * and its spacing; tests then send the same payloads to every peer, so comparisons still hold.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compressWriteRequest, decodeWriteRequestV1, decompressSnappy, encodeWriteRequestV1 } from '../../sources/metrics/remote-write/index.js';

export interface CapturedRequest {
  name: string;
  body: Uint8Array;
  headers: Record<string, string>;
  /** Samples in the request (metadata-only requests have none). */
  samples: number;
}

export interface CapturedSet {
  requests: CapturedRequest[];
  /** Added to every captured timestamp (0 when the original bytes are sent). */
  shiftMs: number;
  minT: number;
  maxT: number;
}

const SENT_HEADERS = ['Content-Encoding', 'Content-Type', 'X-Prometheus-Remote-Write-Version', 'User-Agent'];

export function loadCapturedRemoteWrite(dir: string, opts: { now?: number; maxAgeMs?: number } = {}): CapturedSet {
  const now = opts.now ?? Date.now();
  const names = readdirSync(dir).filter((f) => f.endsWith('.body.snappy')).sort();
  const raw = names.map((f) => {
    const name = f.replace('.body.snappy', '');
    const body = new Uint8Array(readFileSync(path.join(dir, f)));
    const h = JSON.parse(readFileSync(path.join(dir, `${name}.headers.json`), 'utf8')) as { headers: Record<string, string> };
    const headers = Object.fromEntries(SENT_HEADERS.filter((k) => h.headers[k] !== undefined).map((k) => [k, h.headers[k]!]));
    return { name, body, headers, decoded: decodeWriteRequestV1(decompressSnappy(body)) };
  });
  let minT = Infinity;
  let maxT = -Infinity;
  for (const r of raw) for (const ts of r.decoded.timeseries) for (const s of ts.samples) {
    minT = Math.min(minT, s.t);
    maxT = Math.max(maxT, s.t);
  }
  const shiftMs = now - maxT > (opts.maxAgeMs ?? 12 * 86_400_000) ? Math.floor((now - 3_600_000 - maxT) / 1000) * 1000 : 0;
  const requests = raw.map((r) => {
    const samples = r.decoded.timeseries.reduce((n, ts) => n + ts.samples.length, 0);
    if (!shiftMs) return { name: r.name, body: r.body, headers: r.headers, samples };
    const timeseries = r.decoded.timeseries.map((ts) => ({ labels: ts.labels, samples: ts.samples.map((s) => ({ ...s, t: s.t + shiftMs })) }));
    return { name: r.name, body: compressWriteRequest(encodeWriteRequestV1({ timeseries, metadata: r.decoded.metadata })), headers: r.headers, samples };
  });
  return { requests, shiftMs, minT: minT + shiftMs, maxT: maxT + shiftMs };
}

/** The decoded series of a capture (labels as objects, timestamps shifted), for expectations. */
export function capturedSeries(dir: string, shiftMs: number): { labels: Record<string, string>; samples: { t: number; v: number }[] }[] {
  const byKey = new Map<string, { labels: Record<string, string>; samples: { t: number; v: number }[] }>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.body.snappy')).sort()) {
    const d = decodeWriteRequestV1(decompressSnappy(new Uint8Array(readFileSync(path.join(dir, f)))));
    for (const ts of d.timeseries) {
      const labels = Object.fromEntries(ts.labels.filter(([, v]) => v !== ''));
      const key = JSON.stringify(Object.entries(labels).sort());
      let e = byKey.get(key);
      if (!e) byKey.set(key, (e = { labels, samples: [] }));
      for (const s of ts.samples) e.samples.push({ t: s.t + shiftMs, v: s.v });
    }
  }
  return [...byKey.values()];
}
