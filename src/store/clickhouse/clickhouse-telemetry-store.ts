/**
 * The telemetry store on ClickHouse SQL: one implementation for chDB and a ClickHouse server,
 * which differ only in the transport handed in.
 */
import { STATUS_FROM_CODE, type CheckStatus } from '../../core/check-result.js';
import type { FieldIssue } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  ROLLUP_RESOLUTION_MS,
  type AggregateSamplesQuery,
  type AggregateSamplesResult,
  type SampleResolution,
} from '../telemetry-store.js';
import type {
  AppendSeries,
  Availability,
  AvailabilityQuery,
  CheckResultQuery,
  CheckResultRow,
  LabelQuery,
  Labels,
  LogEventRow,
  LogSearchQuery,
  RetentionConfig,
  SampleColumns,
  SampleRow,
  SelectSeriesQuery,
  SeriesData,
  TableUsage,
  TelemetryStore,
} from '../telemetry-store.js';
import { dateTime64Text, dayText, float64BitsText, parseCount, parseFloat64 } from './encode.js';
import { runMigrations } from './migrate.js';
import { ColumnarSeries } from '../sample-columns.js';
import {
  DATA_TABLES,
  availabilitySql,
  labelNamesSql,
  labelValuesSql,
  searchLogsSql,
  selectCheckResultsSql,
  matchSeriesSql,
  sampleRowsSql,
  finalSampleRowsSql,
  usageSql,
  aggregateSql,
  type AggregateDbRow,
  type AggregatePlan,
  type CheckResultDbRow,
  type LogEventDbRow,
  type MatchedSeriesRow,
} from './queries.js';
import { resolveRetention } from './retention.js';
import { RollupJob } from './rollups.js';
import { decodeSampleRows } from './sample-rows.js';
import { encodeNativeBlock, setInt64Words } from './native-block.js';
import { SAMPLE_INSERT_COLUMNS, SAMPLE_NATIVE_COLUMNS, TABLES } from './schema.js';
import { canonicalLabelKey, canonicalLabels } from './series-id.js';
import { SeriesIdCache } from './series-id-cache.js';
import { SeriesMatchCache } from './series-match-cache.js';
import { storeClosedError } from './store-errors.js';
import type { ClickHouseTransport } from './transport.js';
import { isEpochMs, throwIfIssues, validateSamples, validateSeriesColumns } from '../sample-validation.js';

export interface TelemetryStoreOptions {
  logger: Logger;
  /** Milliseconds per kind; defaults 15 d samples, 90 d check results, 30 d log events. */
  retention?: Partial<RetentionConfig>;
  /** Current time in epoch ms; tests pin it. */
  now?: () => number;
  /** How often the rollup job runs after migrate(); default one minute, 0 turns the timer off (reads through a rollup still run it when behind). */
  rollupIntervalMs?: number;
}

const DEFAULT_CHECK_RESULT_LIMIT = 1000;
const DEFAULT_LOG_LIMIT = 100;
const MAX_ROWS = 100_000;
const DAY_MS = 86_400_000;
const FIVE_MIN_MS = ROLLUP_RESOLUTION_MS['5m'];
/** Series-days this process has written; bounded so a cardinality explosion cannot grow it forever. */
const KNOWN_SERIES_DAYS_MAX = 500_000;
/** How long a series lookup is reused on a ClickHouse server, which other processes may write to. */
const SERIES_MATCH_MAX_AGE_MS = 10_000;
const STATUSES = new Set<string>(STATUS_FROM_CODE);
/** aggregateSamples reads a rollup for ranges longer than this even inside the raw retention. */
const LONG_RANGE_MS = 2 * DAY_MS;
const DEFAULT_ROLLUP_INTERVAL_MS = 60_000;

export function createTelemetryStore(transport: ClickHouseTransport, options: TelemetryStoreOptions): TelemetryStore {
  return new ClickHouseTelemetryStore(transport, options);
}

class ClickHouseTelemetryStore implements TelemetryStore {
  readonly engine;
  readonly #transport: ClickHouseTransport;
  readonly #logger: Logger;
  readonly #retention: RetentionConfig;
  readonly #now: () => number;
  readonly #inflight = new Set<Promise<unknown>>();
  /** `${seriesId}/${day}` pairs already in the series table: the series row is written once per day. */
  readonly #knownSeriesDays = new Set<string>();
  readonly #seriesIds = new SeriesIdCache();
  /** Ids of frozen labels objects, by identity (see #seriesIdEntry). */
  readonly #frozenIds = new WeakMap<AppendSeries['labels'], SeriesIdEntry>();
  readonly #seriesMatches: SeriesMatchCache;
  readonly #rollups: RollupJob;
  readonly #rollupIntervalMs: number;
  #rollupTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(transport: ClickHouseTransport, options: TelemetryStoreOptions) {
    this.engine = transport.engine;
    this.#transport = transport;
    // chDB is embedded: only this store writes it. A ClickHouse server may have other writers.
    this.#seriesMatches = new SeriesMatchCache(transport.engine === 'chdb' ? Infinity : SERIES_MATCH_MAX_AGE_MS);
    this.#logger = options.logger;
    this.#retention = resolveRetention(options.retention);
    this.#now = options.now ?? Date.now;
    this.#rollups = new RollupJob(transport, this.#logger, this.#retention, this.#now);
    this.#rollupIntervalMs = options.rollupIntervalMs ?? DEFAULT_ROLLUP_INTERVAL_MS;
  }

  /** Starts the periodic rollup job once the tables exist; errors are logged, the next tick retries. */
  #startRollups(): void {
    if (this.#rollupTimer || this.#closing || this.#rollupIntervalMs <= 0) return;
    this.#rollupTimer = setInterval(() => {
      if (this.#closing) return;
      this.#track(() => this.#rollups.run()).catch((err: unknown) => this.#logger.warn({ err }, 'rollup job failed; retrying at the next tick'));
    }, this.#rollupIntervalMs);
    this.#rollupTimer.unref();
  }

  /**
   * Every public operation runs through here so close() can wait for it: an append is several
   * statements, and the transport must not go away between them.
   */
  #track<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(storeClosedError(this.engine));
    const p = work();
    this.#inflight.add(p);
    const forget = () => this.#inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** The oldest instant still inside a retention window. */
  #horizon(retentionMs: number): number {
    return this.#now() - retentionMs;
  }

  migrate(): Promise<void> {
    return this.#track(async () => {
      await runMigrations(this.#transport, this.#retention, this.#logger);
      this.#startRollups();
    });
  }

  appendSamples(samples: SampleRow[]): Promise<void> {
    return this.#track(async () => {
      validateSamples(samples);
      const horizon = this.#horizon(this.#retention.samplesMs);
      // Callers usually share one labels object among a series' samples (remote-write, scrapes):
      // resolving the id once per object keeps canonicalisation off the per-sample path.
      const idByObject = new Map<SampleRow['labels'], string>();
      // Scrapes and remote-write send many series at the same few instants: format each once.
      const timeText = new Map<number, string>();
      const plan = new AppendPlan(this.#knownSeriesDays, this.#rollups.lateBefore());
      let body = '';
      let dropped = 0;
      let lastId = '';
      let lastDay = -1;
      for (const s of samples) {
        if (s.t < horizon) {
          dropped++;
          continue;
        }
        if (s.t < plan.lateBefore) plan.markLate(s.t);
        let id = idByObject.get(s.labels);
        if (id === undefined) {
          id = this.#seriesIds.idOf(s.labels);
          idByObject.set(s.labels, id);
        }
        const dayNumber = Math.floor(s.t / DAY_MS);
        // Samples of one series usually arrive together: skip the set lookups for repeats.
        if (id !== lastId || dayNumber !== lastDay) {
          lastId = id;
          lastDay = dayNumber;
          plan.seriesDay(id, s.labels, s.t, dayNumber);
        }
        let tt = timeText.get(s.t);
        if (tt === undefined) {
          tt = dateTime64Text(s.t);
          timeText.set(s.t, tt);
        }
        body += `${id}\t${tt}\t${float64BitsText(s.v)}\n`;
      }
      if (dropped) this.#logger.debug({ dropped }, 'samples older than the retention window were not stored');
      if (!body) return;
      await this.#store(plan, () => this.#transport.insertRaw(TABLES.samples, body, 'TSV', SAMPLE_INSERT_COLUMNS));
    });
  }

  /**
   * appendSamples for samples grouped per series in columns (the remote-write path and the
   * head's flusher): same validation, retention, series rows and rollup marks, and the samples
   * go as one Native block (series_id, t, v columns) filled straight from the arrays, without
   * an object or a line of text per sample. v's bytes are copied as they are, so every bit of
   * a value (a NaN's payload too) is kept.
   */
  appendSeriesColumns(series: AppendSeries[]): Promise<void> {
    return this.#track(async () => {
      const total = validateSeriesColumns(series);
      if (!total) return;
      const horizon = this.#horizon(this.#retention.samplesMs);
      const plan = new AppendPlan(this.#knownSeriesDays, this.#rollups.lateBefore());
      const ids = new BigUint64Array(total);
      const tWords = new Uint32Array(2 * total);
      const vs = new Float64Array(total);
      const vBits = new Uint32Array(vs.buffer);
      // A series may come in several parts: its id and the day last noted for it are looked up
      // once per part, and per sample only two range checks decide whether anything is new.
      const inCall = new Map<AppendSeries['labels'], { entry: SeriesIdEntry; dayFrom: number; dayTo: number }>();
      const lateBefore = plan.lateBefore;
      let lateFrom = 0;
      let lateTo = 0;
      let k = 0;
      // Values as their bits (every bit of a NaN kept), through one word view per source array.
      let srcV: Float64Array | undefined;
      let srcBits: Uint32Array<ArrayBufferLike> = vBits;
      for (const { labels, t, v, start = 0, end = t.length } of series) {
        if (start === end) continue;
        if (v !== srcV) {
          srcV = v;
          srcBits = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
        }
        let known = inCall.get(labels);
        if (known === undefined) {
          known = { entry: this.#seriesIdEntry(labels), dayFrom: 0, dayTo: 0 };
          inCall.set(labels, known);
        }
        const { entry } = known;
        let { dayFrom, dayTo } = known;
        const from = k;
        for (let i = start; i < end; i++) {
          const x = t[i]!;
          if (x < horizon) continue;
          if (x < lateBefore && (x < lateFrom || x >= lateTo)) {
            lateFrom = Math.floor(x / FIVE_MIN_MS) * FIVE_MIN_MS;
            lateTo = lateFrom + FIVE_MIN_MS;
            plan.lateWindows.add(lateFrom);
          }
          if (x < dayFrom || x >= dayTo) {
            dayFrom = Math.floor(x / DAY_MS) * DAY_MS;
            dayTo = dayFrom + DAY_MS;
            if (entry.writtenDay !== dayFrom) plan.seriesDay(entry.id, labels, x, dayFrom / DAY_MS, entry);
          }
          setInt64Words(tWords, k, x);
          vBits[2 * k] = srcBits[2 * i]!;
          vBits[2 * k + 1] = srcBits[2 * i + 1]!;
          k++;
        }
        known.dayFrom = dayFrom;
        known.dayTo = dayTo;
        ids.fill(entry.big, from, k);
      }
      if (k < total) this.#logger.debug({ dropped: total - k }, 'samples older than the retention window were not stored');
      if (!k) return;
      const block = encodeNativeBlock(k, [
        { ...SAMPLE_NATIVE_COLUMNS[0]!, data: ids },
        { ...SAMPLE_NATIVE_COLUMNS[1]!, data: tWords },
        { ...SAMPLE_NATIVE_COLUMNS[2]!, data: vs },
      ]);
      await this.#store(plan, () => this.#transport.insertNative(TABLES.samples, SAMPLE_NATIVE_COLUMNS, block));
    });
  }

  /**
   * A series' id as text (series rows) and as the UInt64 of the Native block. A frozen labels
   * object (the head's series, remote-write's) keeps its entry for as long as it lives: the port
   * lets a store remember one by identity, and the flusher sends the same few objects every block.
   */
  #seriesIdEntry(labels: AppendSeries['labels']): SeriesIdEntry {
    const frozen = Object.isFrozen(labels);
    let entry = frozen ? this.#frozenIds.get(labels) : undefined;
    if (entry === undefined) {
      const id = this.#seriesIds.idOf(labels);
      entry = { id, big: BigInt(id), writtenDay: -1 };
      if (frozen) this.#frozenIds.set(labels, entry);
    }
    return entry;
  }

  /** The writes of one sample append, in the order readers and the rollup job rely on. */
  async #store(plan: AppendPlan, insertSamples: () => Promise<void>): Promise<void> {
    // Series first: a reader that finds a sample can always find its labels.
    if (plan.newSeries.length) {
      try {
        await this.#transport.insertRows(TABLES.series, plan.newSeries);
      } finally {
        // Even after a failure: some of the rows may have been written.
        this.#seriesMatches.invalidate();
      }
    }
    await insertSamples();
    // After the samples: a job that sees the mark always sees the samples too.
    if (plan.lateWindows.size) await this.#rollups.markDirty(plan.lateWindows);
    if (this.#knownSeriesDays.size + plan.newSeriesKeys.size > KNOWN_SERIES_DAYS_MAX) this.#knownSeriesDays.clear();
    for (const key of plan.newSeriesKeys) this.#knownSeriesDays.add(key);
    plan.written();
  }

  selectSeries(q: SelectSeriesQuery): Promise<SeriesData[]> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.samplesMs));
      if (startMs > q.endMs || q.limit === 0) return [];
      const series = await this.#seriesMatches.get(q.matchers, startMs, q.endMs, () => {
        const matched = matchSeriesSql({ matchers: q.matchers, startMs, endMs: q.endMs });
        return this.#transport.queryRows<MatchedSeriesRow>(matched.sql, matched.params);
      });
      if (!series.length) return [];
      const labelsById = new Map<string, Record<string, string>>();
      for (const r of series) labelsById.set(r.id, r.series_labels);
      const ids = [...labelsById.keys()].map((id) => BigInt(id));
      const range = { startMs, endMs: q.endMs };
      const out: SeriesData[] = [];
      const collect = (bySeries: Map<string, SampleColumns>, skip?: ReadonlySet<string>) => {
        for (const [id, cols] of bySeries) {
          const labels = labelsById.get(id);
          // A copy: the cached lookup's labels are shared between reads.
          if (labels && !skip?.has(id)) out.push(new ColumnarSeries({ ...labels }, cols.t, cols.v));
        }
      };
      if (q.limit === undefined) {
        const plain = sampleRowsSql({ ids, ...range });
        const decoded = decodeSampleRows(await this.#transport.queryRowBinary(plain.sql, plain.params));
        const again = new Set(decoded.duplicated);
        collect(decoded.bySeries, again);
        if (again.size) {
          const final = finalSampleRowsSql({ ids: decoded.duplicated.map((id) => BigInt(id)), ...range });
          collect(decodeSampleRows(await this.#transport.queryRowBinary(final.sql, final.params)).bySeries);
        }
      } else {
        const final = finalSampleRowsSql({ ids, ...range, limit: q.limit });
        collect(decodeSampleRows(await this.#transport.queryRowBinary(final.sql, final.params)).bySeries);
      }
      return sortByLabels(out);
    });
  }

  aggregateSamples(q: AggregateSamplesQuery): Promise<AggregateSamplesResult> {
    return this.#track(async () => {
      validateAggregateQuery(q);
      const resolution = this.#chooseResolution(q);
      const empty: AggregateSamplesResult = { resolution, series: 0, rows: [] };
      // Series rows are kept as long as the longest rollup; raw reads stop at the raw horizon.
      const horizon = this.#horizon(resolution === 'raw' ? this.#retention.samplesMs : resolution === '5m' ? this.#retention.rollups5mMs : this.#retention.rollups1hMs);
      const startMs = Math.max(q.startMs, horizon);
      if (startMs > q.endMs) return empty;
      const matched = matchSeriesSql({ matchers: q.matchers, startMs, endMs: q.endMs });
      const series = await this.#transport.queryRows<MatchedSeriesRow>(matched.sql, matched.params);
      if (!series.length) return empty;
      if (q.maxSeries !== undefined && series.length > q.maxSeries) return { resolution, series: series.length, rows: [] };

      // Group numbers follow the groups' label values, so "ORDER BY g" sorts rows by group
      // whatever order the series lookup returned (it has none: parallel reads reorder it).
      const seriesValues = series.map((r) => q.groupBy.map((name) => r.series_labels[name] ?? ''));
      const distinct = new Map<string, string[]>();
      for (const values of seriesValues) distinct.set(JSON.stringify(values), values);
      const sortedKeys = [...distinct.keys()].sort((a, b) => compareValues(distinct.get(a)!, distinct.get(b)!));
      const groupIndex = new Map(sortedKeys.map((k, i) => [k, i]));
      const groupLabels = sortedKeys.map((k) => Object.fromEntries(q.groupBy.map((name, i) => [name, distinct.get(k)![i]!])));
      const groups = seriesValues.map((values) => groupIndex.get(JSON.stringify(values))!);
      const plan: AggregatePlan = { resolution };
      if (resolution !== 'raw') {
        if (this.#rollups.isBehind()) await this.#rollups.run();
        plan.rolledUntilMs = (resolution === '5m' ? this.#rollups.status.rolled5mUntil : this.#rollups.status.rolled1hUntil) ?? startMs;
      }
      const { sql, params } = aggregateSql(
        { ids: series.map((r) => BigInt(r.id)), groups, periodMs: q.periodMs, quantiles: q.quantiles, startMs, endMs: q.endMs },
        plan,
      );
      const rows = await this.#transport.queryRows<AggregateDbRow>(sql, params);
      return {
        resolution,
        series: series.length,
        rows: rows.map((r) => {
          const row: AggregateSamplesResult['rows'][number] = {
            group: { ...groupLabels[parseCount(r.g)] },
            t: parseCount(r.b) * q.periodMs,
            count: parseCount(r.n),
            sum: parseFloat64(r.s),
            min: parseFloat64(r.lo),
            max: parseFloat64(r.hi),
            first: parseFloat64(r.f),
            last: parseFloat64(r.l),
          };
          if (q.quantiles?.length) row.quantiles = (r.qs ?? []).map((v) => parseFloat64(v));
          return row;
        }),
      };
    });
  }

  /** See AggregateSamplesQuery.resolution. */
  #chooseResolution(q: AggregateSamplesQuery): SampleResolution {
    if (q.resolution && q.resolution !== 'auto') return q.resolution;
    const beyondRaw = q.startMs < this.#horizon(this.#retention.samplesMs);
    const long = q.endMs - q.startMs > LONG_RANGE_MS;
    if (!beyondRaw && (!long || q.quantiles?.length)) return 'raw';
    if (q.periodMs % ROLLUP_RESOLUTION_MS['1h'] === 0) return '1h';
    if (q.periodMs % ROLLUP_RESOLUTION_MS['5m'] === 0) return '5m';
    return 'raw';
  }

  labelNames(q: LabelQuery): Promise<string[]> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.samplesMs));
      if (startMs > q.endMs) return [];
      const { sql, params } = labelNamesSql({ matchers: q.matchers, startMs, endMs: q.endMs });
      return (await this.#transport.queryRows<{ name: string }>(sql, params)).map((r) => r.name);
    });
  }

  labelValues(name: string, q: LabelQuery): Promise<string[]> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.samplesMs));
      if (startMs > q.endMs) return [];
      const { sql, params } = labelValuesSql(name, { matchers: q.matchers, startMs, endMs: q.endMs });
      return (await this.#transport.queryRows<{ value: string }>(sql, params)).map((r) => r.value);
    });
  }

  appendCheckResults(rows: CheckResultRow[]): Promise<void> {
    return this.#track(async () => {
      validateCheckResults(rows);
      const horizon = this.#horizon(this.#retention.checkResultsMs);
      const kept = rows.filter((r) => r.startedAt >= horizon);
      if (!kept.length) return;
      const rowsOut = kept.map((r) => ({
          check_name: r.check,
          location: r.location,
          started_at: dateTime64Text(r.startedAt),
          run_id: r.runId,
          status: r.status,
          message: r.message,
          duration_ms: r.durationMs,
          metrics: JSON.stringify(r.metrics ?? []),
          evidence: JSON.stringify(r.evidence ?? {}),
        }));
      await this.#transport.insertRows(TABLES.checkResults, rowsOut);
    });
  }

  selectCheckResults(q: CheckResultQuery): Promise<CheckResultRow[]> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.checkResultsMs));
      const limit = clampLimit(q.limit, DEFAULT_CHECK_RESULT_LIMIT);
      if (startMs > q.endMs || limit === 0) return [];
      const { sql, params } = selectCheckResultsSql({ ...q, startMs, limit });
      const rows = await this.#transport.queryRows<CheckResultDbRow>(sql, params);
      return rows.map((r) => ({
        check: r.check_name,
        location: r.location,
        status: r.status as CheckStatus,
        message: r.message,
        startedAt: parseCount(r.started_at_ms),
        durationMs: parseFloat64(r.duration_ms),
        metrics: parseJson(r.metrics, []),
        evidence: parseJson(r.evidence, {}),
        runId: r.run_id,
      }));
    });
  }

  availability(q: AvailabilityQuery): Promise<Availability> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.checkResultsMs));
      const byStatus: Record<string, number> = {};
      let runs = 0;
      if (startMs <= q.endMs) {
        const { sql, params } = availabilitySql({ ...q, startMs });
        for (const r of await this.#transport.queryRows<{ status: string; runs: number | string }>(sql, params)) {
          const n = parseCount(r.runs);
          byStatus[r.status] = n;
          runs += n;
        }
      }
      const ok = byStatus.ok ?? 0;
      return { runs, ok, ratio: runs ? ok / runs : null, byStatus };
    });
  }

  appendLogEvents(rows: LogEventRow[]): Promise<void> {
    return this.#track(async () => {
      validateLogEvents(rows);
      const horizon = this.#horizon(this.#retention.logEventsMs);
      const kept = rows.filter((r) => r.time >= horizon);
      if (!kept.length) return;
      const rowsOut = kept.map((r) => ({
          stream: r.stream,
          time: dateTime64Text(r.time),
          id: r.id,
          host: r.host,
          level: r.level ?? '',
          message: r.message,
          fields: r.fields ?? {},
        }));
      await this.#transport.insertRows(TABLES.logEvents, rowsOut);
    });
  }

  searchLogs(q: LogSearchQuery): Promise<LogEventRow[]> {
    return this.#track(async () => {
      const startMs = Math.max(q.startMs, this.#horizon(this.#retention.logEventsMs));
      const limit = clampLimit(q.limit, DEFAULT_LOG_LIMIT);
      if (startMs > q.endMs || limit === 0) return [];
      const { sql, params } = searchLogsSql({ ...q, startMs, limit });
      const rows = await this.#transport.queryRows<LogEventDbRow>(sql, params);
      return rows.map((r) => {
        const row: LogEventRow = { time: parseCount(r.time_ms), stream: r.stream, host: r.host, message: r.message, fields: r.fields, id: r.id };
        if (r.level) row.level = r.level;
        return row;
      });
    });
  }

  usage(): Promise<TableUsage[]> {
    return this.#track(async () => {
      const { sql, params } = usageSql();
      const found = new Map<string, TableUsage>();
      for (const r of await this.#transport.queryRows<{ table: string; rows: number | string; bytes: number | string }>(sql, params)) {
        found.set(r.table, { table: r.table, rows: parseCount(r.rows), bytesOnDisk: parseCount(r.bytes) });
      }
      return DATA_TABLES.map((table) => found.get(table) ?? { table, rows: 0, bytesOnDisk: 0 });
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#rollupTimer);
      // Settle, not fail: a write that fails during shutdown has already reported to its caller.
      while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
      await this.#transport.close();
    })();
    return this.#closing;
  }
}

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isFinite(limit) || limit < 0) return fallback;
  return Math.min(Math.trunc(limit), MAX_ROWS);
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

interface SeriesIdEntry {
  id: string;
  big: bigint;
  /** Start (epoch ms) of a day whose series row this process has written: no set lookup for it. */
  writtenDay: number;
}

/** What one sample append writes besides the samples: series rows first, rollup marks after. */
class AppendPlan {
  /** Rows for the series table: each series-day this process has not written yet, once. */
  readonly newSeries: object[] = [];
  readonly newSeriesKeys = new Set<string>();
  /** 5-minute windows (epoch ms) that got samples after they may have been rolled up. */
  readonly lateWindows = new Set<number>();

  constructor(
    private readonly known: ReadonlySet<string>,
    /** Samples before this instant may land in a rolled-up window (RollupJob.lateBefore). */
    readonly lateBefore: number,
  ) {}

  #lastLate = NaN;

  markLate(t: number): void {
    const window = Math.floor(t / FIVE_MIN_MS) * FIVE_MIN_MS;
    // Late samples come in runs of one window (a sender catching up): one set insert per run.
    if (window === this.#lastLate) return;
    this.#lastLate = window;
    this.lateWindows.add(window);
  }

  /** Series-days of this append whose id entry learns the day once the row is written. */
  readonly #pending: { entry: SeriesIdEntry; dayStart: number }[] = [];

  /** Notes that series `id` has a sample at `t`, on UTC day `day` (Math.floor(t / DAY_MS)). */
  seriesDay(id: string, labels: Labels, t: number, day: number, entry?: SeriesIdEntry): void {
    const key = `${id}/${day}`;
    if (this.known.has(key)) {
      if (entry) entry.writtenDay = day * DAY_MS;
      return;
    }
    if (this.newSeriesKeys.has(key)) return;
    this.newSeriesKeys.add(key);
    this.newSeries.push({ metric: labels.__name__, series_id: id, day: dayText(t), labels: Object.fromEntries(canonicalLabels(labels)) });
    if (entry) this.#pending.push({ entry, dayStart: day * DAY_MS });
  }

  /** After the append's writes succeeded: the series rows it wrote are known from now on. */
  written(): void {
    for (const { entry, dayStart } of this.#pending) entry.writtenDay = dayStart;
  }
}

function sortByLabels(series: SeriesData[]): SeriesData[] {
  const keyed = series.map((s) => ({ s, key: canonicalLabelKey(s.labels) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.s);
}




function validateAggregateQuery(q: AggregateSamplesQuery): void {
  const issues: FieldIssue[] = [];
  if (!Number.isSafeInteger(q.periodMs) || q.periodMs <= 0) issues.push({ path: 'periodMs', message: `must be a positive whole number of milliseconds, got ${String(q.periodMs)}` });
  if (!isEpochMs(q.startMs)) issues.push({ path: 'startMs', message: 'must be epoch milliseconds' });
  if (!isEpochMs(q.endMs)) issues.push({ path: 'endMs', message: 'must be epoch milliseconds' });
  for (const l of q.quantiles ?? []) if (typeof l !== 'number' || !(l >= 0 && l <= 1)) issues.push({ path: 'quantiles', message: `levels must be numbers in [0, 1], got ${String(l)}` });
  if (q.resolution && q.resolution !== 'auto' && q.resolution !== 'raw' && q.periodMs % ROLLUP_RESOLUTION_MS[q.resolution] !== 0) {
    issues.push({ path: 'resolution', message: `the ${q.resolution} rollup needs a period that is a multiple of ${q.resolution}` });
  }
  throwIfIssues('KSK_STORE_AGGREGATE_INVALID', 'aggregate query', issues);
}

function validateCheckResults(rows: CheckResultRow[]): void {
  const issues: FieldIssue[] = [];
  rows.forEach((r, i) => {
    if (!r.check) issues.push({ path: `checkResults[${i}].check`, message: 'is required' });
    if (!r.location) issues.push({ path: `checkResults[${i}].location`, message: 'is required' });
    if (!r.runId) issues.push({ path: `checkResults[${i}].runId`, message: 'is required (the dedupe key)' });
    if (!STATUSES.has(r.status)) issues.push({ path: `checkResults[${i}].status`, message: `must be one of ${[...STATUSES].join(', ')}` });
    if (!isEpochMs(r.startedAt)) issues.push({ path: `checkResults[${i}].startedAt`, message: 'must be epoch milliseconds' });
    if (typeof r.durationMs !== 'number' || !(r.durationMs >= 0)) issues.push({ path: `checkResults[${i}].durationMs`, message: 'must be a non-negative number' });
  });
  throwIfIssues('KSK_STORE_CHECK_RESULT_INVALID', 'check result batch', issues);
}

function validateLogEvents(rows: LogEventRow[]): void {
  const issues: FieldIssue[] = [];
  rows.forEach((r, i) => {
    if (!r.id) issues.push({ path: `logEvents[${i}].id`, message: 'is required (the dedupe key)' });
    if (typeof r.host !== 'string') issues.push({ path: `logEvents[${i}].host`, message: 'must be a string' });
    if (typeof r.stream !== 'string') issues.push({ path: `logEvents[${i}].stream`, message: 'must be a string' });
    if (typeof r.message !== 'string') issues.push({ path: `logEvents[${i}].message`, message: 'must be a string' });
    if (!isEpochMs(r.time)) issues.push({ path: `logEvents[${i}].time`, message: 'must be epoch milliseconds' });
    if (r.fields && !Object.values(r.fields).every((v) => typeof v === 'string')) issues.push({ path: `logEvents[${i}].fields`, message: 'values must be strings' });
  });
  throwIfIssues('KSK_STORE_LOG_EVENT_INVALID', 'log event batch', issues);
}

/** Label-value tuples in lexicographic order, value by value. */
function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}
