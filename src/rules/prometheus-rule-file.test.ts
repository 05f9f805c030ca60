import { describe, expect, it } from 'vitest';
import { loadPrometheusRuleFile, ruleObjectName } from './prometheus-rule-file.js';

const FILE = `
groups:
  - name: node
    interval: 30s
    labels: {team: infra}
    rules:
      - record: instance:node_cpu:rate5m
        expr: rate(node_cpu_seconds_total[5m])
      - alert: HostDown
        expr: up{job="node"} == 0
        for: 2m
        keep_firing_for: 5m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} is down"
      - alert: HostDown
        expr: up{job="node"} == 0
        for: 10m
        labels: {severity: warning}
  - name: web
    rules:
      - alert: BadTemplate
        expr: vector(1)
        annotations: {summary: "{{ $value "}
      - alert: BadExpr
        expr: sum(rate(x[5m]
`;

describe('Prometheus rule files', () => {
  it('loads alerting rules unchanged into AlertRule documents and reports recording rules and bad rules', () => {
    const r = loadPrometheusRuleFile(FILE, 'node.rules.yml');
    expect(r.documents.map((d) => d.metadata.name)).toEqual(['node-host-down', 'node-host-down-2']);
    expect(r.documents[0]!.spec).toMatchObject({
      alert: 'HostDown',
      group: 'node',
      interval: '30s',
      expr: 'up{job="node"} == 0',
      for: '2m',
      keepFiringFor: '5m',
      labels: { team: 'infra', severity: 'critical' },
      annotations: { summary: '{{ $labels.instance }} is down' },
    });
    expect(r.unsupported).toEqual([{ group: 'node', record: 'instance:node_cpu:rate5m', reason: expect.stringMatching(/^recording rules are not supported yet/) }]);
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'groups.1.rules.0 (BadTemplate).annotations.summary: invalid template: unclosed action',
      expect.stringMatching(/^groups.1.rules.1 \(BadExpr\).expr: invalid PromQL: parse error/),
    ]);
  });

  it('refuses what Prometheus refuses', () => {
    const r = loadPrometheusRuleFile('groups:\n- name: a\n  rules:\n  - alert: X\n    record: y\n    expr: up\n  - expr: up\n  - alert: Z\n    expr: up\n    typo: 1\n- name: a\n');
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'groups.0.rules.0: only one of "record" and "alert" may be set',
      'groups.0.rules.1: one of "record" or "alert" must be set',
      expect.stringMatching(/^groups.0.rules.2: .*typo/),
      'groups.1.name: a: repeated in the same file',
    ]);
  });

  it('names objects in kebab case', () => {
    expect(ruleObjectName('Node Exporter', 'HostOutOfMemory')).toBe('node-exporter-host-out-of-memory');
    expect(ruleObjectName('k8s', 'KubePodCrashLooping')).toBe('k8s-kube-pod-crash-looping');
  });
});
