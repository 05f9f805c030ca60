/**
 * `type: command` — runs a Nagios-compatible plugin (the API Zabbix, Icinga, Sensu and Mackerel
 * share): exit code → status, first line → message, perfdata → metrics, timeout → whole process
 * group killed and UNKNOWN.
 */
import type { CheckType } from '../check-type.js';
import { commandCheckSpecSchema, type CommandCheckSpec } from './config.js';
import { runCommandCheck } from './probe.js';

export { commandCheckSpecSchema, commandArgv, type CommandCheckSpec } from './config.js';
export { interpretPluginRun, type PluginRun, type PluginVerdict } from './plugin-result.js';
export { runBounded, baseChildEnv, type RunBoundedOptions, type RunBoundedResult } from './run-bounded.js';
export { splitArgv } from './split-argv.js';

export const commandCheck: CheckType<CommandCheckSpec> = {
  type: 'command',
  specSchema: commandCheckSpecSchema,
  run: runCommandCheck,
  targetHost: () => undefined,
};
