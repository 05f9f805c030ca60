import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { decodeRemoteWrite, type RemoteWriteHeaders } from './request.js';
import type { DecodedWriteRequest } from './types.js';

/*
 * End to end with the reference sender: Debian's Prometheus 2.42 scrapes a loopback target
 * and remote-writes to a loopback receiver that uses Kansoku's decoder. Every request must
 * decode with no rejected series, metadata must arrive, and the values Prometheus holds for
 * the scraped target must be among the samples it sent.
 */

const havePrometheus = await requirePeer('prometheus 2.42 (Debian package)', () => hasExecutable('prometheus'));

const TARGET_BODY = [
  '# HELP shop_orders_total Orders placed.',
  '# TYPE shop_orders_total counter',
  'shop_orders_total{region="eu",tier=""} 1027',
  'shop_orders_total{region="us",tier="gold"} 3.5',
  '# HELP shop_queue_depth Items waiting.',
  '# TYPE shop_queue_depth gauge',
  'shop_queue_depth -2.25',
  '',
].join('\n');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!havePrometheus)('Prometheus 2.42 remote_write → Kansoku decoder', () => {
  let work: string;
  let target: http.Server;
  let receiver: http.Server;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  const decoded: DecodedWriteRequest[] = [];
  const failures: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'kansoku-rw-prom-'));
    target = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(TARGET_BODY));
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const d = decodeRemoteWrite(Buffer.concat(chunks), req.headers as RemoteWriteHeaders);
          decoded.push(d);
          res.writeHead(d.rejected.length > 0 ? 400 : 204).end();
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    await writeFile(
      path.join(work, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        `  - { job_name: shop, static_configs: [{ targets: ['127.0.0.1:${(target.address() as AddressInfo).port}'] }] }`,
        `  - { job_name: prometheus, static_configs: [{ targets: ['127.0.0.1:${port}'] }] }`,
        'remote_write:',
        `  - url: http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`,
        '    metadata_config: { send: true, send_interval: 1s }',
        '    queue_config: { batch_send_deadline: 1s, max_samples_per_send: 500 }',
      ].join('\n'),
    );
    prom = spawn('prometheus', [`--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    // Bounded wait: until both jobs' series and some metadata have arrived.
    for (let i = 0; i < 80; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const names = new Set(decoded.flatMap((d) => d.timeseries.map((t) => t.labels.find((l) => l[0] === '__name__')?.[1])));
      if (names.has('shop_queue_depth') && names.has('prometheus_build_info') && decoded.some((d) => d.metadata.length > 0)) break;
    }
  }, 60_000);

  afterAll(async () => {
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom && prom.exitCode === null ? prom.once('exit', r) : r(undefined)));
    await new Promise((r) => target?.close(r));
    await new Promise((r) => receiver?.close(r));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('decodes every request without rejecting a series', () => {
    expect(failures).toEqual([]);
    expect(decoded.length).toBeGreaterThan(0);
    expect(decoded.flatMap((d) => d.rejected)).toEqual([]);
    const series = decoded.flatMap((d) => d.timeseries);
    expect(series.length).toBeGreaterThan(100);
    for (const ts of series) {
      const names = ts.labels.map((l) => l[0]);
      expect([...names].sort()).toEqual(names);
      expect(names[0]).toBe('__name__');
    }
  });

  it('carries the scraped values and labels', () => {
    const shop = decoded.flatMap((d) => d.timeseries).filter((t) => t.labels.some(([k, v]) => k === 'job' && v === 'shop'));
    const values = (name: string, region?: string): number[] =>
      shop
        .filter((t) => t.labels.some(([k, v]) => k === '__name__' && v === name) && (region === undefined || t.labels.some(([k, v]) => k === 'region' && v === region)))
        .flatMap((t) => t.samples.map((s) => s.v));
    expect(new Set(values('shop_orders_total', 'eu'))).toEqual(new Set([1027]));
    expect(new Set(values('shop_orders_total', 'us'))).toEqual(new Set([3.5]));
    expect(new Set(values('shop_queue_depth'))).toEqual(new Set([-2.25]));
    const eu = shop.find((t) => t.labels.some(([k, v]) => k === 'region' && v === 'eu'))!;
    expect(eu.labels.map((l) => l[0])).toEqual(['__name__', 'instance', 'job', 'region']);
  });

  it('agrees with what Prometheus itself stored', async () => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('prometheus_build_info')}`);
    const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
    const version = body.data.result[0]!.metric.version;
    const sent = decoded.flatMap((d) => d.timeseries).find((t) => t.labels.some(([k, v]) => k === '__name__' && v === 'prometheus_build_info'))!;
    expect(sent.labels).toContainEqual(['version', version]);
    expect(sent.samples[0]!.v).toBe(1);
    expect(Math.abs(sent.samples[0]!.t - Date.now())).toBeLessThan(5 * 60_000);
  });

  it('receives metric metadata', () => {
    const meta = decoded.flatMap((d) => d.metadata);
    expect(meta).toContainEqual({ type: 'counter', metricFamilyName: 'shop_orders_total', help: 'Orders placed.', unit: '' });
    expect(meta).toContainEqual({ type: 'gauge', metricFamilyName: 'shop_queue_depth', help: 'Items waiting.', unit: '' });
  });
});
