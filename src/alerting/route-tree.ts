/**
 * The routing tree built from Route objects, matched as Alertmanager's dispatch/route.go does:
 * an alert enters at the root; a route matches when its matchers do; the first matching child
 * wins unless it has `continue`, in which case later siblings are tried too; a route none of
 * whose children match is itself the match.
 */
import type { Labels } from '../core/labels.js';
import { parseDurationMs } from '../core/duration.js';
import type { FieldIssue } from '../lib/errors.js';
import { compileMatchers, formatMatchers, parseMatcherList, type LabelMatcher, type LabelPredicate } from '../rules/index.js';
import type { RouteSpec } from './route-kind.js';

export const ROOT_ROUTE = 'root';
export const DEFAULT_GROUP_WAIT_MS = 30_000;
export const DEFAULT_GROUP_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3600_000;

/** A route with inherited settings resolved. */
export interface ResolvedRoute {
  /** Unique id: the names and child positions from the root, e.g. "root/0/db-team". */
  id: string;
  /** Alertmanager's route key (matchers from the root), used in group keys. */
  key: string;
  /** The Route object this node belongs to (inline children belong to their parent's object). */
  objectName: string;
  receiver: string;
  matchers: LabelMatcher[];
  continue: boolean;
  groupBy: string[];
  groupByAll: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  escalationPolicy?: string;
  children: ResolvedRoute[];
  match: LabelPredicate;
}

export class RouteTreeError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => `${i.document ? i.document + ': ' : ''}${i.path}: ${i.message}`).join('; '));
    this.name = 'RouteTreeError';
  }
}

export interface RouteTreeCheck {
  /** Receiver names that exist (Channel names); unknown receivers are reported when given. */
  receivers?: ReadonlySet<string>;
  timeIntervals?: ReadonlySet<string>;
  escalationPolicies?: ReadonlySet<string>;
}

export class RouteTree {
  private constructor(readonly root: ResolvedRoute) {}

  /** Builds the tree from Route objects (name → spec); throws RouteTreeError listing every problem. */
  static build(routes: ReadonlyMap<string, RouteSpec> | Record<string, RouteSpec>, check: RouteTreeCheck = {}): RouteTree {
    const map = routes instanceof Map ? routes : new Map(Object.entries(routes));
    const issues: FieldIssue[] = [];
    const rootSpec = map.get(ROOT_ROUTE);
    if (!rootSpec) throw new RouteTreeError([{ document: 'Route/root', path: '(document)', message: 'no Route named "root": the routing tree needs its root' }]);
    const doc = (n: string): string => `Route/${n}`;
    if (!rootSpec.receiver) issues.push({ document: doc(ROOT_ROUTE), path: 'receiver', message: 'the root route must have a receiver' });
    if (rootSpec.matchers.length > 0) issues.push({ document: doc(ROOT_ROUTE), path: 'matchers', message: 'the root route must not have matchers (every alert enters there)' });
    if (rootSpec.continue) issues.push({ document: doc(ROOT_ROUTE), path: 'continue', message: 'cannot have continue in root route' });
    if (rootSpec.muteTimeIntervals.length > 0) issues.push({ document: doc(ROOT_ROUTE), path: 'muteTimeIntervals', message: 'the root route must not have mute time intervals' });
    if (rootSpec.activeTimeIntervals.length > 0) issues.push({ document: doc(ROOT_ROUTE), path: 'activeTimeIntervals', message: 'the root route must not have active time intervals' });
    const used = new Map<string, string>();
    const build = (spec: RouteSpec, objectName: string, path: string, id: string, parent: ResolvedRoute | undefined, stack: string[]): ResolvedRoute => {
      let matchers: LabelMatcher[] = [];
      try {
        matchers = parseMatcherList(spec.matchers);
      } catch (err) {
        issues.push({ document: doc(objectName), path: `${path}matchers`, message: (err as Error).message });
      }
      const dur = (v: string | undefined, inherited: number | undefined, dflt: number): number => (v !== undefined ? (parseDurationMs(v) ?? dflt) : (inherited ?? dflt));
      const groupBy = spec.groupBy ?? parent?.groupBy ?? [];
      const groupByAll = spec.groupBy ? spec.groupBy.includes('...') : (parent?.groupByAll ?? false);
      const receiver = spec.receiver ?? parent?.receiver ?? '';
      if (check.receivers && spec.receiver && !check.receivers.has(spec.receiver)) {
        issues.push({ document: doc(objectName), path: `${path}receiver`, message: `unknown receiver "${spec.receiver}": no Channel with that name` });
      }
      for (const [field, list] of [['muteTimeIntervals', spec.muteTimeIntervals], ['activeTimeIntervals', spec.activeTimeIntervals]] as const) {
        for (const n of list) if (check.timeIntervals && !check.timeIntervals.has(n)) issues.push({ document: doc(objectName), path: `${path}${field}`, message: `unknown time interval "${n}"` });
      }
      const escalationPolicy = spec.escalationPolicy ?? parent?.escalationPolicy;
      if (spec.escalationPolicy && check.escalationPolicies && !check.escalationPolicies.has(spec.escalationPolicy)) {
        issues.push({ document: doc(objectName), path: `${path}escalationPolicy`, message: `unknown escalation policy "${spec.escalationPolicy}"` });
      }
      const node: ResolvedRoute = {
        id,
        key: (parent ? parent.key + '/' : '') + formatMatchers(matchers),
        objectName,
        receiver,
        matchers,
        continue: spec.continue,
        groupBy: groupByAll ? [] : groupBy.filter((l) => l !== '...'),
        groupByAll,
        groupWaitMs: dur(spec.groupWait, parent?.groupWaitMs, DEFAULT_GROUP_WAIT_MS),
        groupIntervalMs: dur(spec.groupInterval, parent?.groupIntervalMs, DEFAULT_GROUP_INTERVAL_MS),
        repeatIntervalMs: dur(spec.repeatInterval, parent?.repeatIntervalMs, DEFAULT_REPEAT_INTERVAL_MS),
        muteTimeIntervals: [...spec.muteTimeIntervals],
        activeTimeIntervals: [...spec.activeTimeIntervals],
        ...(escalationPolicy ? { escalationPolicy } : {}),
        children: [],
        match: compileMatchers(matchers),
      };
      spec.routes.forEach((child, i) => {
        if (typeof child === 'string') {
          const childSpec = map.get(child);
          if (!childSpec) {
            issues.push({ document: doc(objectName), path: `${path}routes.${i}`, message: `unknown route "${child}": no Route with that name` });
            return;
          }
          if (stack.includes(child)) {
            issues.push({ document: doc(objectName), path: `${path}routes.${i}`, message: `route "${child}" is its own ancestor (cycle ${[...stack, child].join(' → ')})` });
            return;
          }
          const prev = used.get(child);
          if (prev) {
            issues.push({ document: doc(objectName), path: `${path}routes.${i}`, message: `route "${child}" is already a child of "${prev}"; a route has one parent` });
            return;
          }
          used.set(child, objectName);
          node.children.push(build(childSpec, child, '', `${id}/${child}`, node, [...stack, child]));
        } else {
          node.children.push(build(child, objectName, `${path}routes.${i}.`, `${id}/${i}`, node, stack));
        }
      });
      return node;
    };
    const root = build(rootSpec, ROOT_ROUTE, '', ROOT_ROUTE, undefined, [ROOT_ROUTE]);
    for (const name of map.keys()) {
      if (name !== ROOT_ROUTE && !used.has(name)) issues.push({ document: doc(name), path: '(document)', message: `route "${name}" is not reachable: list it in the routes of another Route` });
    }
    if (issues.length) throw new RouteTreeError(issues);
    return new RouteTree(root);
  }

  /** The routes an alert with these labels is delivered to, in tree order. */
  match(labels: Labels): ResolvedRoute[] {
    return matchRoute(this.root, labels) ?? [];
  }

  /** Every route, depth first. */
  all(): ResolvedRoute[] {
    const out: ResolvedRoute[] = [];
    const walk = (r: ResolvedRoute): void => {
      out.push(r);
      r.children.forEach(walk);
    };
    walk(this.root);
    return out;
  }
}

function matchRoute(r: ResolvedRoute, labels: Labels): ResolvedRoute[] | undefined {
  if (!r.match(labels)) return undefined;
  const all: ResolvedRoute[] = [];
  for (const c of r.children) {
    const m = matchRoute(c, labels);
    if (m) all.push(...m);
    if (m && !c.continue) break;
  }
  if (all.length === 0) all.push(r);
  return all;
}
