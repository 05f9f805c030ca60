import { Argument, Command, Option } from 'commander';
import { VERSION } from './version.js';

/**
 * The `kansoku` command. Each verb imports its module only when it runs, so `kansoku apply`
 * never loads the server, Fastify or chDB.
 */
function run<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<number | void>>) {
  return async (...args: A) => {
    try {
      const fn = await load();
      const code = await fn(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (err) {
      const e = err as { message?: string; exitCode?: number; code?: string };
      process.stderr.write(`kansoku: ${e.message ?? String(err)}\n`);
      process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1;
    }
  };
}

function clientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'server URL (default http://127.0.0.1:7700)').env('KANSOKU_URL'))
    .addOption(new Option('--token <token>', 'API token (default: the file ./kansoku-data/admin-token when readable)').env('KANSOKU_TOKEN'));
}

function merged<T>(cmd: Command): T {
  return cmd.optsWithGlobals() as T;
}

export function buildProgram(): Command {
  const program = new Command('kansoku')
    .description('Kansoku: service checks, metrics, logs, audit trail, alerting and runbooks in one self-hosted program.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Usage errors exit 2, as the README says; help and --version exit 0. Subcommands inherit this.
    .exitOverride((err) => {
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2);
    });

  program
    .command('server')
    .description('run the server: HTTP API, ingest, checks, rules, alerting (embedded SQLite + chDB by default)')
    .option('--data-dir <dir>', 'where embedded state and telemetry live, and the admin token file', './kansoku-data')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7700')
    .option('--state <url>', 'PostgreSQL state store, postgres://user:pass@host:5432/db (default: SQLite in the data dir)')
    .option('--telemetry <url>', 'ClickHouse server, http://user:pass@host:8123/db (default: embedded chDB in the data dir)')
    .addOption(
      new Option('--secret-key-file <path>', 'key that encrypts secrets at rest, created (mode 0600) when missing; default DIR/secret.key with SQLite, or KANSOKU_SECRET_KEY (base64); PostgreSQL needs one of the two').env(
        'KANSOKU_SECRET_KEY_FILE',
      ),
    )
    .option('--no-host-metrics', 'do not collect this host\'s own metrics (by default the server stores them every 15 s as job="node", instance=<hostname>)')
    .addOption(new Option('--decode-threads <n>', 'worker threads that decode remote-write bodies; 0 decodes on the main thread (default; on 2 cores a worker measured slower)').env('KANSOKU_DECODE_THREADS'))
    .addOption(new Option('--log-level <level>', 'log level (default: KANSOKU_LOG_LEVEL, else info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (opts: { dataDir: string; listen: string; state?: string; telemetry?: string; hostMetrics: boolean; logLevel?: string; decodeThreads?: string }) => {
      try {
        const { runServerCommand } = await import('./server/main.js');
        await runServerCommand(opts);
      } catch (err) {
        process.stderr.write(`kansoku server: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });

  program
    .command('agent')
    .description(
      'run an agent (at least one of --probe and --metrics): --probe LOCATION runs the checks the server assigns to that location and pushes their results; ' +
        '--metrics collects this Linux host\'s metrics (CPU by mode, memory, swap, filesystems, disk I/O, network, load, top processes; node_exporter\'s names) ' +
        'and pushes them to the server\'s POST /api/v1/write (Prometheus remote-write 1.0) with job="node" and instance=<hostname>. ' +
        'While the server is unreachable both keep working, buffer in memory up to their bound (oldest dropped first, counted and logged) and retry with backoff (1 s doubling to 30 s).',
    )
    .addOption(new Option('--probe <location>', 'probe location name, e.g. tokyo (checks name it in spec.locations)').env('KANSOKU_PROBE_LOCATION'))
    .option('--metrics', 'collect this host\'s metrics and push them with remote-write (job="node")')
    .option('--metrics-interval <duration>', 'time between host-metric collections (at least 1s)', '15s')
    .addOption(new Option('--instance <name>', 'instance label of the host metrics (default: the host name)').env('KANSOKU_INSTANCE'))
    .option('--metrics-max-buffered <n>', 'most host-metric collections kept in memory while the server is unreachable (240 = 1 h at 15 s)', '240')
    .addOption(new Option('--server <url>', 'server URL (default http://127.0.0.1:7700)').env('KANSOKU_URL'))
    .addOption(new Option('--token <token>', 'API token with the editor role').env('KANSOKU_TOKEN'))
    .option('--poll <duration>', 'how often to fetch assignments', '30s')
    .option('--max-buffered <n>', 'most probe results kept in memory while the server is unreachable', '10000')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .action(function (this: Command) {
      return run(async () => (await import('./agent/main.js')).runAgentCommand)(this.opts());
    });

  const fileOpts = (cmd: Command) =>
    clientOptions(cmd)
      .requiredOption('-f, --file <path>', 'a YAML/JSON file, a directory (read recursively), or - for stdin')
      .option('--no-prune', 'keep objects of the apply set that the files no longer contain')
      .option('--set <name>', 'apply set: the group of objects these files manage', 'default')
      .option('--json', 'print the plan as JSON');

  fileOpts(program.command('plan').description('show what apply would create, change (field diff, drift) and delete'))
    .option('--exit-code', 'exit 2 when there are changes (0 when none)')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/config-as-code.js')).planCommand)(merged(this));
    });

  fileOpts(program.command('apply').description('apply a file or directory all-or-nothing; a second apply changes nothing')).action(function (this: Command) {
    return run(async () => (await import('./cli/commands/config-as-code.js')).applyCommand)(merged(this));
  });

  clientOptions(program.command('export').description('write every object as YAML that re-applies to no change'))
    .option('-o, --output <path>', 'file to write, or a directory ending in / for one file per kind (default stdout)')
    .option('--kind <kind>', 'only this kind')
    .option('--selector <labels>', 'only objects matching, e.g. env=prod,team!=db')
    .option('--json', 'JSON instead of YAML')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/config-as-code.js')).exportCommand)(merged(this));
    });

  clientOptions(program.command('status').description('every check with its state (OK/WARNING/CRITICAL/UNKNOWN, hard or soft), since when, and its last message'))
    .option('--json', 'JSON output')
    .option('--exit-code', 'exit 2 when any check has a hard problem')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/status.js')).statusCommand)(merged(this));
    });

  program
    .command('import')
    .description('turn a Prometheus alerting-rule file or an Alertmanager configuration into Kansoku documents (YAML on stdout)')
    .addArgument(new Argument('<format>', 'what the file is').choices(['prometheus-rules', 'alertmanager']))
    .requiredOption('-f, --file <path>', 'the file to read, or - for stdin')
    .option('-o, --output <file>', 'write the documents here instead of stdout')
    .action(function (this: Command, format: 'prometheus-rules' | 'alertmanager') {
      return run(async () => (await import('./cli/commands/import.js')).importCommand)(format, this.opts());
    });

  clientOptions(program.command('get').description('list objects of a kind, or show one').argument('<kind>', 'e.g. Runbook, Check').argument('[name]'))
    .option('--selector <labels>', 'label selector, e.g. env=prod,tier!=db')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json']))
    .option('--json', 'JSON output')
    .action(function (this: Command, kind: string, name: string | undefined) {
      return run(async () => (await import('./cli/commands/objects.js')).getCommand)(kind, name, merged(this));
    });

  clientOptions(program.command('delete').description('delete an object (its history stays)').argument('<kind>').argument('<name>'))
    .option('--version <n>', 'refuse unless the object is still at this version')
    .option('--json', 'JSON output')
    .action(function (this: Command, kind: string, name: string) {
      return run(async () => (await import('./cli/commands/objects.js')).deleteCommand)(kind, name, merged(this));
    });

  clientOptions(program.command('history').description("list an object's versions").argument('<kind>').argument('<name>'))
    .option('--json', 'JSON output')
    .action(function (this: Command, kind: string, name: string) {
      return run(async () => (await import('./cli/commands/objects.js')).historyCommand)(kind, name, merged(this));
    });

  clientOptions(program.command('diff').description('field diff between two versions of an object').argument('<kind>').argument('<name>').argument('<from>').argument('<to>'))
    .option('--json', 'JSON output')
    .action(function (this: Command, kind: string, name: string, from: string, to: string) {
      return run(async () => (await import('./cli/commands/objects.js')).diffCommand)(kind, name, from, to, merged(this));
    });

  const token = program.command('token').description('manage API tokens (admin role)');
  clientOptions(token.command('create').description('create a token; prints it once'))
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--role <role>', 'viewer reads; editor changes objects; admin manages tokens').choices(['viewer', 'editor', 'admin']).makeOptionMandatory())
    .option('--expires <time>', 'RFC 3339 expiry time')
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/tokens.js')).tokenCreateCommand)(merged(this));
    });
  clientOptions(token.command('list').description('list tokens (never their secrets)'))
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/tokens.js')).tokenListCommand)(merged(this));
    });
  clientOptions(token.command('revoke').description('revoke a token by id or unique name').argument('<id>'))
    .option('--json', 'JSON output')
    .action(function (this: Command, id: string) {
      return run(async () => (await import('./cli/commands/tokens.js')).tokenRevokeCommand)(id, merged(this));
    });

  const alerts = clientOptions(program.command('alerts').description('firing, pending and suppressed alerts (with why), newest first'))
    .option('--json', 'JSON output')
    .option('--all', 'also recently resolved alerts')
    .option('--filter <labels>', 'only alerts with these labels, e.g. service=shop,severity=critical')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/alerts.js')).alertsCommand)(merged(this));
    });
  clientOptions(alerts.command('show').description('one alert: labels, annotations, state history, acknowledgement, escalation, notifications').argument('<fingerprint>', 'from "kansoku alerts"'))
    .option('--json', 'JSON output')
    .action(function (this: Command, fingerprint: string) {
      return run(async () => (await import('./cli/commands/alerts.js')).alertShowCommand)(fingerprint, merged(this));
    });
  clientOptions(program.command('ack').description('acknowledge an alert (stops its escalation)').argument('<fingerprint>', 'from "kansoku alerts"'))
    .option('--comment <text>', 'why, or what is being done')
    .action(function (this: Command, fingerprint: string) {
      return run(async () => (await import('./cli/commands/alerts.js')).ackCommand)(fingerprint, merged(this));
    });
  clientOptions(program.command('silence').description('mute matching alerts for a while (creates a kind: Silence object; alerts are still recorded)'))
    .option('--matcher <matcher>', 'Alertmanager matcher, e.g. \'alertname="CheckFailed"\'; repeat for more', (v: string, prev: string[] = []) => [...prev, v])
    .option('--duration <duration>', 'how long, e.g. 30m, 2h', '2h')
    .option('--start <time>', 'ISO 8601 start (default now)')
    .option('--comment <text>', 'why (a ticket or the reason)')
    .option('--by <name>', 'who (default $USER)')
    .option('--name <name>', 'object name (default silence-<time>-<random>)')
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/alerts.js')).silenceCommand)(merged(this));
    });
  clientOptions(program.command('drill').description('send a test alert through the real routing to the real channels; reports each hop (exit 1 if one fails)'))
    .option('--channel <name>', 'send to this Channel instead of the receivers routing picks')
    .option('--label <name=value>', 'label of the test alert (routes like real alerts with it); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/alerts.js')).drillCommand)(merged(this));
    });

  const audit = program.command('audit').description('search, export and verify the audit trail');
  const filters = (cmd: Command) =>
    clientOptions(cmd)
      .option('--actor <name>', 'token name')
      .option('--action <action>', 'e.g. object.update, or a prefix such as object.*')
      .option('--kind <kind>', 'object kind')
      .option('--name <name>', 'object name')
      .addOption(new Option('--outcome <outcome>', 'success, failure or denied').choices(['success', 'failure', 'denied']))
      .option('--since <time>', 'RFC 3339 start time')
      .option('--until <time>', 'RFC 3339 end time');
  filters(audit.command('list').description('newest audit records first'))
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/audit.js')).auditListCommand)(merged(this));
    });
  filters(audit.command('export').description('every matching record as JSON Lines, oldest first'))
    .option('-o, --output <file>', 'file to write (default stdout)')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/audit.js')).auditExportCommand)(merged(this));
    });
  clientOptions(audit.command('verify').description('recompute the hash chain; exits 1 and names the first altered, removed or reordered record'))
    .option('--data-dir <dir>', 'verify the SQLite store in this data dir directly, without a server')
    .option('--state <url>', 'verify this PostgreSQL state store directly, without a server')
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/audit.js')).auditVerifyCommand)(merged(this));
    });

  const secrets = program.command('secrets').description('encryption of secrets at rest (Channel passwords and tokens, Check credentials, …)');
  secrets
    .command('rotate')
    .description('with the server stopped: re-encrypt every stored secret (objects and all versions) with a new key, in one transaction')
    .requiredOption('--new-key-file <path>', 'the new key; created with a new random key (mode 0600) when missing')
    .addOption(new Option('--data-dir <dir>', "the server's data dir (SQLite state and DIR/secret.key)").env('KANSOKU_DATA_DIR').default('./kansoku-data'))
    .addOption(new Option('--state <url>', 'PostgreSQL state store, postgres://… (default: SQLite in the data dir)').env('KANSOKU_STATE_URL'))
    .addOption(new Option('--secret-key-file <path>', 'the current key (default: KANSOKU_SECRET_KEY, then DIR/secret.key)').env('KANSOKU_SECRET_KEY_FILE'))
    .option('--json', 'JSON output')
    .action(function (this: Command) {
      return run(async () => (await import('./cli/commands/secrets.js')).secretsRotateCommand)(this.opts());
    });

  return program;
}

await buildProgram().parseAsync(process.argv);
