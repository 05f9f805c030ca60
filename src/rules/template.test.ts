import { describe, expect, it } from 'vitest';
import { AlertTemplate, checkTemplate, expandAlertTemplate, type TemplateData } from './template.js';
import { formatGoFloat, formatGoG } from './go-format.js';

const data: TemplateData = { labels: { instance: 'web-1:9100', job: 'node', severity: 'critical' }, value: 1234567.5 };
const x = (t: string, d: TemplateData = data): string => expandAlertTemplate(t, d);

describe('alert templates (Prometheus semantics)', () => {
  it('reads $labels, .Labels and $value, printing floats as Go does', () => {
    expect(x('{{ $labels.instance }} of {{ .Labels.job }} = {{ $value }}')).toBe('web-1:9100 of node = 1.2345675e+06');
    expect(x('{{ $value }}', { labels: {}, value: 0.5 })).toBe('0.5');
    expect(x('{{ .Value }}', { labels: {}, value: 100000 })).toBe('100000');
  });

  it('prints "<no value>" for a missing label but "" through index, as Go does', () => {
    expect(x('[{{ $labels.nope }}] [{{ index $labels "nope" }}] [{{ index $labels "job" }}]')).toBe('[<no value>] [] [node]');
  });

  it('humanizes as Prometheus', () => {
    expect(x('{{ humanize $value }}|{{ $value | humanize }}')).toBe('1.235M|1.235M');
    expect(x('{{ humanize 0.0012 }}')).toBe('1.2m');
    expect(x('{{ humanize1024 1048576.0 }}')).toBe('1Mi');
    expect(x('{{ humanizeDuration 3725.0 }}|{{ humanizeDuration 90061 }}|{{ humanizeDuration 0.25 }}')).toBe('1h 2m 5s|1d 1h 1m 1s|250ms');
    expect(x('{{ humanizePercentage 0.1234 }}')).toBe('12.34%');
    expect(x('{{ humanizeTimestamp 1700000000.5 }}')).toBe('2023-11-14 22:13:20.5 +0000 UTC');
  });

  it('runs if / else if / else, with, range and variables', () => {
    const t = '{{ if gt $value 1000.0 }}big{{ else if gt $value 10.0 }}mid{{ else }}small{{ end }}';
    expect(x(t)).toBe('big');
    expect(x(t, { labels: {}, value: 50 })).toBe('mid');
    expect(x(t, { labels: {}, value: 1 })).toBe('small');
    expect(x('{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.nope }}x{{ else }}-{{ end }}')).toBe('job=node-');
    expect(x('{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}')).toBe('instance=web-1:9100;job=node;severity=critical;');
    expect(x('{{ $h := $labels.instance | stripPort }}{{ $h | toUpper }}')).toBe('WEB-1');
  });

  it('formats with printf and edits strings', () => {
    expect(x('{{ printf "%.2f" $value }}|{{ printf "%s:%d" "a" 3 }}|{{ printf "%5.1f" 3.14159 }}')).toBe('1234567.50|a:3|  3.1');
    expect(x('{{ printf "%d" $value }}')).toBe('%!d(float64=1.2345675e+06)');
    expect(x('{{ reReplaceAll "(.*):(.*)" "$2" $labels.instance }}|{{ title "hello world" }}|{{ toLower "ABC" }}')).toBe('9100|Hello World|abc');
    expect(x('{{ if match "^web-" $labels.instance }}web{{ end }}')).toBe('web');
    // RE2 syntax JS lacks: a flag group mid-pattern, named groups (?P<…>), quoted literals \\Q…\\E.
    expect(x('{{ reReplaceAll "WEB-(?i)(\\\\d+)" "n$1" "WEB-1" }}')).toBe('n1');
    expect(x('{{ reReplaceAll "(?P<host>[a-z0-9-]+):(?P<port>\\\\d+)" "${port}@${host}" $labels.instance }}')).toBe('9100@web-1');
    expect(x('{{ reReplaceAll "\\\\Q1.2\\\\E" "x" "1.2 1x2" }}')).toBe('x 1x2');
  });

  it('trims whitespace around {{- -}} and drops comments', () => {
    expect(x('{{- /* note */ -}}  A {{- " B " -}}  C')).toBe('A B C');
  });

  it('compares as Go: an int literal against float $value is an error at expansion', () => {
    expect(x('{{ if gt $value 1000 }}x{{ end }}')).toBe('<error expanding template: incompatible types for comparison>');
  });

  it('refuses unsupported or malformed templates with the reason', () => {
    expect(checkTemplate('{{ query "up" }}')).toMatch(/function "query" is not supported/);
    expect(checkTemplate('{{ nosuch $value }}')).toBe('function "nosuch" not defined');
    expect(checkTemplate('{{ if true }}x')).toMatch(/missing \{\{end\}\}/);
    expect(checkTemplate('{{ define "x" }}{{ end }}')).toMatch(/not supported/);
    expect(checkTemplate('{{ humanize }}')).toBe('wrong number of args for humanize: want 1 got 0');
    expect(checkTemplate('{{ $nope }}')).toBe('undefined variable "$nope"');
    expect(checkTemplate('{{ $labels.x ')).toBe('unclosed action');
    expect(checkTemplate('plain text, {{ $labels.job }}')).toBeUndefined();
    expect(() => AlertTemplate.parse('{{ end }}')).toThrow(/unexpected \{\{end\}\}/);
  });
});

describe('Go float formatting', () => {
  it('matches fmt %v and %.4g', () => {
    expect([1e6, 123456, 1e-5, 0.0001, 1.5, -2, NaN, Infinity].map(formatGoFloat)).toEqual(['1e+06', '123456', '1e-05', '0.0001', '1.5', '-2', 'NaN', '+Inf']);
    expect([1000, 12.5, 0, 1.23456, 99999].map((v) => formatGoG(v, 4))).toEqual(['1000', '12.5', '0', '1.235', '1e+05']);
  });
});
