/**
 * Imports an Alertmanager configuration file into Kansoku documents:
 * - `route` → one `Route` named root with its sub-routes inline, in order (match / match_re /
 *   matchers → Alertmanager matchers; group_by, group_wait, group_interval, repeat_interval,
 *   continue, mute_time_intervals, active_time_intervals);
 * - `receivers` → one `Channel` stub per receiver, named after it: the first webhook, email or
 *   Slack config gives its type and fields (global smtp_* and slack_api_url filled in); other
 *   integrations are listed in `notes`; a receiver with none becomes `type: none` (a blackhole,
 *   as an empty Alertmanager receiver is);
 * - `inhibit_rules` → `InhibitRule`; `time_intervals` / `mute_time_intervals` → `TimeInterval`.
 * The checks Alertmanager applies when it loads a file are applied too (root route with a
 * receiver and without matchers or continue, receivers that exist, unique names), with its messages.
 */
import { parseDocument } from 'yaml';
import { API_VERSION, OBJECT_NAME_RE, type ObjectDocument } from '../inventory/document.js';
import type { FieldIssue } from '../lib/errors.js';
import { buildAlertingConfig } from './alerting-config.js';
import type { RouteSpec } from './route-kind.js';

export interface AlertmanagerImportResult {
  documents: ObjectDocument[];
  /** Settings read but not carried over, and mappings worth a look. */
  notes: string[];
  /** Problems that make the file unusable (Alertmanager would refuse it too). */
  issues: FieldIssue[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** An object name from an Alertmanager name: "team-X-mails" → "team-x-mails". */
export function kansokuName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 253);
  return OBJECT_NAME_RE.test(n) ? n : `x-${n || 'unnamed'}`.replace(/-+$/, '');
}

function doc(kind: string, name: string, spec: unknown, origin: string): ObjectDocument {
  return { apiVersion: API_VERSION, kind, metadata: { name, labels: {}, annotations: { 'kansoku.io/imported-from': origin } }, spec };
}

function matchersOf(r: Obj, prefix: '' | 'source_' | 'target_'): string[] {
  const out: string[] = [];
  const match = r[`${prefix}match`];
  const matchRe = r[`${prefix}match_re`];
  if (isObj(match)) for (const [k, v] of Object.entries(match)) out.push(`${k}=${JSON.stringify(String(v))}`);
  if (isObj(matchRe)) for (const [k, v] of Object.entries(matchRe)) out.push(`${k}=~${JSON.stringify(String(v))}`);
  out.push(...strList(r[`${prefix}matchers`]));
  return out;
}

export function importAlertmanagerConfig(text: string, source = 'alertmanager.yml'): AlertmanagerImportResult {
  const out: AlertmanagerImportResult = { documents: [], notes: [], issues: [] };
  const parsed = parseDocument(text, { uniqueKeys: true });
  if (parsed.errors.length) {
    out.issues.push(...parsed.errors.map((e) => ({ document: source, path: '(syntax)', message: e.message.split('\n')[0]! })));
    return out;
  }
  const cfg = parsed.toJS() as unknown;
  if (!isObj(cfg)) {
    out.issues.push({ document: source, path: '(file)', message: 'expected a mapping with route and receivers' });
    return out;
  }
  const global = isObj(cfg.global) ? cfg.global : {};
  for (const k of Object.keys(global)) {
    if (!['smtp_smarthost', 'smtp_from', 'slack_api_url', 'smtp_require_tls', 'smtp_auth_username', 'smtp_auth_password'].includes(k)) out.notes.push(`global.${k} is not imported`);
  }
  if (Array.isArray(cfg.templates) && cfg.templates.length) out.notes.push('templates are not imported: Kansoku channels have their own per-locale templates');

  // Receivers → Channel stubs.
  const receiverNames = new Map<string, string>();
  const usedNames = new Set<string>();
  const unique = (base: string): string => {
    let n = base;
    for (let i = 2; usedNames.has(n); i++) n = `${base}-${i}`;
    usedNames.add(n);
    return n;
  };
  const receivers = Array.isArray(cfg.receivers) ? cfg.receivers : [];
  receivers.forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.name !== 'string' || raw.name === '') {
      out.issues.push({ document: source, path: `receivers.${i}.name`, message: 'missing name on receiver' });
      return;
    }
    if (receiverNames.has(raw.name)) {
      out.issues.push({ document: source, path: `receivers.${i}.name`, message: `notification config name "${raw.name}" is not unique` });
      return;
    }
    const name = unique(kansokuName(raw.name));
    receiverNames.set(raw.name, name);
    const specs: { spec: Obj; from: string }[] = [];
    const skipped: string[] = [];
    for (const [key, list] of Object.entries(raw)) {
      if (key === 'name') continue;
      const items = Array.isArray(list) ? list.filter(isObj) : [];
      for (const c of items) {
        const sendResolved = typeof c.send_resolved === 'boolean' ? { sendResolved: c.send_resolved } : {};
        if (key === 'webhook_configs') {
          specs.push({ from: key, spec: { type: 'webhook', url: String(c.url ?? c.url_file ?? ''), ...sendResolved } });
        } else if (key === 'email_configs') {
          // Alertmanager: smarthost "host:port", to "a@x, b@y", auth_username / auth_password,
          // require_tls; Kansoku's email Channel: host, port, to[], user, password, starttls.
          const smarthost = String(c.smarthost ?? global.smtp_smarthost ?? '');
          const colon = smarthost.lastIndexOf(':');
          const host = colon > 0 ? smarthost.slice(0, colon).replace(/^\[|\]$/g, '') : smarthost;
          const port = colon > 0 ? Number(smarthost.slice(colon + 1)) : 25;
          const from = c.from ?? global.smtp_from;
          const requireTls = c.require_tls ?? global.smtp_require_tls;
          const user = c.auth_username ?? global.smtp_auth_username;
          const password = c.auth_password ?? global.smtp_auth_password;
          if (!from) out.notes.push(`receiver ${raw.name}: email_configs has no from (nor global.smtp_from); set spec.from before applying`);
          if (typeof c.html === 'string') out.notes.push(`receiver ${raw.name}: the custom html template was not imported (Kansoku renders its own ja/en templates)`);
          specs.push({
            from: key,
            spec: {
              type: 'email',
              host,
              port: Number.isInteger(port) && port > 0 ? port : 25,
              from: String(from ?? ''),
              to: String(c.to ?? c.email ?? '').split(',').map((x) => x.trim()).filter(Boolean),
              ...(user ? { user: String(user) } : {}),
              ...(password ? { password: String(password) } : {}),
              ...(requireTls === false ? { starttls: 'opportunistic' } : { starttls: 'required' }),
              ...sendResolved,
            },
          });
        } else if (key === 'slack_configs') {
          const url = c.api_url ?? global.slack_api_url;
          specs.push({ from: key, spec: { type: 'slack', url: String(url ?? ''), ...(c.channel ? { channel: String(c.channel) } : {}), ...sendResolved } });
        } else {
          skipped.push(key);
        }
      }
    }
    const [first, ...rest] = specs;
    out.documents.push(doc('Channel', name, first ? first.spec : { type: 'none' }, `${source}#receivers/${raw.name}`));
    for (const r of rest) out.notes.push(`receiver ${raw.name}: only its first integration became Channel ${name}; a further ${r.from} entry was not imported (create another Channel and route to it)`);
    for (const s of new Set(skipped)) out.notes.push(`receiver ${raw.name}: ${s} are not supported by Kansoku channels and were not imported`);
    if (!first) out.notes.push(`receiver ${raw.name}: no webhook, email or Slack integration; imported as Channel ${name} of type none (notifications are dropped)`);
  });

  // Time intervals (both the current and the deprecated key).
  const intervalNames = new Map<string, string>();
  for (const key of ['time_intervals', 'mute_time_intervals'] as const) {
    const list = Array.isArray(cfg[key]) ? (cfg[key] as unknown[]) : [];
    list.forEach((raw, i) => {
      if (!isObj(raw) || typeof raw.name !== 'string') {
        out.issues.push({ document: source, path: `${key}.${i}.name`, message: 'missing name in time interval' });
        return;
      }
      if (intervalNames.has(raw.name)) {
        out.issues.push({ document: source, path: `${key}.${i}.name`, message: `time interval "${raw.name}" is not unique` });
        return;
      }
      const name = kansokuName(raw.name);
      intervalNames.set(raw.name, name);
      const entries = (Array.isArray(raw.time_intervals) ? raw.time_intervals : []).filter(isObj).map((e) => ({
        ...(Array.isArray(e.times) ? { times: e.times.filter(isObj).map((t) => ({ startTime: String(t.start_time), endTime: String(t.end_time) })) } : {}),
        ...(e.weekdays ? { weekdays: strList(e.weekdays) } : {}),
        ...(e.days_of_month ? { daysOfMonth: strList(e.days_of_month) } : {}),
        ...(e.months ? { months: strList(e.months) } : {}),
        ...(e.years ? { years: strList(e.years) } : {}),
        location: typeof e.location === 'string' ? (e.location === 'Local' ? 'UTC' : e.location) : 'UTC',
      }));
      out.documents.push(doc('TimeInterval', name, { intervals: entries.length ? entries : [{ location: 'UTC' }] }, `${source}#${key}/${raw.name}`));
    });
  }

  // The route tree.
  const convertRoute = (r: Obj, path: string, isRoot: boolean): RouteSpec => {
    const matchers = matchersOf(r, '');
    const receiver = typeof r.receiver === 'string' ? r.receiver : undefined;
    if (receiver !== undefined && !receiverNames.has(receiver)) out.issues.push({ document: source, path: `${path}receiver`, message: `undefined receiver "${receiver}" used in route` });
    const mapIntervals = (field: string): string[] =>
      strList(r[field]).map((n) => {
        if (!intervalNames.has(n)) out.issues.push({ document: source, path: `${path}${field}`, message: `undefined time interval "${n}" used in route` });
        return intervalNames.get(n) ?? kansokuName(n);
      });
    if (isRoot && r.continue === true) out.issues.push({ document: source, path: `${path}continue`, message: 'cannot have continue in root route' });
    const children = (Array.isArray(r.routes) ? r.routes : []).filter(isObj);
    const spec: RouteSpec = {
      ...(receiver !== undefined ? { receiver: receiverNames.get(receiver) ?? kansokuName(receiver) } : {}),
      matchers,
      continue: r.continue === true,
      ...(Array.isArray(r.group_by) ? { groupBy: strList(r.group_by) } : {}),
      ...(r.group_wait !== undefined ? { groupWait: String(r.group_wait).trim() } : {}),
      ...(r.group_interval !== undefined ? { groupInterval: String(r.group_interval).trim() } : {}),
      ...(r.repeat_interval !== undefined ? { repeatInterval: String(r.repeat_interval).trim() } : {}),
      muteTimeIntervals: mapIntervals('mute_time_intervals'),
      activeTimeIntervals: mapIntervals('active_time_intervals'),
      routes: children.map((c, i) => convertRoute(c, `${path}routes.${i}.`, false)),
    };
    return spec;
  };
  if (!isObj(cfg.route)) {
    out.issues.push({ document: source, path: 'route', message: 'no routes provided' });
  } else {
    const root = convertRoute(cfg.route, 'route.', true);
    if (!root.receiver) out.issues.push({ document: source, path: 'route.receiver', message: 'root route must specify a default receiver' });
    if (root.matchers.length > 0) out.issues.push({ document: source, path: 'route', message: 'root route must not have any matchers' });
    out.documents.push(doc('Route', 'root', root, `${source}#route`));
  }

  const inhibits = Array.isArray(cfg.inhibit_rules) ? cfg.inhibit_rules : [];
  inhibits.forEach((raw, i) => {
    if (!isObj(raw)) return;
    out.documents.push(
      doc('InhibitRule', `inhibit-${i + 1}`, { sourceMatchers: matchersOf(raw, 'source_'), targetMatchers: matchersOf(raw, 'target_'), equal: strList(raw.equal) }, `${source}#inhibit_rules/${i}`),
    );
  });

  // Validate the result the way apply will: every document against its kind, and the tree as a whole.
  if (out.issues.length === 0) {
    const { issues } = buildAlertingConfig(
      out.documents.filter((d) => d.kind !== 'Channel'),
      { receivers: new Set(out.documents.filter((d) => d.kind === 'Channel').map((d) => d.metadata.name)) },
    );
    out.issues.push(...issues);
  }
  return out;
}
