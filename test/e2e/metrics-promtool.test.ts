/**
 * promtool against Kansoku and against a real Prometheus holding the same data: Debian's
 * `promtool query instant` and `promtool query range` must print the same values for both.
 * Both servers are fed the same remote-write requests, captured from a real Prometheus 2.42.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCapturedRemoteWrite, type CapturedSet } from '../../src/metrics/test-support/captured-remote-write.js';
import { conformanceDir } from '../../src/metrics/test-support/conformance-dir.js';
import { PROMETHEUS_BIN, PROMTOOL_BIN, startPrometheus, type PrometheusProcess } from '../../src/metrics/test-support/prometheus-process.js';
import { hasExecutable, requirePeer } from '../support/peer.js';
import { startServerProcess, type ServerProc } from '../support/server-process.js';

const rw = conformanceDir('remote-write/captured-prometheus-2.42.0');
const peers = await requirePeer('prometheus and promtool (Debian prometheus package)', async () => {
  for (const bin of [PROMETHEUS_BIN, PROMTOOL_BIN]) {
    const ok = await hasExecutable(bin);
    if (ok !== true) return ok;
  }
  return 'missing' in rw ? rw.missing : true;
});

/** promtool before 2.43 cannot send a bearer token (no --http.config.file). */
function promtoolHasHttpConfig(): boolean {
  const help = spawnSync(PROMTOOL_BIN, ['query', 'instant', '--help'], { encoding: 'utf8' });
  return `${help.stdout}${help.stderr}`.includes('http.config.file');
}

/**
 * For an old promtool: a loopback proxy that adds the bearer token, standing in for
 * `--http.config.file` with `authorization: {credentials: TOKEN}` of newer releases.
 */
function tokenProxy(target: string, token: string): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host, authorization: `Bearer ${token}` } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

function normalise(out: string): Map<string, [number, string][]> {
  const parsed = JSON.parse(out) as Series[] | { type?: string };
  const list = Array.isArray(parsed) ? parsed : [];
  return new Map(list.map((s) => [JSON.stringify(Object.entries(s.metric).sort()), s.values ?? (s.value ? [s.value] : [])]));
}

function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

describe.skipIf(!peers)('promtool query against Kansoku and Prometheus 2.42 with the same data', () => {
  let kansoku: ServerProc;
  let prom: PrometheusProcess;
  let proxy: { url: string; server: Server } | undefined;
  let kansokuArgs: string[] = [];
  let set: CapturedSet;
  const work = mkdtempSync(path.join(tmpdir(), 'ksk-promtool-'));

  beforeAll(async () => {
    [kansoku, prom] = await Promise.all([startServerProcess(), startPrometheus()]);
    set = loadCapturedRemoteWrite((rw as { dir: string }).dir);
    for (const r of set.requests) {
      for (const [url, extra] of [[kansoku.url, { authorization: `Bearer ${kansoku.token()}` }], [prom.url, {}]] as const) {
        const res = await fetch(`${url}/api/v1/write`, { method: 'POST', headers: { ...r.headers, ...extra }, body: r.body });
        expect(res.status, `${url} ${r.name}: ${await res.text()}`).toBeLessThan(300);
      }
    }
    if (promtoolHasHttpConfig()) {
      const cfg = path.join(work, 'http.yml');
      writeFileSync(cfg, `authorization:\n  credentials: ${kansoku.token()}\n`, { mode: 0o600 });
      kansokuArgs = [`--http.config.file=${cfg}`];
    } else {
      console.warn('note: this promtool has no --http.config.file (added in 2.43); a loopback proxy adds the bearer token');
      proxy = await tokenProxy(kansoku.url, kansoku.token());
    }
  });
  afterAll(async () => {
    proxy?.server.close();
    await Promise.all([kansoku?.stop('SIGTERM'), prom?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  // Asynchronous: the token proxy runs in this process and must keep serving meanwhile.
  const promtool = async (args: string[], server: 'kansoku' | 'prometheus') => {
    const [verb, ...rest] = args;
    const url = server === 'prometheus' ? prom.url : (proxy?.url ?? kansoku.url);
    const extra = server === 'kansoku' ? kansokuArgs : [];
    try {
      const r = await promisify(execFile)(PROMTOOL_BIN, ['query', verb!, '-o', 'json', ...extra, ...rest.slice(0, -1), url, rest[rest.length - 1]!], { encoding: 'utf8', timeout: 30_000 });
      return normalise(r.stdout);
    } catch (err) {
      throw new Error(`promtool ${args.join(' ')} against ${server} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };

  const compare = async (args: string[]) => {
    const ours = await promtool(args, 'kansoku');
    const theirs = await promtool(args, 'prometheus');
    expect([...ours.keys()].sort(), `series of ${args.join(' ')}`).toEqual([...theirs.keys()].sort());
    for (const [k, want] of theirs) {
      const got = ours.get(k)!;
      expect(got.map((p) => p[0]), `timestamps of ${k}`).toEqual(want.map((p) => p[0]));
      got.forEach((p, i) => expect(sameValue(p[1], want[i]![1]), `${args.join(' ')} ${k} at ${p[0]}: kansoku ${p[1]} vs prometheus ${want[i]![1]}`).toBe(true));
    }
    return theirs.size;
  };

  // Rates use a 7 s window over the 5 s scrape spacing. Over a window that reaches past a
  // counter's first sample, Prometheus 2.42 and 3.x extrapolate differently (3.x applies the
  // half-interval cap before the zero clamp; Kansoku follows 3.x), so [1m] at the start of the
  // captured series would measure that version difference, not Kansoku.
  const INSTANT = [
    'up',
    'go_goroutines',
    'sum by (job) (up)',
    'count({__name__=~".+"})',
    'go_gc_duration_seconds',
    'rate(prometheus_http_requests_total[7s])',
    'sum by (handler) (increase(prometheus_http_requests_total[7s]))',
    'histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[7s])))',
    'topk(3, prometheus_http_requests_total)',
    'avg_over_time(go_memstats_alloc_bytes[1m])',
    'max by (job) (process_resident_memory_bytes) / 1024',
    'absent(no_such_metric)',
  ];

  it('promtool query instant prints the same values', async () => {
    const at = String((set.maxT + 500) / 1000);
    let nonEmpty = 0;
    for (const q of INSTANT) if ((await compare(['instant', `--time=${at}`, q])) > 0) nonEmpty++;
    // The comparison means something only if the queries found data.
    expect(nonEmpty).toBeGreaterThanOrEqual(INSTANT.length - 1);
  });

  it('promtool query range prints the same values', async () => {
    const start = String(Math.floor(set.minT / 1000) - 10);
    const end = String(Math.ceil(set.maxT / 1000) + 30);
    for (const q of ['up', 'rate(prometheus_http_requests_total[7s])', 'sum by (job) (go_memstats_heap_alloc_bytes)', 'go_gc_duration_seconds{quantile="0.5"}']) {
      expect(await compare(['range', `--start=${start}`, `--end=${end}`, '--step=1s', q]), q).toBeGreaterThan(0);
    }
  });
});
