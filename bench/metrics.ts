/**
 * Metrics: Kansoku beside Debian's Prometheus 2.42 in one run, both fed the same remote-write
 * payloads: ingest samples/s, bytes per sample on disk, and p50/p95 latency of five dashboard
 * queries (rate, sum by, histogram_quantile, topk, a 24 h range at 15 s step).
 *
 * Default size 1,000 series × 6 h at a 15 s interval (the machine has 2 shared cores);
 * `--full` runs the 10,000 series × 24 h; `--series=N --hours=H` pick any size.
 * Payloads are encoded before timing; each of 4 shards owns a fixed subset of series and sends
 * its requests in time order, as Prometheus's remote-write shards do, so no sample arrives out
 * of order at either receiver.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hasExecutable } from '../test/support/peer.js';
import { startServerProcess, type ServerProc } from '../test/support/server-process.js';
import { PROMETHEUS_BIN, startPrometheus, type PrometheusProcess } from '../src/metrics/test-support/prometheus-process.js';
import { compressWriteRequest, encodeWriteRequestV1, type EncodableSeries } from '../src/sources/metrics/remote-write/index.js';
import type { BenchSuite } from './run.js';

const STEP_MS = 15_000;
/** Samples sit 7.3 s off the query step grid, so no sample lies exactly on a range-window edge (Prometheus 2.x closes ranges on the left, 3.x and Kansoku do not). */
const SAMPLE_OFFSET_MS = 7_300;
const SHARDS = 4;
const SAMPLES_PER_REQUEST = 2000;
const QUERY_RUNS = 15;
const WARMUP_RUNS = 2;
const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'user-agent': 'kansoku-bench' };
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
const HANDLERS = ['/api', '/login', '/cart', '/search', '/static'];

export function arg(name: string): string | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

interface Shape {
  series: number;
  hours: number;
}

function shape(): Shape {
  if (process.argv.includes('--full')) return { series: 10_000, hours: 24 };
  return { series: Number(arg('series') ?? 1000), hours: Number(arg('hours') ?? 6) };
}

/** Deterministic PRNG so every run (and both receivers) see the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenSeries {
  labels: [string, string][];
  next(rand: () => number): number;
}

/** 25 series per instance: 10 request counters, 11 histogram buckets + _sum + _count, 2 gauges. */
function buildSeries(count: number): GenSeries[] {
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
              for (let j = 0; j < BUCKETS.length; j++) if (BUCKETS[j] === '+Inf' || x <= Number(BUCKETS[j])) counts[j]!++;
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

/** Shard → requests in time order; every series of a shard gets `stepsPerRequest` samples per request. */
export function buildPayloads(sh: Shape, endMs: number): { shards: Uint8Array[][]; samples: number; bytes: number; startMs: number } {
  const series = buildSeries(sh.series);
  const steps = Math.floor((sh.hours * 3_600_000) / STEP_MS);
  const startMs = endMs - (steps - 1) * STEP_MS;
  const rand = mulberry32(42);
  // Values step by step for all series, in series order, so histogram buckets stay cumulative.
  const shards: Uint8Array[][] = Array.from({ length: SHARDS }, () => []);
  const perShard = Array.from({ length: SHARDS }, (_, s) => series.map((_, i) => i).filter((i) => i % SHARDS === s));
  const stepsPerRequest = Math.max(1, Math.floor(SAMPLES_PER_REQUEST / Math.max(1, perShard[0]!.length)));
  let samples = 0;
  let bytes = 0;
  for (let s0 = 0; s0 < steps; s0 += stepsPerRequest) {
    const n = Math.min(stepsPerRequest, steps - s0);
    const values: number[][] = series.map(() => []);
    for (let k = 0; k < n; k++) for (let i = 0; i < series.length; i++) values[i]!.push(series[i]!.next(rand));
    for (let s = 0; s < SHARDS; s++) {
      const ts: EncodableSeries[] = perShard[s]!.map((i) => ({ labels: series[i]!.labels, samples: values[i]!.map((v, k) => ({ t: startMs + (s0 + k) * STEP_MS - SAMPLE_OFFSET_MS, v })) }));
      if (!ts.length) continue;
      const body = compressWriteRequest(encodeWriteRequestV1({ timeseries: ts }));
      shards[s]!.push(body);
      samples += ts.length * n;
      bytes += body.length;
    }
  }
  return { shards, samples, bytes, startMs };
}

/** Sends every shard's requests in order, the shards in parallel; seconds until the last was answered. */
export async function ingest(url: string, headers: Record<string, string>, shards: Uint8Array[][]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    shards.map(async (reqs) => {
      for (const body of reqs) {
        const r = await fetch(`${url}/api/v1/write`, { method: 'POST', headers: { ...RW_HEADERS, ...headers }, body });
        if (r.status >= 300) throw new Error(`${url} refused a write: ${r.status} ${await r.text()}`);
      }
    }),
  );
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
    const sh = shape();
    const endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS - 60_000;
    console.error(`metrics: encoding ${sh.series} series × ${sh.hours} h …`);
    const payloads = buildPayloads(sh, endMs);
    const requests = payloads.shards.reduce((n, s) => n + s.length, 0);
    console.error(`metrics: ${fmt(payloads.samples)} samples in ${requests} requests (${fmt(payloads.bytes / 1e6, 1)} MB compressed)`);

    let prom: PrometheusProcess | undefined;
    let ksk: ServerProc | undefined;
    try {
      prom = await startPrometheus({ extraArgs: ['--web.enable-admin-api', '--storage.tsdb.retention.time=30d'] });
      ksk = await startServerProcess({ env: { KANSOKU_LOG_LEVEL: 'warn' } });
      const kAuth = { authorization: `Bearer ${ksk.token()}` };

      console.error('metrics: ingesting into Prometheus …');
      const promSecs = await ingest(prom.url, {}, payloads.shards);
      console.error('metrics: ingesting into Kansoku …');
      const kskSecs = await ingest(ksk.url, kAuth, payloads.shards);
      const promRate = payloads.samples / promSecs;
      const kskRate = payloads.samples / kskSecs;
      // Kansoku answers once samples are in its WAL and head (as Prometheus does); its flusher
      // writes them to chDB in the background. Wait for that before measuring disk and queries.
      const kskRowsNow = async () => {
        const u = (await (await fetch(`${ksk!.url}/api/v1/metrics/storage`, { headers: kAuth })).json()) as { data: { tables: { table: string; rows: number }[] } };
        return u.data.tables.find((t) => t.table === 'samples')?.rows ?? 0;
      };
      const flushStart = performance.now();
      for (let i = 0; i < 600 && (await kskRowsNow()) < payloads.samples; i++) await new Promise((r) => setTimeout(r, 200));
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
        `${fmt(sh.series)} series × ${sh.hours} h at 15 s = ${fmt(payloads.samples)} samples, remote-write 1.0 in ${requests} requests of ≤${SAMPLES_PER_REQUEST} samples over ${SHARDS} shards (${fmt(payloads.bytes / 1e6, 1)} MB snappy). Same payloads to both, one after the other; Prometheus ${execFileSync(PROMETHEUS_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.replace('prometheus, version ', '')}, Kansoku on embedded chDB. Loopback, 2 shared cores.`,
        '',
        '| measure | Prometheus | Kansoku | Kansoku ÷ Prometheus |',
        '|---|---|---|---|',
        `| ingest, samples/s | ${fmt(promRate)} | ${fmt(kskRate)} | ${fmt(kskRate / promRate, 2)}× |`,
        `| ingest until every sample is in chDB (WAL flushed), samples/s | — | ${fmt(payloads.samples / kskStoredSecs)} | ${fmt(payloads.samples / kskStoredSecs / promRate, 2)}× |`,
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
    }
  },
};
