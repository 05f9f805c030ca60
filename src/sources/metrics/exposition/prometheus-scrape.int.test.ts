import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { openMetricsCases } from './conformance.js';
import { requireConformanceDir } from './conformance-dir.js';
import { parseExpositionSamples } from './parse.js';
import type { ExpositionFormat, FlatSample } from './types.js';

/*
 * Cross-check with the reference: Debian's Prometheus 2.42 scrapes every good OpenMetrics
 * suite case (and the large real text exposition) from a loopback server, and the series and
 * values it stores must equal what Kansoku's parser yields for the same bytes. Cases with
 * explicit timestamps are left out (Prometheus drops samples that far in the past), and
 * exemplars are not compared (Prometheus 2.42 does not store them by default).
 */

const dir = requireConformanceDir('Prometheus scrape cross-check');
const havePrometheus = await requirePeer('prometheus 2.42 (Debian package)', () => hasExecutable('prometheus'));

interface Target {
  name: string;
  body: Buffer;
  format: ExpositionFormat;
}

function targets(conformance: string): Target[] {
  const out: Target[] = [];
  for (const c of openMetricsCases(conformance)) {
    if (!c.shouldParse || c.name.includes('/')) continue;
    const body = readFileSync(c.file);
    const samples = parseExpositionSamples(body, 'openmetrics');
    if (samples.length === 0 || samples.some((s) => s.timestampMs !== undefined)) continue;
    out.push({ name: c.name, body, format: 'openmetrics' });
  }
  out.push({ name: 'alltypes_237mfs', body: readFileSync(path.join(conformance, 'exposition', 'textparse-samples', 'alltypes.237mfs.prom.txt')), format: 'text' });
  out.push({ name: 'testdata_text', body: readFileSync(path.join(conformance, 'exposition', 'expfmt-text-corpus', 'testdata-text.prom')), format: 'text' });
  return out;
}

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

function formatPromValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Series identity for comparison: sorted labels without the ones Prometheus adds. */
function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== 'job' && k !== 'instance' && k !== 'case')
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

describe.skipIf(dir === undefined || !havePrometheus)('Prometheus 2.42 ingests the same series and values', () => {
  let work: string;
  let server: http.Server;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let cases: Target[];

  beforeAll(async () => {
    cases = targets(dir!);
    work = await mkdtemp(path.join(os.tmpdir(), 'kansoku-expo-prom-'));
    server = http.createServer((req, res) => {
      const t = cases.find((c) => req.url === `/case/${c.name}`);
      if (!t) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'content-type': t.format === 'openmetrics' ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4; charset=utf-8',
      });
      res.end(t.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms }',
      'scrape_configs:',
      '  - job_name: cases',
      '    honor_labels: true',
      '    static_configs:',
      ...cases.map((c) => `      - { targets: ['${target}'], labels: { __metrics_path__: '/case/${c.name}', case: '${c.name}' } }`),
    ].join('\n');
    await writeFile(path.join(work, 'prometheus.yml'), config);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn('prometheus', [`--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    // Wait (bounded) until every target has been scraped once.
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const up = await query('up{job="cases"}');
        if (up.length === cases.length) break;
      } catch {
        /* not listening yet */
      }
    }
  }, 60_000);

  afterAll(async () => {
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom && prom.exitCode === null ? prom.once('exit', r) : r(undefined)));
    await new Promise((r) => server?.close(r));
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${q} failed`);
    return body.data.result;
  }

  it('scrapes every target successfully', async () => {
    const up = await query('up{job="cases"}');
    const down = up.filter((r) => r.value[1] !== '1').map((r) => r.metric.case);
    expect(down).toEqual([]);
    expect(up).toHaveLength(cases.length);
    expect(cases.length).toBeGreaterThan(20);
  });

  it('stores exactly the series and values Kansoku parses', async () => {
    const stored = await query('{job="cases",__name__!~"up|scrape_.+"}');
    const byCase = new Map<string, Map<string, string>>();
    for (const r of stored) {
      const m = byCase.get(r.metric.case!) ?? new Map<string, string>();
      m.set(seriesKey(r.metric), r.value[1]);
      byCase.set(r.metric.case!, m);
    }
    let compared = 0;
    for (const c of cases) {
      const mine = new Map<string, string>();
      for (const s of parseExpositionSamples(c.body, c.format, { mode: 'compatible' }) as FlatSample[]) mine.set(seriesKey(s.labels), formatPromValue(s.value));
      const theirs = byCase.get(c.name) ?? new Map<string, string>();
      expect([...mine.keys()].sort(), c.name).toEqual([...theirs.keys()].sort());
      for (const [k, v] of mine) {
        const t = theirs.get(k)!;
        if (v === 'NaN' || t === 'NaN') expect(t, `${c.name} ${k}`).toBe(v);
        else expect(Number(t), `${c.name} ${k}`).toBe(Number(v));
        compared++;
      }
    }
    console.log(`prometheus cross-check: ${compared} series in ${cases.length} expositions agree`);
    expect(compared).toBeGreaterThan(1900);
  });
});
