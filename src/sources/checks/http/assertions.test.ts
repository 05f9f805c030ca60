import { describe, expect, it } from 'vitest';
import { evaluateBody, evaluateHeaders, evaluateJson, evaluateResponseTime, formatExpectedStatus, statusMatches } from './assertions.js';
import { formatExchange, formatHttpMessage } from './message.js';
import { nextRequestAfterRedirect } from './redirects.js';

describe('status expectations', () => {
  it('defaults to 2xx and accepts codes and classes', () => {
    expect(statusMatches(204, undefined)).toBe(true);
    expect(statusMatches(301, undefined)).toBe(false);
    expect(statusMatches(301, [200, '3xx'])).toBe(true);
    expect(statusMatches(404, [200, '3xx'])).toBe(false);
    expect(formatExpectedStatus(undefined)).toBe('2xx');
    expect(formatExpectedStatus([200])).toBe('200');
    expect(formatExpectedStatus([200, 204, '3xx'])).toBe('200, 204 or 3xx');
  });
});

describe('body expectations', () => {
  const body = 'Welcome. Add to cart.\nTraceback (most recent call last):\n DEBUG = True';

  it('reports missing and forbidden text, pointing at the forbidden spot', () => {
    const problems = evaluateBody({ bodyContains: ['Welcome', 'Checkout'], bodyNotContains: 'Traceback' }, body);
    expect(problems).toEqual([
      { status: 'critical', text: 'body does not contain "Checkout"' },
      { status: 'critical', text: 'body contains forbidden "Traceback"', at: body.indexOf('Traceback') },
    ]);
  });

  it('applies regular expressions both ways', () => {
    expect(evaluateBody({ bodyMatches: ['^Welcome', 'Add to (cart|basket)'], bodyNotMatches: 'Exception|Stack trace' }, body)).toEqual([]);
    expect(evaluateBody({ bodyMatches: '^Checkout', bodyNotMatches: ['DEBUG\\s*=\\s*True'] }, body)).toEqual([
      { status: 'critical', text: 'body does not match /^Checkout/' },
      { status: 'critical', text: 'body matches forbidden /DEBUG\\s*=\\s*True/ ("DEBUG = True")', at: body.indexOf('DEBUG') },
    ]);
  });
});

describe('JSON expectations', () => {
  const body = JSON.stringify({ status: 'degraded', count: 3, version: 2, items: [{ id: 1 }], debug: { sql: 'select' } });

  it('words each failed comparison', () => {
    const texts = evaluateJson(
      [
        { path: '$.status', equals: 'ok' },
        { path: '$.status', notEquals: 'degraded' },
        { path: '$.count', gt: 5 },
        { path: '$.count', lte: 1 },
        { path: '$.status', gte: 1 },
        { path: '$.version', matches: '^1\\.' },
        { path: '$.debug', exists: false },
        { path: '$.items[3].id' },
        { path: '$.items[0].id', equals: 1, lt: 10 },
      ],
      body,
    ).map((p) => p.text);
    expect(texts).toEqual([
      '$.status is "degraded", expected "ok"',
      '$.status is "degraded", which it must not be',
      '$.count is 3, expected > 5',
      '$.count is 3, expected <= 1',
      '$.status is "degraded" (a string), expected a number >= 1',
      '$.version is 2 (a number), expected a string matching /^1\\./',
      '$.debug is present ({"sql":"select"}) but must be absent',
      '$.items[3].id is missing (no $.items[3])',
    ]);
  });

  it('fails every JSON assertion at once when the body is not JSON', () => {
    const [p] = evaluateJson([{ path: '$.a' }, { path: '$.b' }], '<html>');
    expect(p?.status).toBe('critical');
    expect(p?.text).toMatch(/^body is not valid JSON \(.+\), so 2 JSON assertions cannot be checked$/);
    expect(evaluateJson(undefined, '<html>')).toEqual([]);
  });
});

describe('header expectations', () => {
  const headers = { 'content-type': 'text/html; charset=utf-8', 'x-debug-token': 'abc', 'set-cookie': ['a=1', 'b=2'] };

  it('checks presence, absence and values, case-insensitively', () => {
    expect(
      evaluateHeaders(
        [
          { name: 'Content-Type', contains: 'json' },
          { name: 'X-Debug-Token', absent: true },
          { name: 'Strict-Transport-Security' },
          { name: 'Set-Cookie', equals: 'a=1, b=2' },
          { name: 'content-type', matches: '^text/' },
          { name: 'content-type', equals: 'text/html' },
        ],
        headers,
      ).map((p) => p.text),
    ).toEqual([
      'header Content-Type is "text/html; charset=utf-8", expected it to contain "json"',
      'header X-Debug-Token is present ("abc") but must be absent',
      'header Strict-Transport-Security is missing',
      'header content-type is "text/html; charset=utf-8", expected "text/html"',
    ]);
  });
});

describe('response-time expectations', () => {
  it('warns, then fails, above the limits', () => {
    const expect_ = { responseTimeWarning: '500ms', maxResponseTime: '2s' };
    expect(evaluateResponseTime(expect_, 400)).toEqual([]);
    expect(evaluateResponseTime(expect_, 900)).toEqual([{ status: 'warning', text: 'response took 900 ms, more than responseTimeWarning 500ms' }]);
    expect(evaluateResponseTime(expect_, 12_500)).toEqual([{ status: 'critical', text: 'response took 12.5 s, more than maxResponseTime 2s' }]);
  });
});

describe('message formatting', () => {
  const exchange = { status: 500, statusText: 'Internal Server Error', url: 'https://127.0.0.1:8443/', totalMs: 12.4, redirects: 0 };

  it('leads with the status line when the status is wrong', () => {
    expect(formatHttpMessage(exchange, [], '200')).toBe('HTTP 500 Internal Server Error from https://127.0.0.1:8443/ in 12 ms (expected 200)');
    expect(formatHttpMessage(exchange, [{ status: 'critical', text: 'body does not contain "Add to cart"' }], '200')).toBe(
      'HTTP 500 Internal Server Error from https://127.0.0.1:8443/ in 12 ms (expected 200); body does not contain "Add to cart"',
    );
  });

  it('leads with the worst problem otherwise', () => {
    const ok = { ...exchange, status: 200, statusText: 'OK' };
    expect(
      formatHttpMessage(ok, [
        { status: 'warning', text: 'response took 900 ms, more than responseTimeWarning 500ms' },
        { status: 'critical', text: 'body contains forbidden "Traceback"' },
      ]),
    ).toBe('body contains forbidden "Traceback"; response took 900 ms, more than responseTimeWarning 500ms — HTTP 200 OK from https://127.0.0.1:8443/ in 12 ms');
    expect(formatHttpMessage(ok, [], undefined, ['certificate valid for 364 days'])).toBe('HTTP 200 OK from https://127.0.0.1:8443/ in 12 ms; certificate valid for 364 days');
  });

  it('mentions redirects and a missing reason phrase', () => {
    expect(formatExchange({ status: 200, statusText: '', url: 'https://b/', totalMs: 40, redirects: 2, firstUrl: 'http://a/' })).toBe('HTTP 200 from https://b/ in 40 ms after 2 redirects from http://a/');
  });
});

describe('redirects', () => {
  const from = new URL('https://shop.example.com/login');
  const post = { method: 'POST', body: 'u=1', headers: { Authorization: 'Bearer t', 'Content-Type': 'application/x-www-form-urlencoded', 'X-Probe': '1' } };

  it('turns a POST into a GET after 302 and 303, but keeps it after 307', () => {
    expect(nextRequestAfterRedirect(302, from, new URL('https://shop.example.com/home'), post)).toEqual({ method: 'GET', headers: { Authorization: 'Bearer t', 'X-Probe': '1' } });
    expect(nextRequestAfterRedirect(303, from, new URL('https://shop.example.com/home'), post).method).toBe('GET');
    expect(nextRequestAfterRedirect(307, from, new URL('https://shop.example.com/home'), post)).toEqual(post);
  });

  it('does not carry credentials to another origin', () => {
    const next = nextRequestAfterRedirect(307, from, new URL('https://cdn.example.net/x'), post);
    expect(next.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', 'X-Probe': '1' });
  });
});
