import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AlertingService } from '../../alerting-module/alerting-service.js';
import type { ObjectService } from '../../inventory/object-service.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { StateStore } from '../../store/state-store.js';
import { actorOf } from '../http/request-context.js';

/** What the alert routes need of the alerting module. */
export type AlertRoutesService = Pick<AlertingService, 'listAllAlerts' | 'acknowledge' | 'drill' | 'preview' | 'configProblems'> & Partial<Pick<AlertingService, 'showAlert'>>;

export interface AlertRoutesDeps {
  service: AlertRoutesService;
  /** The pipeline's health for GET /api/v1/alerting/status. */
  status?: () => Promise<unknown>;
  /** For audit records of acknowledgements and drills; none are written without them. */
  audit?: { store: Pick<StateStore, 'transaction'>; objects: Pick<ObjectService, 'auditInput'> };
}

const ALERT_STATES = ['pending', 'firing', 'suppressed', 'resolved'] as const;

const listQuery = z
  .object({
    state: z
      .string()
      .optional()
      .describe('comma-separated states to show: pending, firing, suppressed, resolved (default all but resolved)'),
    filter: z.string().optional().describe('label matchers the alerts must have, e.g. service=shop,severity=critical'),
  })
  .strict();

const ackBody = z
  .object({ comment: z.string().max(2000).default('').describe('why, or what is being done (a ticket, "on it")') })
  .strict();

const labelsSchema = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are letters, digits and "_"'), z.string());

const drillBody = z
  .object({
    channel: z.string().min(1).optional().describe('send to this Channel instead of the receivers routing picks'),
    labels: labelsSchema.optional().describe('labels of the test alert (alertname KansokuDrill, severity info, drill "true" unless set), so it takes the route real alerts with these labels take'),
  })
  .strict();

const previewBody = z
  .object({
    notification: z.unknown().optional().describe('an AlertNotification to render; default a sample drill alert'),
  })
  .strict();

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body'): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: `${where}.${i.path.join('.')}`, message: i.message }));
    throw new ValidationError('KSK_REQUEST_INVALID', `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return r.data;
}

/** `a=b,c!=d` equality selectors over alert labels (enough for filtering a listing). */
function labelFilter(filter: string | undefined): (labels: Record<string, string>) => boolean {
  if (!filter) return () => true;
  const parts = filter.split(',').map((p) => p.trim()).filter(Boolean);
  const preds = parts.map((p) => {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=)\s*"?([^"]*)"?$/.exec(p);
    if (!m) throw new ValidationError('KSK_REQUEST_INVALID', `invalid query: filter: "${p}" is not name=value or name!=value`, [{ path: 'query.filter', message: 'expected name=value or name!=value' }]);
    const [, name, op, value] = m;
    return (l: Record<string, string>) => ((l[name!] ?? '') === value) === (op === '=');
  });
  return (l) => preds.every((p) => p(l));
}

/** /api/v1/alerts, acknowledgement, drills and channel previews. */
export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  const { service } = deps;
  const audit = async (req: FastifyRequest, action: string, name: string, after: unknown, detail: string) => {
    const a = deps.audit;
    if (!a) return;
    await a.store.transaction((tx) => tx.appendAudit(a.objects.auditInput(actorOf(req), action, 'Alert', name, null, null, JSON.stringify(after), detail.slice(0, 4000))));
  };

  app.get('/api/v1/alerts', { schema: { tags: ['alerts'], summary: 'Alerts: pending, firing and suppressed (with the reasons); ?state=resolved for recent resolved ones' } }, async (req) => {
    const q = parse(listQuery, req.query, 'query');
    const states = q.state ? q.state.split(',').map((s) => s.trim()) : ['pending', 'firing', 'suppressed'];
    for (const s of states) {
      if (!(ALERT_STATES as readonly string[]).includes(s)) throw new ValidationError('KSK_REQUEST_INVALID', `invalid query: state: "${s}" is not one of ${ALERT_STATES.join(', ')}`, [{ path: 'query.state', message: 'unknown state' }]);
    }
    const match = labelFilter(q.filter);
    const alerts = service.listAllAlerts().filter((a) => states.includes(a.state) && match(a.labels));
    return { alerts, routingProblems: service.configProblems() };
  });

  if (deps.status) {
    const status = deps.status;
    app.get('/api/v1/alerting/status', { schema: { tags: ['alerts'], summary: 'The alerting pipeline: routing problems, aggregation groups, rule groups with their last round, outbox counts, watchdog beats' } }, async () => status());
  }

  app.get<{ Params: { fingerprint: string } }>(
    '/api/v1/alerts/:fingerprint',
    { schema: { tags: ['alerts'], summary: 'One alert: labels, annotations, state history, acknowledgement, escalation progress and its notification log with delivery states' } },
    async (req) => {
      const d = service.showAlert ? await service.showAlert(req.params.fingerprint) : undefined;
      if (!d) throw new NotFoundError('KSK_ALERT_NOT_FOUND', `no alert with fingerprint ${req.params.fingerprint}; list them with "kansoku alerts --all"`);
      return d;
    },
  );

  app.post<{ Params: { fingerprint: string } }>(
    '/api/v1/alerts/:fingerprint/ack',
    { config: { role: 'editor', action: 'alert.ack' }, schema: { tags: ['alerts'], summary: 'Acknowledge an alert (who = the token, when = now, comment); stops its escalation' } },
    async (req) => {
      const body = parse(ackBody, req.body, 'body');
      const by = req.token?.name ?? 'unknown';
      const a = await service.acknowledge(req.params.fingerprint, by, body.comment);
      if (!a) throw new NotFoundError('KSK_ALERT_NOT_FOUND', `no alert with fingerprint ${req.params.fingerprint}; list them with "kansoku alerts"`);
      await audit(req, 'alert.ack', req.params.fingerprint, { labels: a.labels, ack: a.ack }, body.comment);
      return a;
    },
  );

  app.post(
    '/api/v1/drill',
    { config: { role: 'editor', action: 'alert.drill' }, schema: { tags: ['alerts'], summary: 'Send a test alert through the real routing to the real channels; reports each hop with its outcome and latency' } },
    async (req) => {
      const body = parse(drillBody, req.body, 'body');
      const r = await service.drill({ ...(body.channel ? { channel: body.channel } : {}), ...(body.labels ? { labels: body.labels } : {}) });
      await audit(req, 'alert.drill', r.alert.fingerprint, { receivers: r.receivers, hops: r.hops.map((h) => ({ hop: h.hop, channel: h.channel, outcome: h.outcome })) }, r.ok ? 'drill passed' : 'drill failed');
      return r;
    },
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/channels/:name/preview',
    { config: { role: 'viewer', action: 'channel.preview' }, schema: { tags: ['alerts'], summary: 'Render the exact message a channel would send, without sending it (secrets redacted)' } },
    async (req) => {
      const body = parse(previewBody, req.body, 'body');
      let p;
      try {
        p = service.preview(req.params.name, body.notification);
      } catch (err) {
        if (err instanceof z.ZodError) {
          const issues = err.issues.map((i) => ({ path: `body.notification.${i.path.join('.')}`, message: i.message }));
          throw new ValidationError('KSK_REQUEST_INVALID', `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
        }
        throw err;
      }
      if (!p) throw new NotFoundError('KSK_CHANNEL_NOT_FOUND', `Channel/${req.params.name} does not exist`);
      return p;
    },
  );
}
