import { describe, expect, it } from 'vitest';
import { alertRuleKind } from './alert-rule-kind.js';

function issues(spec: unknown): string[] {
  const r = alertRuleKind.specSchema.safeParse(spec);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  return alertRuleKind.validate!(r.data).map((i) => `${i.path}: ${i.message}`);
}

describe('kind: AlertRule', () => {
  it('accepts a complete rule', () => {
    expect(
      issues({
        alert: 'HighErrorRate',
        expr: 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05',
        for: '5m',
        keepFiringFor: '10m',
        labels: { severity: 'critical' },
        annotations: { summary: '{{ $labels.service }}: {{ humanizePercentage $value }} errors', runbook_url: 'https://runbooks/{{ $labels.service }}' },
        dependsOn: ['{alertname="DatabaseDown", env="{{ $labels.env }}"}'],
      }),
    ).toEqual([]);
  });

  it('refuses an invalid expression or template at apply, with the reason', () => {
    expect(issues({ expr: 'rate(http_requests_total[5m' })).toEqual([expect.stringMatching(/^expr: invalid PromQL: parse error at char \d+/)]);
    expect(issues({ expr: 'up[5m]' })).toEqual(['expr: invalid PromQL: an alerting expression must return an instant vector or a scalar, not a range vector']);
    expect(issues({ expr: 'up == 0', annotations: { summary: '{{ $labels.instance' } })).toEqual(['annotations.summary: invalid template: unclosed action']);
    expect(issues({ expr: 'up == 0', annotations: { d: '{{ query "up" | first | value }}' } })).toEqual([expect.stringMatching(/^annotations.d: invalid template: function "query" is not supported/)]);
    expect(issues({ expr: 'up == 0', labels: { severity: 'page' } })).toEqual(['labels.severity: severity must be one of critical, error, warning, info; got "page"']);
    expect(issues({ expr: 'up == 0', dependsOn: ['alertname=~"("'] })).toEqual([expect.stringMatching(/^dependsOn.0: matcher alertname=~"\(": invalid regular expression/)]);
    expect(issues({ expr: 'up', checkState: {} })).toEqual(['expr: set exactly one of expr (PromQL) and checkState']);
    expect(issues({ expr: 'up', for: '5 minutes' })).toEqual(['for: expected a duration like "30s", "5m", "1h30m" or "500ms"']);
    expect(issues({ expr: 'up', bogus: 1 })[0]).toMatch(/bogus/);
  });
});
