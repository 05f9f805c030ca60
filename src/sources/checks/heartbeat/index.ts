/**
 * `type: heartbeat` — a dead-man's switch for cron jobs and batches: the job calls a URL on
 * start, success or failure, and the check goes bad when a success is later than period + grace.
 * Beats arrive over HTTP (src/api/routes/checks.ts); this folder holds the spec, the beat book
 * and the pure evaluation.
 */
export { heartbeatCheckSpecSchema, type HeartbeatCheckSpec } from './config.js';
export { HeartbeatBook, MAX_BEAT_MESSAGE, type BeatKind, type BeatRecord } from './beats.js';
export { evaluateHeartbeat } from './evaluate.js';
