import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { OtlpDecodeError } from './errors.js';
import { prometheusLabelName, prometheusMetricName, prometheusUnit } from './naming.js';
import { decodeOtlpMetrics, ingestOtlpMetrics } from './request.js';
import type { OtlpSample } from './translate.js';

/*
 * The request below is encoded by protobufjs from the OTLP metrics schema (field numbers as in
 * opentelemetry-proto: collector/metrics/v1, metrics/v1, common/v1, resource/v1; exemplars and
 * other unused fields left out), and turned into OTLP/JSON by protobufjs' JSON conversion, so
 * both decoders are checked against an encoder that is not Kansoku's.
 */
const OTLP_SUBSET = `
syntax = "proto3";
package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric { string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10; Summary summary = 11; } }
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Summary { repeated SummaryDataPoint data_points = 1; }
message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; } uint32 flags = 8; }
message HistogramDataPoint { repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; fixed64 count = 4;
  optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; uint32 flags = 10; optional double min = 11; optional double max = 12; }
message ExponentialHistogramDataPoint { repeated KeyValue attributes = 1; fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5; sint32 scale = 6; }
message SummaryDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; fixed64 count = 4; double sum = 5;
  message ValueAtQuantile { double quantile = 1; double value = 2; } repeated ValueAtQuantile quantile_values = 6; uint32 flags = 8; }
`;

const Request = protobuf.parse(OTLP_SUBSET, { keepCase: false }).root.lookupType('otlp.ExportMetricsServiceRequest');

// 1700000000128 ms: its nanoseconds are exactly representable as a double, so protobufjs
// (without Long) encodes them exactly.
const T_MS = 1700000000128;
const T_NS = T_MS * 1e6;
const kv = (key: string, v: Record<string, unknown>) => ({ key, value: v });

const REQUEST = {
  resourceMetrics: [
    {
      resource: {
        attributes: [
          kv('service.name', { stringValue: 'checkout' }),
          kv('service.namespace', { stringValue: 'shop' }),
          kv('service.instance.id', { stringValue: 'pod-1' }),
          kv('host.name', { stringValue: 'node-a' }),
          kv('process.pid', { intValue: 4242 }),
        ],
      },
      scopeMetrics: [
        {
          scope: { name: 'io.example.http', version: '1.2.0' },
          metrics: [
            {
              name: 'http.server.requests',
              description: 'Requests served',
              unit: '{request}',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  { attributes: [kv('http.method', { stringValue: 'GET' }), kv('http.status_code', { intValue: 200 })], startTimeUnixNano: T_NS - 6e10, timeUnixNano: T_NS, asInt: 17 },
                  { attributes: [kv('http.method', { stringValue: 'POST' }), kv('http.status_code', { intValue: 500 })], timeUnixNano: T_NS, asInt: 2 },
                ],
              },
            },
            { name: 'process.memory.usage', unit: 'By', gauge: { dataPoints: [{ timeUnixNano: T_NS, asDouble: 1048576.5 }] } },
            { name: 'system.cpu.utilization', unit: '1', gauge: { dataPoints: [{ attributes: [kv('cpu', { intValue: 0 })], timeUnixNano: T_NS, asDouble: 0.25 }] } },
            { name: 'db.client.connections.usage', unit: '{connection}', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ timeUnixNano: T_NS, asInt: 7 }] } },
            {
              name: 'http.server.duration',
              unit: 'ms',
              histogram: {
                aggregationTemporality: 2,
                dataPoints: [{ attributes: [kv('http.route', { stringValue: '/cart' })], timeUnixNano: T_NS, count: 10, sum: 123.5, bucketCounts: [1, 2, 3, 4], explicitBounds: [5, 10, 0.0000001] }],
              },
            },
            {
              name: 'rpc.latency',
              unit: 's',
              summary: { dataPoints: [{ timeUnixNano: T_NS, count: 4, sum: 2.5, quantileValues: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 1.5 }] }] },
            },
            { name: 'queue.depth', unit: '', gauge: { dataPoints: [{ timeUnixNano: T_NS, flags: 1 }] } },
            { name: 'jobs.done', unit: '', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: T_NS, asInt: 3 }] } },
            { name: 'latency.exp', unit: 's', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T_NS, count: 3, scale: 2 }] } },
          ],
        },
      ],
    },
  ],
};

const protobufBody = Request.encode(Request.fromObject(REQUEST)).finish();
const jsonBody = Buffer.from(JSON.stringify(Request.toObject(Request.decode(protobufBody), { longs: String, enums: Number, bytes: String })));

function byName(samples: OtlpSample[]): Record<string, OtlpSample[]> {
  const out: Record<string, OtlpSample[]> = {};
  for (const s of samples) (out[s.labels.__name__!] ??= []).push(s);
  return out;
}

describe('OTLP/HTTP metrics → Prometheus samples', () => {
  const fromProtobuf = ingestOtlpMetrics(protobufBody, { 'content-type': 'application/x-protobuf' });
  const fromJson = ingestOtlpMetrics(jsonBody, { 'content-type': 'application/json' });

  it('reads protobuf and JSON encodings of the same request identically', () => {
    expect(jsonBody.toString()).toContain('"timeUnixNano":"1700000000128000000"');
    expect(fromJson).toEqual(fromProtobuf);
  });

  it('maps service.* to job and instance, and keeps other resource attributes in target_info', () => {
    const s = byName(fromProtobuf.samples);
    expect(s.http_server_requests_total).toEqual([
      { labels: { __name__: 'http_server_requests_total', http_method: 'GET', http_status_code: '200', job: 'shop/checkout', instance: 'pod-1' }, value: 17, timestampMs: T_MS },
      { labels: { __name__: 'http_server_requests_total', http_method: 'POST', http_status_code: '500', job: 'shop/checkout', instance: 'pod-1' }, value: 2, timestampMs: T_MS },
    ]);
    expect(s.target_info).toEqual([{ labels: { __name__: 'target_info', host_name: 'node-a', process_pid: '4242', job: 'shop/checkout', instance: 'pod-1' }, value: 1, timestampMs: T_MS }]);
  });

  it('names metrics with unit and type suffixes', () => {
    expect(Object.keys(byName(fromProtobuf.samples)).sort()).toEqual([
      'db_client_connections_usage',
      'http_server_duration_milliseconds_bucket',
      'http_server_duration_milliseconds_count',
      'http_server_duration_milliseconds_sum',
      'http_server_requests_total',
      'process_memory_usage_bytes',
      'queue_depth',
      'rpc_latency_seconds',
      'rpc_latency_seconds_count',
      'rpc_latency_seconds_sum',
      'system_cpu_utilization_ratio',
      'target_info',
    ]);
    expect(fromProtobuf.metadata).toContainEqual({ metricFamilyName: 'http_server_requests_total', type: 'counter', help: 'Requests served', unit: '' });
    expect(fromProtobuf.metadata).toContainEqual({ metricFamilyName: 'db_client_connections_usage', type: 'gauge', help: '', unit: '' });
    expect(fromProtobuf.metadata).toContainEqual({ metricFamilyName: 'http_server_duration_milliseconds', type: 'histogram', help: '', unit: 'milliseconds' });
  });

  it('cumulates histogram buckets and adds +Inf from the count', () => {
    const b = byName(fromProtobuf.samples).http_server_duration_milliseconds_bucket!;
    expect(b.map((x) => [x.labels.le, x.value])).toEqual([['5', 1], ['10', 3], ['0.0000001', 6], ['+Inf', 10]]);
    expect(byName(fromProtobuf.samples).http_server_duration_milliseconds_sum![0]!.value).toBe(123.5);
  });

  it('writes summaries as quantile series', () => {
    const q = byName(fromProtobuf.samples).rpc_latency_seconds!;
    expect(q.map((x) => [x.labels.quantile, x.value])).toEqual([['0.5', 0.4], ['0.99', 1.5]]);
  });

  it('turns a point without a recorded value into a stale marker', () => {
    const [s] = byName(fromProtobuf.samples).queue_depth!;
    expect(s!.stale).toBe(true);
    expect(s!.value).toBeNaN();
  });

  it('reports delta sums and exponential histograms as dropped', () => {
    expect(fromProtobuf.dropped).toEqual([
      { metric: 'jobs.done', points: 1, reason: expect.stringMatching(/delta temporality/) },
      { metric: 'latency.exp', points: 1, reason: expect.stringMatching(/exponential histograms/) },
    ]);
  });

  it('promotes scope metadata and resource attributes on request', () => {
    const t = ingestOtlpMetrics(protobufBody, {}, { promoteScopeMetadata: true, promoteResourceAttributes: ['host.name'], targetInfo: false });
    const s = byName(t.samples);
    expect(s.process_memory_usage_bytes![0]!.labels).toEqual({
      __name__: 'process_memory_usage_bytes', host_name: 'node-a', otel_scope_name: 'io.example.http', otel_scope_version: '1.2.0', job: 'shop/checkout', instance: 'pod-1',
    });
    expect(s.target_info).toBeUndefined();
  });

  it('accepts gzip bodies and rejects bad ones with a decode error', () => {
    expect(ingestOtlpMetrics(gzipSync(protobufBody), { 'content-encoding': 'gzip' })).toEqual(fromProtobuf);
    expect(() => decodeOtlpMetrics(protobufBody.subarray(0, 40))).toThrow(OtlpDecodeError);
    expect(() => decodeOtlpMetrics(Buffer.from('{"resourceMetrics":{}}'), { 'content-type': 'application/json' })).toThrow(/resourceMetrics must be an array/);
    expect(() => decodeOtlpMetrics(Buffer.from('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asInt":"1.5"}]}}]}]}]}'), { 'content-type': 'application/json' }))
      .toThrow(/resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.gauge\.dataPoints\[0\]\.asInt must be an integer/);
    expect(() => decodeOtlpMetrics(protobufBody, { 'content-type': 'text/plain' })).toThrow(/Content-Type/);
    expect(() => decodeOtlpMetrics(protobufBody, { 'content-encoding': 'br' })).toThrow(/Content-Encoding/);
  });
});

describe('OTLP naming (OpenTelemetry ↔ Prometheus compatibility spec)', () => {
  it.each([
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['requests.count', '1', 'counter', 'requests_count_total'],
    ['memory.usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['system.network.io', 'By/s', 'counter', 'system_network_io_bytes_per_second_total'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['latency_seconds', 's', 'histogram', 'latency_seconds'],
    ['2xx.responses', '{response}', 'counter', '_2xx_responses_total'],
    ['temp', 'Cel', 'gauge', 'temp_celsius'],
    ['odd..name__x', 'widgets', 'gauge', 'odd_name_x_widgets'],
  ] as const)('%s [%s] %s → %s', (name, unit, type, want) => {
    expect(prometheusMetricName(name, unit, type)).toBe(want);
  });

  it.each([
    ['http.method', 'http_method'],
    ['123invalid', 'key_123invalid'],
    ['__reserved__', '__reserved__'],
    ['a..b__c', 'a_b_c'],
    ['___', undefined],
  ])('label %s → %s', (key, want) => {
    expect(prometheusLabelName(key)).toBe(want);
  });

  it('units for metadata', () => {
    expect(prometheusUnit('By/s')).toBe('bytes_per_second');
    expect(prometheusUnit('{request}')).toBe('');
    expect(prometheusUnit('ms')).toBe('milliseconds');
  });
});
