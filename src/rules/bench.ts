/**
 * Evaluation cost of a large rule set: `benchRuleEvaluation({ rules: 4000, series: 30000 })`
 * loads synthetic series into in-memory SeriesSources, evaluates every rule through the PromQL
 * engine once per round, and reports wall and CPU time per round. The series are sharded by
 * metric name over several MemorySeriesSources (a name index, as every real store has), so the
 * figure measures rule evaluation and PromQL rather than a full scan per selector.
 */
import type { LabelMatcher } from '../core/labels.js';
import { MemorySeriesSource, PromqlEngine, type SeriesData, type SeriesSource } from '../query/promql/index.js';
import { alertRuleSpecSchema } from './alert-rule-kind.js';
import { engineQueryFunc } from './query-func.js';
import { RuleManager } from './rule-manager.js';

export interface RuleBenchOptions {
  rules?: number;
  series?: number;
  /** Distinct metric names the series spread over. */
  metrics?: number;
  rounds?: number;
  /** Rules per evaluation group. */
  groupSize?: number;
  scrapeIntervalMs?: number;
}

export interface RuleBenchResult {
  rules: number;
  series: number;
  rounds: number;
  loadMs: number;
  perRound: { wallMs: number; cpuMs: number; firing: number; pending: number; failedRules: number }[];
  medianWallMs: number;
  medianCpuMs: number;
}

/** A SeriesSource indexed by `__name__`: selectors with a name read only that metric's shard. */
class NameShardedSource implements SeriesSource {
  readonly shards = new Map<string, MemorySeriesSource>();

  add(name: string, s: SeriesData): void {
    let shard = this.shards.get(name);
    if (!shard) {
      shard = new MemorySeriesSource();
      this.shards.set(name, shard);
    }
    shard.add(s.labels, s.samples);
  }

  async select(matchers: LabelMatcher[], minT: number, maxT: number, signal?: AbortSignal): Promise<SeriesData[]> {
    const name = matchers.find((m) => m.name === '__name__' && m.op === '=');
    if (name) return (await this.shards.get(name.value)?.select(matchers, minT, maxT, signal)) ?? [];
    const all = await Promise.all([...this.shards.values()].map((s) => s.select(matchers, minT, maxT, signal)));
    return all.flat();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function benchRuleEvaluation(opts: RuleBenchOptions = {}): Promise<RuleBenchResult> {
  const nRules = opts.rules ?? 4000;
  const nSeries = opts.series ?? 30_000;
  const nMetrics = opts.metrics ?? 300;
  const rounds = opts.rounds ?? 3;
  const groupSize = opts.groupSize ?? 400;
  const step = opts.scrapeIntervalMs ?? 15_000;
  const now = Date.UTC(2026, 0, 1, 12);
  const t0 = performance.now();
  const source = new NameShardedSource();
  for (let i = 0; i < nSeries; i++) {
    const metric = `bench_metric_${i % nMetrics}`;
    const inst = Math.floor(i / nMetrics);
    const samples = [];
    // 6 minutes of samples: enough for rate(x[5m]) and the 5-minute lookback.
    const base = (i * 7919) % 1000;
    // Gauges hover around a per-series level; a counter-like drift of 0.1/s keeps rate() low,
    // so about 1 % of the threshold rules fire, as in a healthy estate.
    for (let t = now - 6 * 60_000; t <= now + rounds * 60_000; t += step) samples.push({ t, v: base + (t - now + 6 * 60_000) / 10_000 });
    source.add(metric, { labels: { __name__: metric, instance: `host-${inst}:9100`, job: `job-${inst % 10}` }, samples });
  }
  const loadMs = performance.now() - t0;
  const manager = new RuleManager({ query: engineQueryFunc(new PromqlEngine(source)) });
  const docs = [];
  for (let r = 0; r < nRules; r++) {
    const metric = `bench_metric_${r % nMetrics}`;
    // A mix of the shapes real rule sets use: thresholds, rates, aggregations.
    const shape = r % 4;
    const expr =
      shape === 0
        ? `${metric} > ${1030 + (r % 10)}`
        : shape === 1
          ? `rate(${metric}[5m]) > 0.5`
          : shape === 2
            ? `avg by (job) (${metric}) > 900`
            : `${metric}{job="job-${r % 10}"} < 10`;
    docs.push({
      name: `bench-${r}`,
      spec: alertRuleSpecSchema.parse({
        alert: `Bench${r}`,
        group: `g${Math.floor(r / groupSize)}`,
        expr,
        for: r % 2 ? '1m' : '0s',
        labels: { severity: 'warning' },
        annotations: { summary: '{{ $labels.instance }} at {{ humanize $value }}' },
      }),
    });
  }
  manager.setRules(docs);
  const perRound: RuleBenchResult['perRound'] = [];
  for (let i = 0; i < rounds; i++) {
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const rs = await manager.evaluateAll(now + i * 60_000);
    const cpu = process.cpuUsage(cpu0);
    perRound.push({
      wallMs: performance.now() - w0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      firing: rs.reduce((n, r) => n + r.firing, 0),
      pending: rs.reduce((n, r) => n + r.pending, 0),
      failedRules: rs.reduce((n, r) => n + r.failedRules, 0),
    });
  }
  return {
    rules: nRules,
    series: nSeries,
    rounds,
    loadMs,
    perRound,
    medianWallMs: median(perRound.map((p) => p.wallMs)),
    medianCpuMs: median(perRound.map((p) => p.cpuMs)),
  };
}
