import { createServer } from 'node:http';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import type { PostableAlert, RoundReport } from '../rules/index.js';
import { MetaMonitor } from './meta-monitor.js';
import { WatchdogRunner, watchdogKind, watchdogSpecSchema } from './watchdog.js';

function setup() {
  const registry = new Registry();
  const lag = new Histogram({ name: 'kansoku_scheduler_lag_seconds', help: 'lag', buckets: [1, 10], registers: [registry] });
  const sent: PostableAlert[] = [];
  const outbox = { counts: { pending: 0, sending: 0 } as Record<string, number>, stuck: [] as string[] };
  let now = 1_000_000;
  let nextRuns: number[] = [];
  const m = new MetaMonitor(
    {
      registry,
      nextRuns: () => nextRuns,
      outbox: { countByStatus: async () => outbox.counts, dueChannels: async () => outbox.stuck },
      sink: (a) => sent.push(...a),
      now: () => now,
    },
    { schedulerLagSeconds: 5, outboxBacklog: 10 },
  );
  return { m, lag, sent, outbox, tick: (ms: number) => (now += ms), setNextRuns: (r: number[]) => (nextRuns = r), now: () => now };
}

const report = (over: Partial<RoundReport>): RoundReport => ({ group: 'g', evaluatedAt: 0, rules: 1, failedRules: 0, samples: 0, firing: 0, pending: 0, wallMs: 10, cpuUserMs: 1, cpuSystemMs: 0, missedIterations: 0, ...over }) as RoundReport;

describe('meta-monitoring', () => {
  it('alerts when checks start late on average since the last look, and resolves when they catch up', async () => {
    const w = setup();
    w.lag.observe(0.1);
    expect(await w.m.evaluate()).toEqual([]);
    w.lag.observe(9);
    w.lag.observe(8);
    const [a] = await w.m.evaluate();
    expect(a).toMatchObject({ labels: { alertname: 'KansokuSchedulerLagging', severity: 'warning', component: 'kansoku' } });
    expect(a!.annotations.summary).toContain('8.5 s late');
    w.lag.observe(0.2);
    w.tick(15_000);
    expect(await w.m.evaluate()).toMatchObject([{ fingerprint: a!.fingerprint, endsAt: w.now() }]);
  });

  it('alerts on an overdue check even when no run reports lag (a stalled scheduler)', async () => {
    const w = setup();
    w.setNextRuns([w.now() - 60_000, w.now() + 1000]);
    expect((await w.m.evaluate())[0]!.annotations.summary).toContain('1 check(s) are overdue');
  });

  it('alerts when rule evaluation misses iterations or overruns its interval', async () => {
    const w = setup();
    w.m.onRound(report({ group: 'slow', wallMs: 90_000 }), 60_000);
    w.m.onRound(report({ group: 'fast', wallMs: 5 }), 60_000);
    const out = await w.m.evaluate();
    expect(out.map((a) => [a.labels.alertname, a.labels.group])).toEqual([['KansokuRuleEvaluationSlow', 'slow']]);
    w.m.onRound(report({ group: 'slow', wallMs: 50, evaluatedAt: 1 }), 60_000);
    expect((await w.m.evaluate())[0]!.endsAt).toBeDefined();
  });

  it('alerts when the outbox backs up or entries stay due, as critical', async () => {
    const w = setup();
    w.outbox.counts = { pending: 11, sending: 0 };
    expect((await w.m.evaluate())[0]!.labels).toMatchObject({ alertname: 'KansokuOutboxBacklog', severity: 'critical' });
    w.outbox.counts = { pending: 1, sending: 0 };
    w.outbox.stuck = ['ops-mail'];
    const still = await w.m.evaluate(); // firing alerts are re-sent each look; routing deduplicates
    expect(still).toHaveLength(1);
    expect(still[0]!.endsAt).toBeUndefined();
    expect(still[0]!.annotations.summary).toContain('ops-mail');
    w.outbox.stuck = [];
    expect((await w.m.evaluate())[0]!.endsAt).toBeDefined();
  });
});

describe('watchdog', () => {
  it('refuses a timeout not shorter than the interval', () => {
    const spec = watchdogSpecSchema.parse({ url: 'http://127.0.0.1:1/ping', interval: '5s', timeout: '5s' });
    expect(watchdogKind.validate!(spec)).toEqual([{ path: 'spec.timeout', message: 'timeout must be positive and shorter than interval' }]);
  });

  it('posts an always-firing Watchdog alert in Alertmanager format and reports a refusing receiver', async () => {
    const bodies: { status: string; alerts: { labels: Record<string, string> }[] }[] = [];
    let code = 200;
    const srv = createServer((req, res) => {
      let t = '';
      req.on('data', (d: Buffer) => (t += d.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(t));
        res.writeHead(code).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/ping`;
    const w = new WatchdogRunner({ logger: silentLogger() });
    const spec = watchdogSpecSchema.parse({ url, labels: { cluster: 'tokyo' } });
    expect(await w.beat('main', spec)).toMatchObject({ ok: true, status: 200 });
    expect(bodies[0]).toMatchObject({ status: 'firing', alerts: [{ labels: { alertname: 'Watchdog', watchdog: 'main', cluster: 'tokyo' } }] });
    code = 500;
    expect(await w.beat('main', spec)).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    w.stop();
    await new Promise((r) => srv.close(r));
  });
});

describe('ALERTS series', () => {
  it('writes ALERTS samples for active alerts and a staleness marker when one ends', async () => {
    const { AlertSeriesWriter } = await import('./alert-series.js');
    const { STORED_STALE_MARKER } = await import('../metrics/stale-marker.js');
    let active = [{ labels: { __name__: 'ALERTS', alertname: 'Hot', alertstate: 'firing' }, value: 1 }];
    const w = new AlertSeriesWriter(() => active, async () => {});
    expect(w.rows(1000)).toEqual([{ labels: active[0]!.labels, t: 1000, v: 1 }]);
    const gone = active[0]!.labels;
    active = [];
    expect(w.rows(2000)).toEqual([{ labels: gone, t: 2000, v: STORED_STALE_MARKER }]);
    expect(w.rows(3000)).toEqual([]);
  });
});
