/**
 * Remote-write decode throughput on the captured Prometheus 2.42 requests:
 *   npx tsx src/sources/metrics/remote-write/bench-decode.ts [conformanceDir]
 * Compares the hand-written decoder with protobufjs (reading the upstream .proto) and shows
 * the cost of snappy and validation. Bounded: about half a second of CPU per measurement.
 */
import path from 'node:path';
import { capturedRequests, loadCapturedRequest } from '../../src/sources/metrics/remote-write/conformance.js';
import { decodeWriteRequestV1 } from '../../src/sources/metrics/remote-write/decode.js';
import { loadReferenceSchema } from '../../src/sources/metrics/remote-write/reference-schema.js';
import { decodeRemoteWrite, decompressSnappy } from '../../src/sources/metrics/remote-write/request.js';

const dir = process.argv[2] ?? process.env.KANSOKU_CONFORMANCE_DIR ?? path.resolve(import.meta.dirname, '../../../shared/conformance');
const names = capturedRequests(dir).filter((n) => loadCapturedRequest(dir, n).expected.timeseries.length > 0);
const reqs = names.map((n) => loadCapturedRequest(dir, n));
const raws = reqs.map((r) => decompressSnappy(r.body));
const samples = reqs.reduce((n, r) => n + r.expected.timeseries.reduce((m, t) => m + t.samples.length, 0), 0);
const { v1 } = loadReferenceSchema(dir);

function perSecond(label: string, fn: () => void): void {
  for (let i = 0; i < 30; i++) fn();
  const c0 = process.cpuUsage();
  let runs = 0;
  let cpu = 0;
  while (cpu < 0.5 && runs < 20000) {
    fn();
    runs++;
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1e6;
  }
  console.log(`${label.padEnd(44)} ${((samples * runs) / cpu / 1e6).toFixed(2)} M samples/s (CPU time)`);
}

console.log(`${names.length} requests, ${samples} samples, ${raws.reduce((n, r) => n + r.length, 0)} protobuf bytes`);
perSecond('hand-written protobuf decode', () => raws.forEach((r) => decodeWriteRequestV1(r)));
perSecond('protobufjs decode (same schema)', () => raws.forEach((r) => v1.decode(r)));
perSecond('snappy uncompress only (snappyjs)', () => reqs.forEach((r) => decompressSnappy(r.body)));
perSecond('full decodeRemoteWrite (snappy+decode+validate)', () => reqs.forEach((r) => decodeRemoteWrite(r.body, r.headers)));
