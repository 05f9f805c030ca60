import { parseDurationMs } from '../core/duration.js';
import { createLogger } from '../lib/logger.js';
import { builtinRunners } from '../checks/builtin-runners.js';
import { locationNameSchema } from '../checks/locations/protocol.js';
import { captureEvidence } from '../sources/checks/evidence/index.js';
import { HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import { ProbeAgent } from './probe-agent.js';

export interface AgentCommandOptions {
  probe?: string;
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

/**
 * `kansoku agent --probe LOCATION --server URL`: the probe location process. Resolves when the
 * agent has stopped after SIGTERM / SIGINT.
 */
export async function runAgentCommand(o: AgentCommandOptions): Promise<number> {
  if (!o.probe) throw new AgentUsageError('agent: --probe LOCATION is required (the probe mode is the only agent mode so far)');
  const loc = locationNameSchema.safeParse(o.probe);
  if (!loc.success) throw new AgentUsageError(`agent: --probe "${o.probe}": ${loc.error.issues[0]!.message}`);
  const server = o.server ?? 'http://127.0.0.1:7700';
  try {
    new URL(server);
  } catch {
    throw new AgentUsageError(`--server "${server}" is not a URL, e.g. http://kansoku.example.com:7700`);
  }
  if (!o.token) throw new AgentUsageError('agent: an API token is required: --token or KANSOKU_TOKEN (create one with "kansoku token create --name probe-tokyo --role editor")');
  const pollMs = parseDurationMs(o.poll ?? '30s');
  if (pollMs === undefined || pollMs < 100) throw new AgentUsageError(`--poll "${o.poll}" must be a duration of at least 100ms, e.g. 30s`);
  const maxBuffered = Number(o.maxBuffered ?? '10000');
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) throw new AgentUsageError(`--max-buffered "${o.maxBuffered}" must be a positive integer`);

  const logger = createLogger({ level: o.logLevel ?? 'info' }).child({ component: 'agent', location: loc.data });
  const agent = new ProbeAgent({
    location: loc.data,
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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'probe agent stopping');
  await agent.stop();
  logger.info({ delivered: agent.delivered, dropped: agent.dropped }, 'probe agent stopped');
  logger.flush?.();
  return 0;
}
