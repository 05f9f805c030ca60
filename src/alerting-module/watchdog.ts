/**
 * `kind: Watchdog`: a dead man's switch. Kansoku POSTs an always-firing `Watchdog` alert in
 * Alertmanager's webhook format to an external URL every interval (a healthchecks.io-style
 * service, or another Kansoku's heartbeat check); when the pings stop, that outside party
 * knows Kansoku itself is down, which Kansoku cannot tell anyone. An object rather than a
 * server flag, so it is versioned, audited and exported with the rest of the configuration.
 */
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../core/duration.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { fingerprintLabels } from '../rules/index.js';

export const watchdogSpecSchema = z
  .object({
    url: z.string().url().describe('where the heartbeat is sent (POST, Alertmanager webhook JSON with one firing Watchdog alert)'),
    interval: durationSchema.default('1m').describe('how often (default 1m)'),
    timeout: durationSchema.default('10s').describe('per request'),
    labels: z.record(z.string(), z.string()).default({}).describe('extra labels on the Watchdog alert, e.g. {cluster: tokyo}'),
  })
  .strict();

export type WatchdogSpec = z.infer<typeof watchdogSpecSchema>;

export const watchdogKind: KindDefinition<WatchdogSpec> = {
  kind: 'Watchdog',
  description: "A heartbeat to an external URL every interval, so an outside party notices when Kansoku itself stops",
  specSchema: watchdogSpecSchema as z.ZodType<WatchdogSpec>,
  secretPaths: ['url'],
  validate(spec) {
    const issues: FieldIssue[] = [];
    const i = parseDurationMs(spec.interval) ?? 0;
    const t = parseDurationMs(spec.timeout) ?? 0;
    if (i < 1000) issues.push({ path: 'spec.interval', message: 'interval must be at least 1s' });
    if (t <= 0 || t >= i) issues.push({ path: 'spec.timeout', message: 'timeout must be positive and shorter than interval' });
    return issues;
  },
};

export interface WatchdogBeat {
  watchdog: string;
  at: number;
  ok: boolean;
  status?: number;
  error?: string;
  latencyMs: number;
}

/** Runs one timer per Watchdog object; `set` replaces the whole set. */
export class WatchdogRunner {
  private readonly timers = new Map<string, { spec: WatchdogSpec; timer: NodeJS.Timeout }>();
  private readonly started = Date.now();
  readonly last = new Map<string, WatchdogBeat>();
  private stopped = false;

  constructor(
    private readonly opts: { logger: Logger; externalURL?: string; onBeat?: (b: WatchdogBeat) => void },
  ) {}

  set(watchdogs: ReadonlyMap<string, WatchdogSpec>): void {
    if (this.stopped) return;
    for (const [name, t] of this.timers) {
      const next = watchdogs.get(name);
      if (!next || JSON.stringify(next) !== JSON.stringify(t.spec)) {
        clearInterval(t.timer);
        this.timers.delete(name);
      }
    }
    for (const [name, spec] of watchdogs) {
      if (this.timers.has(name)) continue;
      const every = parseDurationMs(spec.interval) ?? 60_000;
      const timer = setInterval(() => void this.beat(name, spec), every);
      timer.unref();
      this.timers.set(name, { spec, timer });
      void this.beat(name, spec);
    }
  }

  async beat(name: string, spec: WatchdogSpec): Promise<WatchdogBeat> {
    const labels = { alertname: 'Watchdog', severity: 'info', watchdog: name, ...spec.labels };
    const startsAt = new Date(this.started).toISOString();
    const body = {
      receiver: name,
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: 'Kansoku is alive: this alert always fires; its absence means Kansoku or its network is down' },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: this.opts.externalURL ?? '',
          fingerprint: fingerprintLabels(labels),
        },
      ],
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: this.opts.externalURL ?? '',
      version: '4',
      groupKey: `{}:{watchdog="${name}"}`,
      truncatedAlerts: 0,
    };
    const t0 = performance.now();
    let beat: WatchdogBeat;
    try {
      const r = await fetch(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'kansoku-watchdog' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(parseDurationMs(spec.timeout) ?? 10_000),
      });
      await r.arrayBuffer();
      beat = { watchdog: name, at: Date.now(), ok: r.ok, status: r.status, latencyMs: performance.now() - t0, ...(r.ok ? {} : { error: `HTTP ${r.status}` }) };
    } catch (err) {
      beat = { watchdog: name, at: Date.now(), ok: false, error: errorMessage(err), latencyMs: performance.now() - t0 };
    }
    if (!beat.ok) this.opts.logger.warn({ watchdog: name, err: beat.error }, 'watchdog heartbeat failed');
    this.last.set(name, beat);
    this.opts.onBeat?.(beat);
    return beat;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearInterval(t.timer);
    this.timers.clear();
  }
}
