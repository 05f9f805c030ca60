/**
 * The expectations of an http check, judged against a response. Pure functions: each returns
 * the problems found, worded as the part of the message a human reads first
 * (`body contains forbidden "Traceback"`, `$.status is "degraded", expected "ok"`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CheckStatus } from '../../../core/check-result.js';
import { parseDurationMs } from '../../../core/duration.js';
import { formatElapsedMs, quote } from '../tcp/index.js';
import type { HeaderAssertion, HttpExpect, JsonAssertion } from './config.js';
import { evaluateJsonPath, formatJsonPath, jsonEquals, parseJsonPath } from './json-path.js';

export interface Problem {
  status: CheckStatus;
  text: string;
  /** Offset in the body text the problem points at, so the evidence excerpt shows it. */
  at?: number;
}

type ExpectedStatus = NonNullable<HttpExpect['status']>;

/** True when `code` is in the expected set; without a set, any 2xx. */
export function statusMatches(code: number, expected: ExpectedStatus | undefined): boolean {
  if (!expected) return code >= 200 && code <= 299;
  return expected.some((e) => (typeof e === 'number' ? e === code : Math.floor(code / 100) === Number(e[0])));
}

/** "200", "200 or 204", "2xx or 301". */
export function formatExpectedStatus(expected: ExpectedStatus | undefined): string {
  const list = (expected ?? ['2xx']).map(String);
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** bodyContains / bodyNotContains / bodyMatches / bodyNotMatches. */
export function evaluateBody(expect: HttpExpect, body: string): Problem[] {
  const out: Problem[] = [];
  for (const s of list(expect.bodyContains)) {
    if (!body.includes(s)) out.push({ status: 'critical', text: `body does not contain ${quote(s)}` });
  }
  for (const s of list(expect.bodyNotContains)) {
    const at = body.indexOf(s);
    if (at >= 0) out.push({ status: 'critical', text: `body contains forbidden ${quote(s)}`, at });
  }
  for (const re of list(expect.bodyMatches)) {
    if (!new RegExp(re).test(body)) out.push({ status: 'critical', text: `body does not match /${re}/` });
  }
  for (const re of list(expect.bodyNotMatches)) {
    const m = new RegExp(re).exec(body);
    if (m) out.push({ status: 'critical', text: `body matches forbidden /${re}/ (${quote(m[0], 60)})`, at: m.index });
  }
  return out;
}

/** A JSON value as it appears in a message: `"degraded"`, `3`, `{"a":1}`, shortened. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function evaluateJsonAssertion(a: JsonAssertion, doc: unknown): Problem[] {
  const parsed = parseJsonPath(a.path);
  if ('error' in parsed) return [{ status: 'unknown', text: parsed.error }];
  const name = formatJsonPath(parsed.segments);
  const r = evaluateJsonPath(doc, parsed.segments);
  if (a.exists === false) {
    return r.found ? [{ status: 'critical', text: `${name} is present (${show(r.value)}) but must be absent` }] : [];
  }
  if (!r.found) return [{ status: 'critical', text: r.missing === name ? `${name} is missing` : `${name} is missing (no ${r.missing})` }];
  const v = r.value;
  const out: Problem[] = [];
  const bad = (text: string) => out.push({ status: 'critical', text });
  if (a.equals !== undefined && !jsonEquals(v, a.equals)) bad(`${name} is ${show(v)}, expected ${show(a.equals)}`);
  if (a.notEquals !== undefined && jsonEquals(v, a.notEquals)) bad(`${name} is ${show(v)}, which it must not be`);
  const comparisons: [keyof JsonAssertion, string, (x: number, y: number) => boolean][] = [
    ['gt', '>', (x, y) => x > y],
    ['gte', '>=', (x, y) => x >= y],
    ['lt', '<', (x, y) => x < y],
    ['lte', '<=', (x, y) => x <= y],
  ];
  for (const [key, op, holds] of comparisons) {
    const limit = a[key];
    if (typeof limit !== 'number') continue;
    if (typeof v !== 'number') bad(`${name} is ${show(v)} (${typeName(v)}), expected a number ${op} ${limit}`);
    else if (!holds(v, limit)) bad(`${name} is ${v}, expected ${op} ${limit}`);
  }
  if (a.matches !== undefined) {
    if (typeof v !== 'string') bad(`${name} is ${show(v)} (${typeName(v)}), expected a string matching /${a.matches}/`);
    else if (!new RegExp(a.matches).test(v)) bad(`${name} is ${show(v)}, expected it to match /${a.matches}/`);
  }
  return out;
}

/** Parses the body as JSON once and applies every assertion; a body that is not JSON fails them all at once. */
export function evaluateJson(assertions: readonly JsonAssertion[] | undefined, body: string): Problem[] {
  if (!assertions || assertions.length === 0) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [{ status: 'critical', text: `body is not valid JSON (${why}), so ${assertions.length === 1 ? assertions[0]!.path : `${assertions.length} JSON assertions`} cannot be checked` }];
  }
  return assertions.flatMap((a) => evaluateJsonAssertion(a, doc));
}

/** Header value as one string; repeated headers (Set-Cookie) are joined with ", ". */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
}

export function evaluateHeaders(assertions: readonly HeaderAssertion[] | undefined, headers: IncomingHttpHeaders): Problem[] {
  const out: Problem[] = [];
  for (const a of assertions ?? []) {
    const v = headerValue(headers, a.name);
    const bad = (text: string) => out.push({ status: 'critical', text: `header ${a.name} ${text}` });
    if (a.absent) {
      if (v !== undefined) bad(`is present (${quote(v)}) but must be absent`);
      continue;
    }
    if (v === undefined) {
      bad('is missing');
      continue;
    }
    if (a.equals !== undefined && v !== a.equals) bad(`is ${quote(v)}, expected ${quote(a.equals)}`);
    if (a.contains !== undefined && !v.includes(a.contains)) bad(`is ${quote(v)}, expected it to contain ${quote(a.contains)}`);
    if (a.matches !== undefined && !new RegExp(a.matches).test(v)) bad(`is ${quote(v)}, expected it to match /${a.matches}/`);
  }
  return out;
}

/** maxResponseTime (CRITICAL) and responseTimeWarning (WARNING) against the whole exchange. */
export function evaluateResponseTime(expect: HttpExpect, totalMs: number): Problem[] {
  const crit = expect.maxResponseTime === undefined ? undefined : parseDurationMs(expect.maxResponseTime);
  const warn = expect.responseTimeWarning === undefined ? undefined : parseDurationMs(expect.responseTimeWarning);
  if (crit !== undefined && totalMs > crit) {
    return [{ status: 'critical', text: `response took ${formatElapsedMs(totalMs)}, more than maxResponseTime ${expect.maxResponseTime}` }];
  }
  if (warn !== undefined && totalMs > warn) {
    return [{ status: 'warning', text: `response took ${formatElapsedMs(totalMs)}, more than responseTimeWarning ${expect.responseTimeWarning}` }];
  }
  return [];
}
