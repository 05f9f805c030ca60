import { z } from 'zod';
import { LOCATION_NAME_RE } from './assignment.js';

/**
 * The wire format between a probe agent and the server, shared by both ends:
 *   GET  /api/v1/probes/:location/assignments → AssignmentsResponse (ETag / If-None-Match)
 *   POST /api/v1/probes/:location/results     ← ResultsBatch → ResultsResponse
 */
export const PROBE_API = '/api/v1/probes';

export const MAX_RESULTS_PER_BATCH = 1000;

export const locationNameSchema = z
  .string()
  .regex(LOCATION_NAME_RE, 'a location is 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('probe location, e.g. "tokyo"');

const metricSchema = z
  .object({
    name: z.string().min(1).max(200),
    value: z.number(),
    unit: z.string().max(32).optional(),
    warn: z.string().max(64).optional(),
    crit: z.string().max(64).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

export const probeResultSchema = z
  .object({
    check: z.string().min(1).max(253).describe('the Check object name'),
    runId: z.string().min(8).max(128).describe('unique per run; a second push of the same run is ignored'),
    result: z
      .object({
        status: z.enum(['ok', 'warning', 'critical', 'unknown']),
        message: z.string().max(8192),
        startedAt: z.number().int().nonnegative().describe('epoch ms, the probe host clock'),
        durationMs: z.number().nonnegative(),
        metrics: z.array(metricSchema).max(500).default([]),
        evidence: z.record(z.string(), z.unknown()).optional().describe('response excerpt, ping / tracepath output'),
      })
      .strict(),
  })
  .strict();

export const resultsBatchSchema = z
  .object({
    results: z.array(probeResultSchema).max(MAX_RESULTS_PER_BATCH).describe(`at most ${MAX_RESULTS_PER_BATCH} results, any order`),
  })
  .strict();

export type ProbeResult = z.infer<typeof probeResultSchema>;
export type ResultsBatch = z.infer<typeof resultsBatchSchema>;

export interface AssignedCheck {
  name: string;
  labels: Record<string, string>;
  /** The stored spec, secrets included (the probe needs them to run the check). */
  spec: Record<string, unknown>;
}

export interface AssignmentsResponse {
  location: string;
  /** The server's own location name (checks listing it run on the server). */
  serverLocation: string;
  checks: AssignedCheck[];
}

export interface ResultsResponse {
  accepted: number;
  duplicates: number;
  rejected: { check: string; runId: string; reason: string }[];
}
