import { describe, expect, it } from 'vitest';
import { parseDocumentsText } from '../inventory/parse-yaml.js';
import { routeKind, routeSpecSchema, type RouteSpec } from './route-kind.js';
import { RouteTree, RouteTreeError } from './route-tree.js';

const spec = (s: unknown): RouteSpec => routeSpecSchema.parse(s);

describe('kind: Route', () => {
  it('validates the issue example exactly', () => {
    const [d] = parseDocumentsText(
      'apiVersion: kansoku/v1\nkind: Route\nmetadata: {name: root}\nspec: {receiver: ops-webhook, groupBy: [alertname, service], groupWait: 0s, groupInterval: 1m, repeatInterval: 4h}\n',
      'route.yaml',
    );
    const parsed = routeKind.specSchema.safeParse((d!.raw as { spec: unknown }).spec);
    expect(parsed.success).toBe(true);
    expect(routeKind.validate!(parsed.data!)).toEqual([]);
    const tree = RouteTree.build({ root: parsed.data! });
    expect(tree.root).toMatchObject({ receiver: 'ops-webhook', groupBy: ['alertname', 'service'], groupWaitMs: 0, groupIntervalMs: 60_000, repeatIntervalMs: 4 * 3600_000 });
  });

  it('refuses bad matchers, groupBy mixes and zero intervals with the reason', () => {
    const v = (s: unknown): string[] => routeKind.validate!(spec(s)).map((i) => `${i.path}: ${i.message}`);
    expect(v({ matchers: ['severity=~"("'] })[0]).toMatch(/^matchers: matcher severity=~"\(": invalid regular expression/);
    expect(v({ groupBy: ['...', 'alertname'] })).toEqual(['groupBy: groupBy "..." (all labels) cannot be combined with other labels']);
    expect(v({ groupInterval: '0s', routes: [{ repeatInterval: '0s' }] })).toEqual(['groupInterval: groupInterval cannot be zero', 'routes.0.repeatInterval: repeatInterval cannot be zero']);
    expect(routeSpecSchema.safeParse({ group_by: ['a'] }).success).toBe(false);
  });
});

describe('RouteTree matching (Alertmanager semantics)', () => {
  const tree = RouteTree.build({
    root: spec({ receiver: 'default', groupBy: ['alertname'], groupWait: '10s', routes: ['db', { matchers: ['team=~"infra|net"'], receiver: 'infra-a', continue: true }, { matchers: ['team="net"'], receiver: 'net' }, { matchers: ['team=~"infra|net"'], receiver: 'infra-b' }] }),
    db: spec({ matchers: ['service="database"'], receiver: 'db', groupBy: ['...'], routes: [{ matchers: ['severity="critical"'], receiver: 'db-pager', groupWait: '0s' }] }),
  });
  const receivers = (labels: Record<string, string>): string[] => tree.match(labels).map((r) => r.receiver);

  it('first match wins, continue tries later siblings, unmatched children fall back to the parent', () => {
    expect(receivers({ service: 'database', severity: 'critical' })).toEqual(['db-pager']);
    expect(receivers({ service: 'database', severity: 'warning' })).toEqual(['db']);
    expect(receivers({ team: 'net' })).toEqual(['infra-a', 'net']);
    expect(receivers({ team: 'infra' })).toEqual(['infra-a', 'infra-b']);
    expect(receivers({ other: 'x' })).toEqual(['default']);
  });

  it('inherits groupBy and timings from the parent', () => {
    const [pager] = tree.match({ service: 'database', severity: 'critical' });
    expect(pager).toMatchObject({ groupByAll: true, groupWaitMs: 0, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000, id: 'root/db/0' });
    expect(pager!.key).toBe('{}/{service="database"}/{severity="critical"}');
    const [infra] = tree.match({ team: 'infra' });
    expect(infra).toMatchObject({ groupBy: ['alertname'], groupWaitMs: 10_000 });
  });

  it('reports tree problems: no root, root rules, unknown or unreachable routes, unknown receivers', () => {
    const problems = (routes: Record<string, unknown>, receivers?: string[]): string[] => {
      try {
        RouteTree.build(Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, spec(v)])), receivers ? { receivers: new Set(receivers) } : {});
        return [];
      } catch (err) {
        return (err as RouteTreeError).issues.map((i) => `${i.document} ${i.path}: ${i.message}`);
      }
    };
    expect(problems({ a: {} })).toEqual(['Route/root (document): no Route named "root": the routing tree needs its root']);
    expect(problems({ root: { matchers: ['a="b"'], continue: true, routes: ['missing'] }, orphan: {} }, ['x'])).toEqual([
      'Route/root receiver: the root route must have a receiver',
      'Route/root matchers: the root route must not have matchers (every alert enters there)',
      'Route/root continue: cannot have continue in root route',
      'Route/root routes.0: unknown route "missing": no Route with that name',
      'Route/orphan (document): route "orphan" is not reachable: list it in the routes of another Route',
    ]);
    expect(problems({ root: { receiver: 'nope' } }, ['ops'])).toEqual(['Route/root receiver: unknown receiver "nope": no Channel with that name']);
  });
});
