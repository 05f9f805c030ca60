import { hostname } from 'node:os';
import { parseDurationMs } from '../core/duration.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { builtinRunners } from '../checks/builtin-runners.js';
import { locationNameSchema } from '../checks/locations/protocol.js';
import { captureEvidence } from '../sources/checks/evidence/index.js';
import { HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import { HostCollector } from '../sources/host/index.js';
import { MetricsAgent } from './metrics-agent.js';
import { ProbeAgent } from './probe-agent.js';

export interface AgentCommandOptions {
  probe?: string;
  metrics?: boolean;
  metricsInterval?: string;
  metricsMaxBuffered?: string;
  instance?: string;
  server?: string;
  token?: string;
  poll?: string;
  maxBuffered?: string;
  logLevel?: string;
}

/** A usage mistake: exits 2 like every other usage error of the CLI. */
class AgentUsageError extends Error {
  readonly exitCode = 2;
}

/** Label values travel in every series: printable, bounded. */
const INSTANCE_RE = /^[^\s"\\]{1,253}$/;

/**
 * `kansoku agent [--probe LOCATION] [--metrics] --server URL`: the probe location process and/or
 * the host-metrics pusher. Resolves when the agent has stopped after SIGTERM / SIGINT.
 */
export async function runAgentCommand(o: AgentCommandOptions): Promise<number> {
  if (!o.probe && !o.metrics) throw new AgentUsageError('agent: say what to run: --probe LOCATION (run the checks assigned to a location), --metrics (push this host\'s metrics), or both');
  let location: string | undefined;
  if (o.probe) {
    const loc = locationNameSchema.safeParse(o.probe);
    if (!loc.success) throw new AgentUsageError(`agent: --probe "${o.probe}": ${loc.error.issues[0]!.message}`);
    location = loc.data;
  }
  const server = o.server ?? 'http://127.0.0.1:7700';
  try {
    new URL(server);
  } catch {
    throw new AgentUsageError(`--server "${server}" is not a URL, e.g. http://kansoku.example.com:7700`);
  }
  if (!o.token) throw new AgentUsageError('agent: an API token is required: --token or KANSOKU_TOKEN (create one with "kansoku token create --name agent-web1 --role editor")');
  const pollMs = parseDurationMs(o.poll ?? '30s');
  if (pollMs === undefined || pollMs < 100) throw new AgentUsageError(`--poll "${o.poll}" must be a duration of at least 100ms, e.g. 30s`);
  const maxBuffered = Number(o.maxBuffered ?? '10000');
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) throw new AgentUsageError(`--max-buffered "${o.maxBuffered}" must be a positive integer`);
  const intervalMs = parseDurationMs(o.metricsInterval ?? '15s');
  if (intervalMs === undefined || intervalMs < 1000) throw new AgentUsageError(`--metrics-interval "${o.metricsInterval}" must be a duration of at least 1s, e.g. 15s`);
  const metricsMaxBuffered = Number(o.metricsMaxBuffered ?? '240');
  if (!Number.isInteger(metricsMaxBuffered) || metricsMaxBuffered < 1) throw new AgentUsageError(`--metrics-max-buffered "${o.metricsMaxBuffered}" must be a positive integer`);
  const instance = o.instance ?? hostname();
  if (!INSTANCE_RE.test(instance)) throw new AgentUsageError(`--instance "${instance}" must be 1 to 253 characters without spaces, quotes or backslashes, e.g. web1.example.com`);

  const root = createLogger({ level: o.logLevel ?? 'info' });
  const stops: { name: string; stop: () => Promise<void>; done: () => object; logger: Logger }[] = [];
  if (location) {
    const logger = root.child({ component: 'agent', location });
    const agent = new ProbeAgent({
      location,
      server,
      token: o.token,
      // Heartbeats are judged on the server and never assigned; their runner needs a book anyway.
      runners: builtinRunners(new HeartbeatBook()),
      logger,
      pollMs,
      maxBuffered,
      captureEvidence,
    });
    logger.info({ server, pollMs, maxBuffered }, 'probe agent starting');
    agent.start();
    stops.push({ name: 'probe agent', stop: () => agent.stop(), done: () => ({ delivered: agent.delivered, dropped: agent.dropped }), logger });
  }
  if (o.metrics) {
    const logger = root.child({ component: 'agent', metrics: instance });
    const agent = new MetricsAgent({
      server,
      token: o.token,
      logger,
      intervalMs,
      instance,
      maxBuffered: metricsMaxBuffered,
      collector: new HostCollector({ logger }),
    });
    logger.info({ server, intervalMs, instance, job: 'node', maxBuffered: metricsMaxBuffered }, 'host metrics agent starting');
    agent.start();
    stops.push({
      name: 'host metrics agent',
      stop: () => agent.stop(),
      done: () => ({ collected: agent.collected, delivered: agent.delivered, refused: agent.refused, dropped: agent.dropped, droppedSamples: agent.droppedSamples }),
      logger,
    });
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await Promise.all(
    stops.map(async (s) => {
      s.logger.info({ signal }, `${s.name} stopping`);
      await s.stop();
      s.logger.info(s.done(), `${s.name} stopped`);
    }),
  );
  root.flush?.();
  return 0;
}
