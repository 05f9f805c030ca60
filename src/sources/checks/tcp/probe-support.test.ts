import { describe, expect, it } from 'vitest';
import { describeSocketError, hostPort } from './connection.js';
import { ProbeDeadline } from './probe-deadline.js';
import { excerpt, formatBytes, formatElapsedMs, formatSeconds, printable, quote } from './probe-text.js';

const target = { host: '127.0.0.1', port: 9 };
const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('socket error wording', () => {
  it('says what happened in words', () => {
    expect(describeSocketError(err('ECONNREFUSED'), target, 'connecting')).toBe('connection refused by 127.0.0.1:9');
    expect(describeSocketError(err('ENOTFOUND'), { host: 'shop.invalid', port: 80 }, 'resolving the host name')).toBe('cannot resolve host name shop.invalid (ENOTFOUND)');
    expect(describeSocketError(err('ECONNRESET'), target, 'waiting for the banner')).toBe('connection reset by 127.0.0.1:9 while waiting for the banner');
    expect(describeSocketError(err('EHOSTUNREACH'), { host: '::1', port: 443 }, 'connecting')).toBe('[::1]:443 is unreachable (EHOSTUNREACH)');
    expect(describeSocketError(err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), target, 'doing the TLS handshake')).toBe('TLS handshake with 127.0.0.1:9 failed: wrong version number');
    expect(describeSocketError(new AggregateError([err('ECONNREFUSED')]), target, 'connecting')).toBe('connection refused by 127.0.0.1:9');
  });

  it('brackets IPv6 literals', () => {
    expect(hostPort('::1', 80)).toBe('[::1]:80');
    expect(hostPort('example.com', 80)).toBe('example.com:80');
  });
});

describe('deadline', () => {
  it('tells a timeout from a cancellation', () => {
    const timedOut = new ProbeDeadline({ signal: AbortSignal.abort(new DOMException('t', 'TimeoutError')), timeoutMs: 10_000 });
    timedOut.phase = 'waiting for the first byte';
    const f = timedOut.abortFailure('https://shop.example.com/');
    expect([f.status, f.message]).toEqual(['critical', 'timed out after 10 s while waiting for the first byte from https://shop.example.com/']);

    const cancelled = new ProbeDeadline({ signal: AbortSignal.abort(), timeoutMs: 10_000 });
    cancelled.phase = 'connecting';
    const c = cancelled.abortFailure('127.0.0.1:9');
    expect([c.status, c.message]).toEqual(['unknown', 'check cancelled while connecting to 127.0.0.1:9 (the server may be stopping)']);
  });
});

describe('probe text', () => {
  it('formats durations and sizes', () => {
    expect(formatElapsedMs(12.4)).toBe('12 ms');
    expect(formatElapsedMs(12_500)).toBe('12.5 s');
    expect(formatSeconds(10_000)).toBe('10 s');
    expect(formatSeconds(1500)).toBe('1.5 s');
    expect(formatSeconds(500)).toBe('500 ms');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(65536)).toBe('64 KiB');
    expect(formatBytes(1024 * 1024)).toBe('1 MiB');
  });

  it('quotes and neutralises peer text', () => {
    expect(quote('a "b"\r\n')).toBe('"a \\"b\\"\\r\\n"');
    expect(quote('x'.repeat(100), 5)).toBe('"xxxxx…"');
    expect(printable('ok\u001b[2J\tend\n')).toBe('ok\ufffd[2J\tend\n');
  });

  it('cuts excerpts around the spot that failed', () => {
    const text = `${'a'.repeat(1000)}Traceback${'b'.repeat(1000)}`;
    const e = excerpt(text, 100, 1000);
    expect(e).toContain('Traceback');
    expect(e.startsWith('…')).toBe(true);
    expect(e.endsWith('…')).toBe(true);
    expect(excerpt('short', 100)).toBe('short');
    expect(excerpt(text, 10)).toBe('aaaaaaaaaa…');
  });
});
