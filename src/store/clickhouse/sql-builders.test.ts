import { describe, expect, it } from 'vitest';
import { matchesLabels, type LabelMatcher } from '../../core/labels.js';
import { dateTime64Text, escapeLike, float64Text, parseFloat64 } from './encode.js';
import { anchorRegex, matcherCondition, matchersWhere } from './matchers.js';
import { SqlParams } from './params.js';
import { aggregateSql, pendingDirtySql, rollUp1hSql, rollUp5mSql, availabilitySql, labelNamesSql, labelValuesSql, searchLogsSql, selectCheckResultsSql, finalSampleRowsSql, matchSeriesSql, sampleRowsSql } from './queries.js';
import { MIGRATIONS, parseTtlSeconds, ttlSeconds } from './schema.js';
import { canonicalLabelKey, seriesId } from './series-id.js';
import { DEFAULT_RETENTION } from '../telemetry-store.js';

const range = { startMs: 1_700_000_000_000, endMs: 1_700_000_060_000 };

/** Substitutes bound values back in, only to read what a statement means in assertions. */
function inline(sql: string, params: Record<string, unknown>): string {
  return sql.replace(/\{(p\d+):[^}]+\}/g, (_, name: string) => JSON.stringify(params[name]));
}

describe('matcher pushdown', () => {
  it('reads __name__ from the metric column and other labels from the map', () => {
    const p = new SqlParams();
    expect(inline(matcherCondition({ name: '__name__', op: '=', value: 'up' }, p)!, p.values)).toBe('metric = "up"');
    expect(inline(matcherCondition({ name: 'job', op: '!=', value: 'api' }, p)!, p.values)).toBe('labels["job"] != "api"');
  });

  it('anchors regexes with a non-capturing group so alternations stay inside the anchors', () => {
    const p = new SqlParams();
    expect(inline(matcherCondition({ name: 'env', op: '=~', value: 'a|b' }, p)!, p.values)).toBe('match(labels["env"], "^(?:a|b)$")');
    expect(inline(matcherCondition({ name: 'env', op: '!~', value: 'a|b' }, p)!, p.values)).toBe('NOT match(labels["env"], "^(?:a|b)$")');
    expect(anchorRegex('x')).toBe('^(?:x)$');
  });

  it('drops =~ ".*", which matches every series', () => {
    const p = new SqlParams();
    expect(matcherCondition({ name: 'env', op: '=~', value: '.*' }, p)).toBeUndefined();
    expect(matchersWhere([{ name: 'env', op: '=~', value: '.*' }], p)).toBe('1');
  });

  it('never puts a value or a label name into the SQL text', () => {
    const p = new SqlParams();
    const evil = "x' OR 1=1 --";
    const sql = matchersWhere(
      [
        { name: evil, op: '=', value: evil },
        { name: 'a', op: '=~', value: evil },
      ],
      p,
    );
    expect(sql).not.toContain('OR 1=1');
    expect(Object.values(p.values)).toContain(evil);
    expect(sql).toMatch(/^labels\[\{p0:String\}\] = \{p1:String\} AND match\(labels\[\{p2:String\}\], \{p3:String\}\)$/);
  });

  it('agrees with the in-memory matcher on which label sets match', () => {
    // The SQL must mean what src/core/labels.ts means; check the translation per operator on
    // the cases that differ between naive and Prometheus semantics (missing label, anchoring).
    const sets: Record<string, string>[] = [{ env: 'prod' }, { env: 'production' }, {}, { env: '' }];
    const cases: LabelMatcher[] = [
      { name: 'env', op: '=', value: '' },
      { name: 'env', op: '!=', value: '' },
      { name: 'env', op: '=~', value: 'prod' },
      { name: 'env', op: '!~', value: 'prod|' },
    ];
    for (const m of cases) {
      const p = new SqlParams();
      const cond = inline(matcherCondition(m, p)!, p.values);
      // Evaluate the generated condition with JS semantics of ClickHouse's operators.
      const evaluate = (labels: Record<string, string>) => {
        const col = labels.env ?? '';
        const eq = /^labels\["env"\] (=|!=) "(.*)"$/.exec(cond);
        if (eq) return eq[1] === '=' ? col === eq[2] : col !== eq[2];
        const re = /^(NOT )?match\(labels\["env"\], "(.*)"\)$/.exec(cond)!;
        const hit = new RegExp(re[2]!).test(col);
        return re[1] ? !hit : hit;
      };
      for (const labels of sets) expect(evaluate(labels), `${JSON.stringify(m)} on ${JSON.stringify(labels)}`).toBe(matchesLabels(labels, [m]));
    }
  });
});

describe('read statements', () => {
  it('selectSeries finds ids on the series table, then reads samples by primary key without FINAL', () => {
    const matched = matchSeriesSql({ matchers: [{ name: '__name__', op: '=', value: 'up' }], ...range });
    expect(matched.sql).toMatch(/FROM series\n/);
    expect(matched.sql).toMatch(/GROUP BY series_id$/);
    expect(Object.values(matched.params)).toEqual(expect.arrayContaining(['up', range.startMs, range.endMs]));
    const plain = sampleRowsSql({ ids: [1n, 18446744073709551615n], ...range });
    expect(plain.sql).toMatch(/^SELECT series_id, toUnixTimestamp64Milli\(t\), v FROM samples\nWHERE series_id IN \{p0:Array\(UInt64\)\}/);
    expect(plain.sql).not.toMatch(/FINAL/);
    expect(plain.params.p0).toEqual([1n, 18446744073709551615n]);
  });

  it('the FINAL read stays within partitions and limits series, not samples', () => {
    const { sql, params } = finalSampleRowsSql({ ids: [7n], ...range, limit: 5 });
    expect(sql).toMatch(/FROM samples FINAL/);
    expect(sql).toMatch(/SELECT DISTINCT series_id FROM samples WHERE series_id IN \{p0:Array\(UInt64\)\} AND .* ORDER BY series_id LIMIT \{p3:UInt64\}\)/);
    expect(sql).toMatch(/do_not_merge_across_partitions_select_final = 1$/);
    expect(Object.values(params)).toEqual(expect.arrayContaining([range.startMs, range.endMs, 5]));
    expect(finalSampleRowsSql({ ids: [7n], ...range }).sql).not.toMatch(/LIMIT/);
  });

  it('label names and values prune the series table by day', () => {
    const names = labelNamesSql({ ...range });
    expect(names.sql).toMatch(/arrayJoin\(mapKeys\(labels\)\)/);
    expect(names.sql).toMatch(/day >= toDate\(fromUnixTimestamp64Milli\(\{p0:Int64\}, 'UTC'\)\)/);
    expect(labelValuesSql('__name__', { ...range }).sql).toMatch(/SELECT DISTINCT metric AS value/);
    const job = labelValuesSql('job', { ...range, matchers: [{ name: 'env', op: '=', value: 'x' }] });
    expect(job.sql).toMatch(/SELECT DISTINCT labels\[\{p0:String\}\] AS value/);
    expect(job.params.p0).toBe('job');
  });

  it('check results dedupe with FINAL and honour order and filters', () => {
    const desc = selectCheckResultsSql({ ...range, check: 'c', limit: 10 });
    expect(desc.sql).toMatch(/FROM check_results FINAL/);
    expect(desc.sql).toMatch(/ORDER BY started_at DESC/);
    expect(inline(desc.sql, desc.params)).toMatch(/check_name = "c"/);
    expect(desc.sql).not.toMatch(/location =/);
    expect(selectCheckResultsSql({ ...range, order: 'asc', location: 'l', limit: 1 }).sql).toMatch(/ORDER BY started_at ASC/);
    expect(availabilitySql({ ...range, check: 'c' }).sql).toMatch(/GROUP BY status/);
  });

  it('log search lowercases the needle, escapes LIKE wildcards and uses the indexed expression', () => {
    const { sql, params } = searchLogsSql({ ...range, text: '50%_Done\\', limit: 10 });
    expect(sql).toMatch(/lowerUTF8\(message\) LIKE \{p\d+:String\}/);
    expect(Object.values(params)).toContain('%50\\%\\_done\\\\%');
    expect(searchLogsSql({ ...range, limit: 1 }).sql).not.toMatch(/LIKE/);
    const ddl = MIGRATIONS[0]!.statements(DEFAULT_RETENTION).join('\n');
    expect(ddl).toMatch(/INDEX message_ngrams lowerUTF8\(message\) TYPE ngrambf_v1/);
  });
});

describe('schema', () => {
  it('derives TTL seconds from retention, keeping series a day longer than samples and rollups', () => {
    expect(ttlSeconds(DEFAULT_RETENTION)).toEqual({ samples: 15 * 86_400, series: 731 * 86_400, check_results: 90 * 86_400, log_events: 30 * 86_400, samples_5m: 90 * 86_400, samples_1h: 730 * 86_400, rollup_dirty: 15 * 86_400 });
  });

  it('reads TTL seconds back from engine_full', () => {
    expect(parseTtlSeconds("ReplacingMergeTree PARTITION BY toDate(t) ORDER BY (series_id, t) TTL toDateTime(t) + toIntervalSecond(1296000) SETTINGS index_granularity = 8192")).toBe(1_296_000);
    expect(parseTtlSeconds('MergeTree ORDER BY x SETTINGS index_granularity = 8192')).toBeUndefined();
  });

  it('puts codecs, TTL and ReplacingMergeTree on every data table', () => {
    const ddl = MIGRATIONS[0]!.statements(DEFAULT_RETENTION);
    expect(ddl).toHaveLength(4);
    for (const stmt of ddl) {
      expect(stmt).toMatch(/^CREATE TABLE IF NOT EXISTS/);
      expect(stmt).toMatch(/ENGINE = ReplacingMergeTree/);
      expect(stmt).toMatch(/\nTTL .*toIntervalSecond\(\d+\)$/);
    }
    const samples = ddl.find((s) => s.includes('TABLE IF NOT EXISTS samples'))!;
    expect(samples).toMatch(/t DateTime64\(3, 'UTC'\) CODEC\(DoubleDelta, ZSTD\(1\)\)/);
    expect(samples).toMatch(/v Float64 CODEC\(Gorilla, ZSTD\(1\)\)/);
    expect(samples).toMatch(/ORDER BY \(series_id, t\)/);
    expect(samples).toMatch(/PARTITION BY toDate\(t\)/);
  });
});

describe('series id', () => {
  it('ignores label order and empty values', () => {
    expect(seriesId({ __name__: 'up', b: '2', a: '1' })).toBe(seriesId({ a: '1', __name__: 'up', b: '2', c: '' }));
    expect(canonicalLabelKey({ b: '2', a: '1' })).toBe('[["a","1"],["b","2"]]');
  });

  it('distinguishes label sets that a naive concatenation would confuse', () => {
    expect(seriesId({ a: 'b,c=d' })).not.toBe(seriesId({ a: 'b', c: 'd' }));
    expect(seriesId({ a: '1' })).not.toBe(seriesId({ a: '2' }));
  });

  it('is an unsigned 64-bit decimal that never changes between releases', () => {
    const id = seriesId({ __name__: 'up', job: 'node' });
    expect(id).toMatch(/^\d{1,20}$/);
    expect(BigInt(id) < 2n ** 64n).toBe(true);
    // Pinned: changing the hash would orphan every stored series.
    expect(id).toBe(seriesId({ job: 'node', __name__: 'up' }));
    expect(id).toBe('551707323486205345');
  });
});

describe('encoding', () => {
  it('writes times as seconds.millis', () => {
    expect(dateTime64Text(1_700_000_000_123)).toBe('1700000000.123');
    expect(dateTime64Text(1_700_000_000_005)).toBe('1700000000.005');
    expect(dateTime64Text(0)).toBe('0.000');
  });

  it('round-trips special floats through their ClickHouse text', () => {
    for (const v of [NaN, Infinity, -Infinity, 1e21, -0.5, 5e-324]) expect(parseFloat64(float64Text(v))).toBe(v);
    expect(parseFloat64('+inf')).toBe(Infinity);
    expect(parseFloat64(3)).toBe(3);
  });

  it('escapes LIKE metacharacters', () => {
    expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
  });
});

describe('rollups and aggregateSamples', () => {
  const q = { ids: [1n, 2n], groups: [0, 1], periodMs: 3_600_000, ...range };

  it('builds rollups from deduplicated raw samples of closed windows, leaving NaN out', () => {
    const { sql, params } = rollUp5mSql({ startMs: 0, endMs: 86_400_000, rolledAtMs: 5 });
    expect(sql).toMatch(/INSERT INTO samples_5m[\s\S]*FROM samples FINAL/);
    expect(sql).toContain('NOT isNaN(v)');
    expect(sql).toContain('quantilesTDigestState(0.5)(v)');
    expect(inline(sql, params)).toContain('t < fromUnixTimestamp64Milli(86400000');
    const dirty = rollUp5mSql({ startMs: 0, endMs: 86_400_000, rolledAtMs: 5, windows: [300_000, 600_000] });
    expect(inline(dirty.sql, dirty.params)).toContain('IN [300,600]');
    const hour = rollUp1hSql({ startMs: 0, endMs: 3_600_000, rolledAtMs: 5, hours: [0] });
    expect(hour.sql).toMatch(/INSERT INTO samples_1h[\s\S]*quantilesTDigestMergeState\(0\.5\)\(digest\)[\s\S]*FROM samples_5m FINAL/);
    expect(pendingDirtySql({ sinceMs: 0 }).sql).toMatch(/FROM rollup_dirty FINAL\s+WHERE pending = 1/);
  });

  it('aggregates raw samples with FINAL, groups via transform() and exact nearest-rank quantiles', () => {
    const { sql, params } = aggregateSql({ ...q, quantiles: [0.5, 0.99] }, { resolution: 'raw' });
    expect(sql).toContain('FROM samples FINAL');
    expect(sql).toContain('transform(series_id,');
    expect(sql).toContain('intDiv(toUnixTimestamp64Milli(t),');
    expect(sql).toContain('ceil(level * length(sorted))');
    expect(sql).toContain('[0.5, 0.99]');
    expect(sql).not.toMatch(/samples_5m|samples_1h|TDigest/);
    expect(Object.values(params)).toContainEqual([0, 1]);
    expect(aggregateSql(q, { resolution: 'raw' }).sql).not.toContain('sorted');
  });

  it('reads a rollup up to where it is built and raw samples after that, merging the sketches', () => {
    const rolledUntilMs = range.startMs + 3_600_000;
    const { sql, params } = aggregateSql({ ...q, startMs: range.startMs - 86_400_000, quantiles: [0.9] }, { resolution: '1h', rolledUntilMs });
    const text = inline(sql, Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'number')));
    expect(sql).toMatch(/FROM samples_1h FINAL[\s\S]*UNION ALL[\s\S]*FROM samples FINAL/);
    expect(sql).toContain('quantilesTDigestMerge(0.9)(d)');
    // The rollup serves whole windows from the one holding startMs; raw data starts where it stops.
    expect(text).toContain(`t < toDateTime(fromUnixTimestamp64Milli(${rolledUntilMs}`);
    expect(text).toContain(`t >= fromUnixTimestamp64Milli(${rolledUntilMs}`);
  });

  it('refuses quantile levels that are not numbers in [0, 1] before they reach SQL text', () => {
    expect(() => aggregateSql({ ...q, quantiles: [Number.NaN] }, { resolution: 'raw' })).toThrow(/quantile level/);
    expect(() => aggregateSql({ ...q, quantiles: ['1) OR 1=1 --' as unknown as number] }, { resolution: 'raw' })).toThrow(/quantile level/);
  });

  it('keeps series rows as long as the longest rollup, and rollups by their own retention', () => {
    const ttl = ttlSeconds(DEFAULT_RETENTION);
    expect(ttl).toMatchObject({ samples: 15 * 86_400, samples_5m: 90 * 86_400, samples_1h: 730 * 86_400, series: 731 * 86_400, rollup_dirty: 15 * 86_400 });
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3]);
    const ddl = MIGRATIONS[2]!.statements(DEFAULT_RETENTION).join('\n');
    expect(ddl).toMatch(/samples_5m[\s\S]*ReplacingMergeTree\(rolled_at\)[\s\S]*TTL t \+ toIntervalSecond\(7776000\)/);
    expect(ddl).toContain('AggregateFunction(quantilesTDigest(0.5), Float64)');
  });
});
