import { createHash } from 'node:crypto';
import type { Labels } from '../telemetry-store.js';

/**
 * The one place a series identity is computed. A series is its label set; labels with an empty
 * value do not exist (Prometheus semantics), and order does not matter. The id is the first 64
 * bits of SHA-256 over the canonical form, so it is the same in every process, on every engine,
 * and across releases: changing this function orphans every stored series.
 */
export function canonicalLabels(labels: Labels): [string, string][] {
  const pairs: [string, string][] = [];
  for (const name of Object.keys(labels)) {
    const value = labels[name];
    if (value !== undefined && value !== '') pairs.push([name, value]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs;
}

/** Canonical text of a label set: stable key for caches and the input of the hash. */
export function canonicalLabelKey(labels: Labels): string {
  return JSON.stringify(canonicalLabels(labels));
}

/** Unsigned 64-bit series id as a decimal string (JSON numbers lose precision past 2^53). */
export function seriesIdFromKey(canonicalKey: string): string {
  const digest = createHash('sha256').update(canonicalKey).digest();
  return digest.readBigUInt64BE(0).toString();
}

export function seriesId(labels: Labels): string {
  return seriesIdFromKey(canonicalLabelKey(labels));
}
