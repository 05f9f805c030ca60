import { z } from 'zod';
import { durationSchema } from '../../../core/duration.js';
import { checkCommonFields } from '../check-type.js';
import { regexSourceSchema, tlsOptionsSchema } from '../tcp/index.js';
import { parseJsonPath } from './json-path.js';

const ONE_MIB = 1024 * 1024;

/** One string or a list of them; every entry must hold. */
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const statusSchema = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]xx$/, 'expected a status code like 200 or a class like "2xx"'),
]);

const jsonValueSchema: z.ZodType<unknown> = z.json();

const jsonAssertionSchema = z
  .object({
    path: z
      .string()
      .superRefine((path, ctx) => {
        const parsed = parseJsonPath(path);
        if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
      })
      .describe('where in the JSON body: `$`, `$.status`, `$.items[0].id`, `$["odd key"]`, `$.items[-1]` (last)'),
    exists: z.boolean().optional().describe('true: the path must be present; false: it must be absent. Default true when no other test is given'),
    equals: jsonValueSchema.optional().describe('the value must equal this JSON value (deep equality)'),
    notEquals: jsonValueSchema.optional().describe('the value must not equal this JSON value'),
    gt: z.number().optional().describe('the value must be a number greater than this'),
    gte: z.number().optional().describe('the value must be a number at least this'),
    lt: z.number().optional().describe('the value must be a number less than this'),
    lte: z.number().optional().describe('the value must be a number at most this'),
    matches: regexSourceSchema.optional().describe('the value must be a string matching this regular expression'),
  })
  .strict();

const headerAssertionSchema = z
  .object({
    name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name').describe('header name, any case'),
    equals: z.string().optional().describe('the header value must equal this (several values are joined with ", ")'),
    contains: z.string().min(1).optional().describe('the header value must contain this'),
    matches: regexSourceSchema.optional().describe('the header value must match this regular expression'),
    absent: z.boolean().optional().describe('true: the header must NOT be sent (e.g. X-Debug-Token, Server versions)'),
  })
  .strict();

const httpExpectSchema = z
  .object({
    status: z
      .array(statusSchema)
      .min(1)
      .optional()
      .describe('acceptable status codes or classes, e.g. [200, 204] or ["2xx"]; default 2xx'),
    bodyContains: oneOrMany(z.string().min(1)).optional().describe('the body must contain this text (each entry, for a list)'),
    bodyNotContains: oneOrMany(z.string().min(1)).optional().describe('the body must NOT contain this text, e.g. "Traceback" (none of the entries)'),
    bodyMatches: oneOrMany(regexSourceSchema).optional().describe('the body must match this regular expression (each entry)'),
    bodyNotMatches: oneOrMany(regexSourceSchema)
      .optional()
      .describe('the body must NOT match this regular expression, e.g. "(?:Fatal|Parse) error:" (none of the entries)'),
    json: z.array(jsonAssertionSchema).min(1).optional().describe('assertions on a JSON body'),
    headers: z.array(headerAssertionSchema).min(1).optional().describe('assertions on response headers'),
    maxResponseTime: durationSchema.optional().describe('CRITICAL when the whole exchange (redirects included) takes longer, e.g. "2s"'),
    responseTimeWarning: durationSchema.optional().describe('WARNING when the whole exchange takes longer, e.g. "800ms"'),
  })
  .strict();

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpCheckSpecSchema = z
  .object({
    type: z.literal('http'),
    ...checkCommonFields,
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .describe('the URL to request, e.g. https://shop.example.com/'),
    method: z.enum(HTTP_METHODS).default('GET').describe('request method'),
    headers: z
      .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'), z.string())
      .optional()
      .describe('request headers, e.g. {Authorization: "Bearer …", Accept: "application/json"}'),
    body: z.string().optional().describe('request body, sent as is (set Content-Type in headers)'),
    followRedirects: z.boolean().default(true).describe('follow 3xx responses with a Location header'),
    maxRedirects: z.number().int().min(0).max(30).default(5).describe('most redirects followed before the check fails'),
    tlsVerify: z.boolean().default(true).describe('verify the certificate chain and host name; false still reports expiry'),
    tls: tlsOptionsSchema.prefault({}).describe('TLS settings for https URLs: serverName, caFile, expiryWarning, expiryCritical'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(256 * ONE_MIB)
      .default(ONE_MIB)
      .describe('most body bytes read; a larger body fails the check instead of filling memory'),
    expect: httpExpectSchema.prefault({}).describe('what the response must (and must not) be'),
  })
  .strict();

export type HttpCheckSpec = z.output<typeof httpCheckSpecSchema>;
export type HttpExpect = HttpCheckSpec['expect'];
export type JsonAssertion = NonNullable<HttpExpect['json']>[number];
export type HeaderAssertion = NonNullable<HttpExpect['headers']>[number];
