/** `type: http` checks: an HTTP(S) request judged by status, body, JSON, headers, time and certificate. */
import type { CheckType } from '../check-type.js';
import { httpCheckSpecSchema, type HttpCheckSpec } from './config.js';
import { runHttpCheck } from './probe.js';
import { bareHost } from './request.js';

export const httpCheck: CheckType<HttpCheckSpec> = {
  type: 'http',
  specSchema: httpCheckSpecSchema,
  run: runHttpCheck,
  targetHost: (spec) => {
    try {
      return bareHost(new URL(spec.url));
    } catch {
      return undefined;
    }
  },
  watchTarget: (spec) => {
    try {
      const url = new URL(spec.url);
      return { host: bareHost(url), port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
    } catch {
      return undefined;
    }
  },
};

export { httpCheckSpecSchema, HTTP_METHODS, type HttpCheckSpec, type HttpExpect, type JsonAssertion, type HeaderAssertion } from './config.js';
export { runHttpCheck } from './probe.js';
export { parseJsonPath, evaluateJsonPath, formatJsonPath, jsonEquals, type JsonPathSegment, type JsonPathResult } from './json-path.js';
export { statusMatches, formatExpectedStatus, evaluateBody, evaluateJson, evaluateHeaders, evaluateResponseTime, type Problem } from './assertions.js';
export { formatHttpMessage, formatExchange, formatStatusLine } from './message.js';
