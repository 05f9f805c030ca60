/**
 * Metrics: Kansoku beside Debian's Prometheus 2.42 in one run, both fed the same remote-write
 * payloads: ingest samples/s, bytes per sample on disk, and p50/p95 latency of five dashboard
 * queries (rate, sum by, histogram_quantile, topk, a 24 h range at 15 s step).
 *
 * Default size 1,000 series × 6 h at a 15 s interval (the machine has 2 shared cores);
 * `--full` runs the issue's 10,000 series × 24 h; `--series=N --hours=H` pick any size.
 * Each of 4 shards owns a fixed subset of series and sends its requests (≤2,000 samples) in
 * time order, as Prometheus's remote-write shards do, so no sample arrives out of order.
 *
 * Payloads are encoded before timing, in time slices of about 2 M samples, and each slice is
 * appended to a per-shard spool file in a temporary directory (about 1 GB for --full), so memory
 * stays bounded. Each receiver then gets the whole spool, Prometheus first, then Kansoku, each
 * shard streaming its file. Why not encode a slice, send it and encode the next: the pauses
 * while encoding would let each receiver's background work (Kansoku's WAL → chDB flusher,
 * Prometheus's head compaction) catch up untimed, inflating both rates and hiding the flush in
 * the "every sample in chDB" row; interleaving the two receivers per slice would also put one's
 * background work inside the other's timed window. Reading the spool (from the page cache) is
 * inside both timed windows, identically: for --full, 1.4 s per receiver with a no-op fetch,
 * about 1 % of Prometheus's send time. Encoding --full takes ~85 s of CPU and ~300 MB RSS.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasExecutable } from '../test/support/peer.js';
import { startServerProcess, type ServerProc } from '../test/support/server-process.js';
import { PROMETHEUS_BIN, startPrometheus, type PrometheusProcess } from '../src/metrics/test-support/prometheus-process.js';
import { compressWriteRequest, encodeWriteRequestV1, type EncodableSeries } from '../src/sources/metrics/remote-write/index.js';
import { mulberry32 } from '../src/lib/prng.js';
import type { BenchSuite } from './run.js';

export const STEP_MS = 15_000;
/** Samples sit 7.3 s off the query step grid, so no sample lies exactly on a range-window edge (Prometheus 2.x closes ranges on the left, 3.x and Kansoku do not). */
export const SAMPLE_OFFSET_MS = 7_300;
const SHARDS = 4;
const SAMPLES_PER_REQUEST = 2000;
/** Samples encoded per slice before it goes to the spool: bounds the encoder's memory (~35 MB of bodies at 10,000 series). */
const SLICE_SAMPLES = 2_000_000;
/** Spool bytes read per shard at a time while sending. */
const READ_CHUNK_BYTES = 4 << 20;
const PROGRESS_EVERY_MS = 10_000;
const QUERY_RUNS = 15;
const WARMUP_RUNS = 2;
const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'user-agent': 'kansoku-bench' };
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
/** Upper bounds of BUCKETS as numbers: parsing them per observation was a third of the generator's time. */
const BOUNDS = BUCKETS.map((b) => (b === '+Inf' ? Infinity : Number(b)));
const HANDLERS = ['/api', '/login', '/cart', '/search', '/static'];

export function arg(name: string): string | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

export interface Shape {
  series: number;
  hours: number;
}

/** The size asked for on the command line: `--full`, or `--series=N --hours=H` (default 1,000 × 6 h). */
export function benchShape(): Shape {
  if (process.argv.includes('--full')) return { series: 10_000, hours: 24 };
  return { series: Number(arg('series') ?? 1000), hours: Number(arg('hours') ?? 6) };
}

/** Deterministic PRNG so every run (and both receivers) see the same data. */
export { mulberry32 };

/** One bench series; `next` is stateful (counters, cumulative histogram buckets). */
export interface GenSeries {
  labels: [string, string][];
  next(rand: () => number): number;
}

/**
 * The bench's data: 25 series per instance (10 request counters, 11 histogram buckets + _sum +
 * _count, 2 gauges). Call every series' `next` once per step, in array order, with one shared
 * `mulberry32(BENCH_SEED)`: buckets, _sum and _count read the observations bucket 0 drew.
 */
export function benchSeries(count: number): GenSeries[] {
  const out: GenSeries[] = [];
  for (let i = 0; out.length < count; i++) {
    const instance = `inst-${i}`;
    const job = 'bench';
    for (const handler of HANDLERS) {
      for (const code of ['200', '500']) {
        let v = 0;
        const rate = code === '200' ? 20 : 1;
        out.push({ labels: [['__name__', 'bench_http_requests_total'], ['code', code], ['handler', handler], ['instance', instance], ['job', job]], next: (r) => (v += Math.floor(r() * rate * 2)) });
      }
    }
    // Cumulative buckets: one shared observation stream per instance, read in bucket order.
    const counts = new Array<number>(BUCKETS.length).fill(0);
    let sum = 0;
    let total = 0;
    BUCKETS.forEach((le, b) => {
      out.push({
        labels: [['__name__', 'bench_request_duration_seconds_bucket'], ['instance', instance], ['job', job], ['le', le]],
        next: (r) => {
          if (b === 0) {
            const n = Math.floor(r() * 40);
            for (let k = 0; k < n; k++) {
              const x = Math.exp(r() * 7 - 6);
              sum += x;
              total++;
              for (let j = 0; j < BOUNDS.length; j++) if (x <= BOUNDS[j]!) counts[j]!++;
            }
          }
          return counts[b]!;
        },
      });
    });
    out.push({ labels: [['__name__', 'bench_request_duration_seconds_count'], ['instance', instance], ['job', job]], next: () => total });
    out.push({ labels: [['__name__', 'bench_request_duration_seconds_sum'], ['instance', instance], ['job', job]], next: () => sum });
    let mem = 5e8;
    out.push({ labels: [['__name__', 'bench_memory_bytes'], ['instance', instance], ['job', job]], next: (r) => (mem = Math.max(1e8, mem + (r() - 0.5) * 1e7)) });
    let cpu = 0;
    out.push({ labels: [['__name__', 'bench_cpu_seconds_total'], ['instance', instance], ['job', job], ['mode', 'user']], next: (r) => (cpu += r() * 15) });
  }
  return out.slice(0, count);
}

export const BENCH_SEED = 42;

/** Number of 15 s steps and the step-grid time of the first one; sample k is at `startMs + k·STEP_MS − SAMPLE_OFFSET_MS`. */
export function benchTimeline(sh: Shape, endMs: number): { steps: number; startMs: number } {
  const steps = Math.floor((sh.hours * 3_600_000) / STEP_MS);
  return { steps, startMs: endMs - (steps - 1) * STEP_MS };
}

/**
 * A TimeSeries's `labels` fields, encoded once per series by the project's encoder: encoding
 * the same label strings again for every request was 60 % of the generator's time.
 */
function encodedLabels(labels: [string, string][]): Uint8Array {
  const whole = encodeWriteRequestV1({ timeseries: [{ labels, samples: [] }] });
  let p = 1; // past the TimeSeries tag, then past its length varint
  while (whole[p]! & 0x80) p++;
  return whole.subarray(p + 1);
}

function varintLength(n: number): number {
  let len = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) len++;
  return len;
}

function putVarint(buf: Uint8Array, pos: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) buf[pos++] = (n % 0x80) | 0x80;
  buf[pos++] = n;
  return pos;
}

/**
 * Request encoder for the bench's shape (each series of a request has a sample at each of the
 * same `n` timestamps, all positive), writing what `encodeWriteRequestV1` writes: the first
 * request of every shard is checked byte for byte against it.
 */
class RequestEncoder {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  constructor(private readonly labelBytes: Uint8Array[]) {}

  /** `values[i·n + k]` is series i's value at `times[k]`. */
  encode(seriesIdx: readonly number[], values: Float64Array, n: number, times: readonly number[]): Uint8Array {
    let size = 0;
    const seriesLen = seriesIdx.map((i) => {
      let len = this.labelBytes[i]!.length;
      for (let k = 0; k < n; k++) len += 2 + (values[i * n + k] !== 0 || Object.is(values[i * n + k], -0) ? 9 : 0) + 1 + varintLength(times[k]!);
      size += 1 + varintLength(len) + len;
      return len;
    });
    if (size > this.buf.length) {
      this.buf = new Uint8Array(size * 2);
      this.view = new DataView(this.buf.buffer);
    }
    const buf = this.buf;
    let p = 0;
    seriesIdx.forEach((i, j) => {
      buf[p++] = 0x0a; // WriteRequest.timeseries
      p = putVarint(buf, p, seriesLen[j]!);
      buf.set(this.labelBytes[i]!, p);
      p += this.labelBytes[i]!.length;
      for (let k = 0; k < n; k++) {
        const v = values[i * n + k]!;
        const hasV = v !== 0 || Object.is(v, -0);
        buf[p++] = 0x12; // TimeSeries.samples
        buf[p++] = (hasV ? 9 : 0) + 1 + varintLength(times[k]!);
        if (hasV) {
          buf[p++] = 0x09; // Sample.value, fixed64
          this.view.setFloat64(p, v, true);
          p += 8;
        }
        buf[p++] = 0x10; // Sample.timestamp, varint
        p = putVarint(buf, p, times[k]!);
      }
    });
    return buf.subarray(0, p);
  }
}

/** One time slice of the payloads: each shard's requests for the slice, in time order. */
export interface PayloadSlice {
  shards: Uint8Array[][];
  /** Samples in each request, parallel to `shards`. */
  samples: number[][];
  /** Steps encoded so far, including this slice, out of `steps`. */
  stepsDone: number;
  steps: number;
}

/**
 * The payloads, slice after slice (≈ SLICE_SAMPLES each), from one stateful generator so the
 * slices continue each other. Values step through all series in series order, step by step,
 * so histogram buckets stay cumulative; a shard's series are split into balanced groups of at
 * most SAMPLES_PER_REQUEST, and each request carries one group's samples for
 * `stepsPerRequest` steps (several steps when the group is small).
 */
export function* payloadSlices(sh: Shape, endMs: number): Generator<PayloadSlice, void> {
  const series = benchSeries(sh.series);
  const { steps, startMs } = benchTimeline(sh, endMs);
  const rand = mulberry32(BENCH_SEED);
  const groups = Array.from({ length: SHARDS }, (_, s) => {
    const mine = series.map((_, i) => i).filter((i) => i % SHARDS === s);
    const count = Math.ceil(mine.length / SAMPLES_PER_REQUEST);
    const size = Math.ceil(mine.length / Math.max(1, count));
    return Array.from({ length: count }, (_, g) => mine.slice(g * size, (g + 1) * size)).filter((g) => g.length);
  });
  const largest = Math.max(1, ...groups.flat().map((g) => g.length));
  const stepsPerRequest = Math.max(1, Math.floor(SAMPLES_PER_REQUEST / largest));
  const stepsPerSlice = Math.max(stepsPerRequest, Math.floor(SLICE_SAMPLES / Math.max(1, series.length) / stepsPerRequest) * stepsPerRequest);
  const encoder = new RequestEncoder(series.map((s) => encodedLabels(s.labels)));
  const values = new Float64Array(series.length * stepsPerRequest);
  let checked = false;
  for (let slice0 = 0; slice0 < steps; slice0 += stepsPerSlice) {
    const out: PayloadSlice = { shards: groups.map(() => []), samples: groups.map(() => []), stepsDone: Math.min(steps, slice0 + stepsPerSlice), steps };
    for (let s0 = slice0; s0 < out.stepsDone; s0 += stepsPerRequest) {
      const n = Math.min(stepsPerRequest, steps - s0);
      for (let k = 0; k < n; k++) for (let i = 0; i < series.length; i++) values[i * n + k] = series[i]!.next(rand);
      const times = Array.from({ length: n }, (_, k) => startMs + (s0 + k) * STEP_MS - SAMPLE_OFFSET_MS);
      groups.forEach((shardGroups, s) => {
        for (const g of shardGroups) {
          const raw = encoder.encode(g, values, n, times);
          if (!checked) verifyEncoding(raw, g, series, values, n, times);
          out.shards[s]!.push(compressWriteRequest(raw));
          out.samples[s]!.push(g.length * n);
        }
      });
      checked = true;
    }
    yield out;
  }
}

function verifyEncoding(raw: Uint8Array, group: readonly number[], series: GenSeries[], values: Float64Array, n: number, times: readonly number[]): void {
  const ts: EncodableSeries[] = group.map((i) => ({ labels: series[i]!.labels, samples: times.map((t, k) => ({ t, v: values[i * n + k]! })) }));
  const want = encodeWriteRequestV1({ timeseries: ts });
  if (want.length !== raw.length || want.some((b, i) => b !== raw[i])) throw new Error('bench/metrics.ts: RequestEncoder no longer matches encodeWriteRequestV1; update it to the encoder in src/sources/metrics/remote-write/encode.ts');
}

interface Totals {
  samples: number;
  bytes: number;
  requests: number;
  startMs: number;
}

/** Every request in memory, shard → requests in time order: for the in-process benches at small sizes. */
export function buildPayloads(sh: Shape, endMs: number): Totals & { shards: Uint8Array[][] } {
  const shards: Uint8Array[][] = Array.from({ length: SHARDS }, () => []);
  let samples = 0;
  let bytes = 0;
  for (const slice of payloadSlices(sh, endMs)) {
    slice.shards.forEach((reqs, s) => {
      shards[s]!.push(...reqs);
      for (const b of reqs) bytes += b.length;
    });
    for (const n of slice.samples.flat()) samples += n;
  }
  return { shards, samples, bytes, requests: shards.reduce((n, r) => n + r.length, 0), startMs: benchTimeline(sh, endMs).startMs };
}

/** Payloads written to one file per shard, request after request; `sizes` and `samples` describe each request. */
export interface SpooledPayloads extends Totals {
  shards: { file: string; sizes: number[]; samples: number[] }[];
  /** Deletes the spool directory. */
  remove(): void;
}

const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;

/** Encodes the payloads slice by slice into a temporary spool directory; progress goes to stderr when `label` is given. */
export function spoolPayloads(sh: Shape, endMs: number, label?: string): SpooledPayloads {
  const dir = mkdtempSync(path.join(tmpdir(), 'kansoku-bench-rw-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const shards = Array.from({ length: SHARDS }, (_, s) => ({ file: path.join(dir, `shard-${s}.bin`), sizes: [] as number[], samples: [] as number[] }));
  const fds = shards.map((s) => openSync(s.file, 'w'));
  let samples = 0;
  let bytes = 0;
  try {
    const t0 = performance.now();
    let lastPrint = t0;
    for (const slice of payloadSlices(sh, endMs)) {
      slice.shards.forEach((reqs, s) => {
        writeSync(fds[s]!, Buffer.concat(reqs));
        for (const b of reqs) {
          shards[s]!.sizes.push(b.length);
          bytes += b.length;
        }
        shards[s]!.samples.push(...slice.samples[s]!);
        for (const n of slice.samples[s]!) samples += n;
      });
      const now = performance.now();
      if (label && (now - lastPrint >= PROGRESS_EVERY_MS || slice.stepsDone === slice.steps)) {
        lastPrint = now;
        console.error(`${label}: encoding ${Math.round((100 * slice.stepsDone) / slice.steps)}% (${millions(samples)} samples, ${((now - t0) / 1000).toFixed(0)} s) …`);
      }
    }
  } catch (err) {
    remove();
    throw err;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return { shards, samples, bytes, requests: shards.reduce((n, s) => n + s.sizes.length, 0), startMs: benchTimeline(sh, endMs).startMs, remove };
}

/** A shard's spooled requests in order, read READ_CHUNK_BYTES at a time with the next chunk read ahead. */
async function* spooledBodies(shard: SpooledPayloads['shards'][number]): AsyncGenerator<Uint8Array> {
  const fh = await open(shard.file, 'r');
  try {
    let req = 0;
    let pos = 0;
    const readChunk = async (): Promise<Uint8Array[]> => {
      const first = req;
      let len = 0;
      while (req < shard.sizes.length && (req === first || len + shard.sizes[req]! <= READ_CHUNK_BYTES)) len += shard.sizes[req++]!;
      if (!len) return [];
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      if (bytesRead !== len) throw new Error(`${shard.file}: short read (${bytesRead} of ${len} bytes); was the spool deleted?`);
      pos += len;
      const bodies: Uint8Array[] = [];
      for (let i = first, off = 0; i < req; off += shard.sizes[i++]!) bodies.push(buf.subarray(off, off + shard.sizes[i]!));
      return bodies;
    };
    let next = readChunk();
    for (;;) {
      const bodies = await next;
      if (!bodies.length) return;
      next = readChunk();
      yield* bodies;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Sends every shard's requests in order, the shards in parallel; seconds until the last was
 * answered. `label` prints progress to stderr every PROGRESS_EVERY_MS.
 */
export async function ingest(url: string, headers: Record<string, string>, payloads: Uint8Array[][] | SpooledPayloads, label?: string): Promise<number> {
  const spooled = !Array.isArray(payloads);
  const total = spooled ? payloads.requests : payloads.reduce((n, r) => n + r.length, 0);
  const totalSamples = spooled ? payloads.samples : undefined;
  let sent = 0;
  let sentSamples = 0;
  const t0 = performance.now();
  const progress = label
    ? setInterval(() => {
        const pct = Math.round((100 * sent) / Math.max(1, total));
        console.error(`${label}: ${pct}% (${totalSamples === undefined ? `${sent} requests` : `${millions(sentSamples)} samples`}, ${((performance.now() - t0) / 1000).toFixed(0)} s) …`);
      }, PROGRESS_EVERY_MS)
    : undefined;
  try {
    await Promise.all(
      (spooled ? payloads.shards : payloads).map(async (shard) => {
        let i = 0;
        for await (const body of Array.isArray(shard) ? shard : spooledBodies(shard)) {
          const r = await fetch(`${url}/api/v1/write`, { method: 'POST', headers: { ...RW_HEADERS, ...headers }, body });
          if (r.status >= 300) throw new Error(`${url} refused a write: ${r.status} ${await r.text()}`);
          sent++;
          if (!Array.isArray(shard)) sentSamples += shard.samples[i++]!;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  return (performance.now() - t0) / 1000;
}

function du(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]);
  } catch (err) {
    // du exits 1 when a merge's temporary part vanishes while it walks the tree; its total is still printed.
    const out = (err as { stdout?: string }).stdout;
    if (out) return Number(out.split('\t')[0]);
    throw err;
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Waits until `pid` uses under 5 % of a core for two seconds in a row (at most 5 min); seconds waited. */
async function waitUntilIdle(pid: number): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  let last = cpuSeconds(pid);
  while (quiet < 2 && performance.now() - t0 < 300_000) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuSeconds(pid);
    quiet = now - last < 0.05 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface QueryCase {
  name: string;
  params(endS: number): Record<string, string>;
  path: 'query' | 'query_range';
}

const QUERIES: QueryCase[] = [
  { name: 'rate, one instance, 1 h range', path: 'query_range', params: (e) => ({ query: 'rate(bench_http_requests_total{instance="inst-1"}[5m])', start: String(e - 3600), end: String(e), step: '15' }) },
  { name: 'sum by (code) of rate, all series, 1 h', path: 'query_range', params: (e) => ({ query: 'sum by (code) (rate(bench_http_requests_total[5m]))', start: String(e - 3600), end: String(e), step: '15' }) },
  { name: 'histogram_quantile(0.99) over all instances, 1 h', path: 'query_range', params: (e) => ({ query: 'histogram_quantile(0.99, sum by (le) (rate(bench_request_duration_seconds_bucket[5m])))', start: String(e - 3600), end: String(e), step: '15' }) },
  { name: 'topk(5) memory, 1 h', path: 'query_range', params: (e) => ({ query: 'topk(5, bench_memory_bytes)', start: String(e - 3600), end: String(e), step: '15' }) },
  { name: '24 h range at 15 s step (5,761 points)', path: 'query_range', params: (e) => ({ query: 'sum(rate(bench_cpu_seconds_total{instance=~"inst-[0-4]"}[5m]))', start: String(e - 86_400), end: String(e), step: '15' }) },
];

async function timeQuery(url: string, headers: Record<string, string>, q: QueryCase, endS: number): Promise<{ p50: number; p95: number; result: unknown }> {
  const body = new URLSearchParams(q.params(endS)).toString();
  const times: number[] = [];
  let result: unknown;
  for (let i = 0; i < WARMUP_RUNS + QUERY_RUNS; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/v1/${q.path}?${body}`, { headers });
    const json = (await r.json()) as { status: string; data: unknown; error?: string };
    if (json.status !== 'success') throw new Error(`${url} ${q.name}: ${json.error}`);
    if (i >= WARMUP_RUNS) times.push(performance.now() - t0);
    result = json.data;
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!, result };
}

/** Same series and values (relative 1e-6) in both answers; otherwise where they first differ. */
function agree(a: unknown, b: unknown): true | string {
  const index = (d: unknown) => new Map(((d as { result: { metric: object; values: [number, string][] }[] }).result ?? []).map((s) => [JSON.stringify(Object.entries(s.metric).sort()), s.values]));
  const x = index(a);
  const y = index(b);
  if (x.size !== y.size) return `${x.size} vs ${y.size} series`;
  for (const [k, vs] of x) {
    const ws = y.get(k);
    if (!ws) return `series ${k} missing`;
    const wt = new Map(ws.map(([t, v]) => [t, v]));
    let diffs = 0;
    let first: number | undefined;
    for (const [t, v] of vs) {
      const w = wt.get(t);
      const p = Number(v);
      const q = Number(w);
      if (w === undefined || !(p === q || (Number.isNaN(p) && Number.isNaN(q)) || Math.abs(p - q) <= 1e-6 * Math.max(Math.abs(p), Math.abs(q)))) {
        diffs++;
        first ??= t;
      }
    }
    if (diffs || vs.length !== ws.length) return `${diffs} of ${vs.length} points differ (${vs.length} vs ${ws.length} points), first at ${first}`;
  }
  return true;
}

function agreement(a: unknown, b: unknown, dataStartMs: number): string {
  const r = agree(a, b);
  if (r === true) return 'yes';
  const m = /first at ([\d.]+)/.exec(r);
  return m ? `no: ${r.replace(/, first at .*/, '')}, from ${((Number(m[1]) * 1000 - dataStartMs) / 60_000).toFixed(1)} min after the first sample` : `no: ${r}`;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export const metricsBench: BenchSuite = {
  name: 'metrics',
  description: 'remote-write ingest, bytes per sample and dashboard query latency, beside Prometheus 2.42',
  async run() {
    const peer = await hasExecutable(PROMETHEUS_BIN);
    if (peer !== true) return `## metrics\n\nSkipped: ${peer}\n`;
    const sh = benchShape();
    const endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS - 60_000;
    console.error(`metrics: encoding ${sh.series} series × ${sh.hours} h …`);
    const payloads = spoolPayloads(sh, endMs, 'metrics');
    const requests = payloads.requests;
    console.error(`metrics: ${fmt(payloads.samples)} samples in ${requests} requests (${fmt(payloads.bytes / 1e6, 1)} MB compressed)`);

    let prom: PrometheusProcess | undefined;
    let ksk: ServerProc | undefined;
    try {
      prom = await startPrometheus({ extraArgs: ['--web.enable-admin-api', '--storage.tsdb.retention.time=30d'] });
      ksk = await startServerProcess({ env: { KANSOKU_LOG_LEVEL: 'warn' } });
      const kAuth = { authorization: `Bearer ${ksk.token()}` };

      console.error('metrics: ingesting into Prometheus …');
      const promSecs = await ingest(prom.url, {}, payloads, 'metrics: ingest into Prometheus');
      // Prometheus compacts its head into blocks once it spans more than 3 h (at --full, 22 h of
      // it): left running, that work would fall inside Kansoku's timed window. Each receiver
      // gets the machine to itself, as Kansoku's own flush is waited for below.
      const promSettled = await waitUntilIdle(prom.proc.pid!);
      console.error(`metrics: Prometheus idle again after ${fmt(promSettled, 1)} s`);
      console.error('metrics: ingesting into Kansoku …');
      const kskSecs = await ingest(ksk.url, kAuth, payloads, 'metrics: ingest into Kansoku');
      const promRate = payloads.samples / promSecs;
      const kskRate = payloads.samples / kskSecs;
      // Kansoku answers once samples are in its WAL and head (as Prometheus does); its flusher
      // writes them to chDB in the background. Wait for that before measuring disk and queries,
      // as long as the row count keeps growing (a --full run can take minutes).
      const kskRowsNow = async () => {
        const u = (await (await fetch(`${ksk!.url}/api/v1/metrics/storage`, { headers: kAuth })).json()) as { data: { tables: { table: string; rows: number }[] } };
        return u.data.tables.find((t) => t.table === 'samples')?.rows ?? 0;
      };
      const flushStart = performance.now();
      let flushed = await kskRowsNow();
      for (let lastGrowth = performance.now(); flushed < payloads.samples && performance.now() - lastGrowth < 60_000; ) {
        await new Promise((r) => setTimeout(r, 200));
        const now = await kskRowsNow();
        if (now > flushed) lastGrowth = performance.now();
        flushed = now;
      }
      const kskStoredSecs = kskSecs + (performance.now() - flushStart) / 1000;

      // Let background work settle before measuring disk and latency: chDB merges the many
      // small parts the inserts created (polled until the size stops shrinking, at most 60 s).
      let last = du(path.join(ksk.dataDir, 'telemetry'));
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 3000));
        const now = du(path.join(ksk.dataDir, 'telemetry'));
        if (now > last * 0.98) break;
        last = now;
      }
      const snap = (await (await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot?skip_head=false`, { method: 'POST' })).json()) as { data: { name: string } };
      const snapshotBytes = du(path.join(prom.tsdbDir, 'snapshots', snap.data.name));
      const promTsdbBytes = du(prom.tsdbDir) - snapshotBytes;
      const kskDu = du(path.join(ksk.dataDir, 'telemetry'));
      const kskWal = du(path.join(ksk.dataDir, 'wal'));
      const usage = (await (await fetch(`${ksk.url}/api/v1/metrics/storage`, { headers: kAuth })).json()) as { data: { tables: { table: string; rows: number; bytesOnDisk: number }[] } };
      const kskBytes = usage.data.tables.filter((t) => t.table === 'samples' || t.table === 'series').reduce((n, t) => n + t.bytesOnDisk, 0);
      const kskRows = usage.data.tables.find((t) => t.table === 'samples')?.rows ?? 0;

      const endS = endMs / 1000;
      const rows: string[] = [];
      for (const q of QUERIES) {
        console.error(`metrics: query ${q.name}`);
        const p = await timeQuery(prom.url, {}, q, endS);
        const k = await timeQuery(ksk.url, kAuth, q, endS);
        rows.push(`| ${q.name} | ${fmt(p.p50, 1)} / ${fmt(p.p95, 1)} | ${fmt(k.p50, 1)} / ${fmt(k.p95, 1)} | ${fmt(k.p50 / p.p50, 2)}× | ${agreement(p.result, k.result, payloads.startMs)} |`);
      }
      const promRss = rssMb(prom.proc.pid!);
      const kskRss = rssMb(ksk.proc.pid!);
      const perSample = (b: number) => b / payloads.samples;
      return [
        '## metrics',
        '',
        `${fmt(sh.series)} series × ${sh.hours} h at 15 s = ${fmt(payloads.samples)} samples, remote-write 1.0 in ${requests} requests of ≤${SAMPLES_PER_REQUEST} samples over ${SHARDS} shards (${fmt(payloads.bytes / 1e6, 1)} MB snappy). Same payloads to both, encoded beforehand and streamed from a spool file, one receiver after the other (Kansoku's once Prometheus was idle again, ${fmt(promSettled, 0)} s after its ingest); Prometheus ${execFileSync(PROMETHEUS_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.replace('prometheus, version ', '')}, Kansoku on embedded chDB. Loopback, 2 shared cores.`,
        '',
        '| measure | Prometheus | Kansoku | Kansoku ÷ Prometheus |',
        '|---|---|---|---|',
        `| ingest, samples/s | ${fmt(promRate)} | ${fmt(kskRate)} | ${fmt(kskRate / promRate, 2)}× |`,
        `| ingest until every sample is in chDB (WAL flushed), samples/s | — | ${flushed < payloads.samples ? `stalled at ${fmt(flushed)} of ${fmt(payloads.samples)} rows` : fmt(payloads.samples / kskStoredSecs)} | ${flushed < payloads.samples ? '—' : `${fmt(payloads.samples / kskStoredSecs / promRate, 2)}×`} |`,
        `| bytes per sample on disk | ${fmt(perSample(snapshotBytes), 2)} (block from a head snapshot); ${fmt(perSample(promTsdbBytes), 2)} (TSDB dir: WAL + head chunks + blocks) | ${fmt(perSample(kskBytes), 2)} (active parts of samples + series, from /api/v1/metrics/storage; ${fmt(kskRows)} sample rows); ${fmt(perSample(kskDu), 2)} (telemetry dir incl. parts awaiting cleanup after merges); ${fmt(perSample(kskWal), 2)} (WAL, kept for the 2 h head) | ${fmt(kskBytes / snapshotBytes, 2)}× block, ${fmt(kskBytes / promTsdbBytes, 2)}× TSDB dir |`,
        `| RSS after ingest | ${fmt(promRss)} MB | ${fmt(kskRss)} MB | ${fmt(kskRss / promRss, 2)}× |`,
        '',
        `Query latency over HTTP, ${QUERY_RUNS} runs after ${WARMUP_RUNS} warm-ups, ms:`,
        '',
        '| query | Prometheus p50 / p95 | Kansoku p50 / p95 | p50 ratio | same result |',
        '|---|---|---|---|---|',
        ...rows,
        '',
      ].join('\n');
    } finally {
      await ksk?.stop('SIGTERM');
      await prom?.stop();
      payloads.remove();
    }
  },
};
