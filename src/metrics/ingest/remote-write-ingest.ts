/**
 * Remote-write (1.0 and 2.0) into the telemetry store: decode, judge each sample like
 * Prometheus's head (see head-tracker.ts), store the valid ones, and report the rest. A bad
 * series or sample never hides the others: they are stored, and the caller answers 400 naming
 * what was refused and why, which tells a sender not to retry.
 */
import type { FieldIssue } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  RemoteWriteDecodeError,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  decompressSnappy,
  remoteWriteVersionOf,
  validateSeries,
  type RemoteWriteHeaders,
  type RwMetadata,
  type RwTimeSeries,
} from '../../sources/metrics/remote-write/index.js';
import type { Labels, SampleRow } from '../../store/telemetry-store.js';
import { PartialWriteError } from '../errors.js';
import type { MetadataRegistry } from '../metadata.js';
import { toStoredValue } from '../stale-marker.js';
import { HeadTracker, VERDICT_REASON } from './head-tracker.js';
import type { SampleBatcher } from './sample-batcher.js';

export interface WriteOutcome {
  version: '1.0' | '2.0';
  series: number;
  samplesWritten: number;
  /** Exact repeats of a stored sample, accepted and not stored again. */
  samplesRepeated: number;
  histogramsWritten: 0;
  exemplarsWritten: 0;
}

interface DecodedForIngest {
  version: '1.0' | '2.0';
  timeseries: RwTimeSeries[];
  metadata: RwMetadata[];
  rejected: { labels: [string, string][]; reason: string; samples: number }[];
}

interface Refusal {
  reason: string;
  labels: string;
  samples: number;
}

/** Refusals listed in full at most; the totals always count all. */
const MAX_LISTED = 20;

export class RemoteWriteIngest {
  constructor(
    private readonly batcher: SampleBatcher,
    private readonly metadata: MetadataRegistry,
    private readonly tracker: HeadTracker,
    private readonly logger: Logger,
    private readonly maxDecompressedBytes = 64 * 1024 * 1024,
  ) {}

  /**
   * decodeRemoteWrite's steps, kept here because its rejections do not say how many samples a
   * refused series carried, and the answer must count them.
   */
  private decode(body: Uint8Array, headers: RemoteWriteHeaders): DecodedForIngest {
    const encoding = headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'snappy') {
      throw new RemoteWriteDecodeError('KSK_RW_CONTENT_ENCODING', `remote-write needs Content-Encoding: snappy, got ${JSON.stringify(headers['content-encoding'])}`);
    }
    const version = remoteWriteVersionOf(headers['content-type']);
    const raw = decompressSnappy(body, this.maxDecompressedBytes);
    const decoded = version === '2.0' ? { ...decodeWriteRequestV2(raw), metadata: [] } : decodeWriteRequestV1(raw);
    const rejected: DecodedForIngest['rejected'] = [];
    const timeseries = decoded.timeseries.filter((ts) => {
      const reason = validateSeries(ts);
      if (reason === undefined) return true;
      rejected.push({ labels: ts.labels, reason, samples: ts.samples.length + ts.histograms.length });
      return false;
    });
    return { version, timeseries, metadata: decoded.metadata, rejected };
  }

  /** Stores what can be stored; throws RemoteWriteDecodeError (unreadable body) or PartialWriteError (some refused, rest stored). */
  async write(body: Uint8Array, headers: RemoteWriteHeaders): Promise<WriteOutcome> {
    const req = this.decode(body, headers);
    const refusals: Refusal[] = req.rejected.map((r) => ({ reason: r.reason, labels: labelsText(r.labels), samples: r.samples }));
    let refusedSamples = 0;
    for (const r of req.rejected) refusedSamples += r.samples;

    for (const m of req.metadata) this.metadata.record(m.metricFamilyName, { type: m.type, help: m.help, unit: m.unit });

    const rows: SampleRow[] = [];
    const touched: string[] = [];
    let repeated = 0;
    for (const ts of req.timeseries) {
      const labels: Labels = {};
      let key = '';
      for (const [n, v] of ts.labels) {
        labels[n] = v;
        key += `${n}\u00ff${v}\u00ff`;
      }
      if (ts.metadata && labels.__name__) this.metadata.record(labels.__name__, ts.metadata);
      if (ts.histograms.length) {
        refusedSamples += ts.histograms.length;
        refusals.push({ reason: 'native histograms are not supported; send classic histograms (_bucket series with le labels)', labels: labelsText(ts.labels), samples: ts.histograms.length });
      }
      touched.push(key);
      let badHere = 0;
      let firstBad: string | undefined;
      for (const s of ts.samples) {
        if (!Number.isSafeInteger(s.t) || s.t < 0) {
          badHere++;
          firstBad ??= `timestamp ${s.t} is outside the storable range (epoch ms, 1970 onwards)`;
          continue;
        }
        const verdict = this.tracker.admit(key, s.t, s.v, s.stale === true);
        if (verdict === 'ok') rows.push({ labels, t: s.t, v: toStoredValue(s.v, s.stale) });
        else if (verdict === 'repeat') repeated++;
        else {
          badHere++;
          firstBad ??= `${VERDICT_REASON[verdict]} at ${s.t}`;
        }
      }
      if (badHere) {
        refusedSamples += badHere;
        refusals.push({ reason: firstBad!, labels: labelsText(ts.labels), samples: badHere });
      }
    }

    if (rows.length) {
      try {
        await this.batcher.append(rows);
      } catch (err) {
        // Nothing of this batch is stored: forget it, so the sender's retry is judged afresh.
        for (const k of touched) this.tracker.forget(k);
        throw err;
      }
    }

    if (refusals.length) {
      this.logger.info({ refusedSeries: req.rejected.length, refusedSamples, stored: rows.length, first: refusals[0] }, 'remote-write: some samples refused');
      const issues: FieldIssue[] = refusals.slice(0, MAX_LISTED).map((r) => ({ path: r.labels, message: r.samples ? `${r.reason} (${r.samples} sample${r.samples === 1 ? '' : 's'})` : r.reason }));
      const first = refusals[0]!;
      throw new PartialWriteError(
        `remote-write: ${refusedSamples} sample(s) in ${refusals.length} series refused, ${rows.length + repeated} stored; first: ${first.reason} for ${first.labels}`,
        rows.length + repeated,
        refusedSamples,
        issues,
      );
    }
    return { version: req.version, series: req.timeseries.length, samplesWritten: rows.length, samplesRepeated: repeated, histogramsWritten: 0, exemplarsWritten: 0 };
  }
}

function labelsText(labels: readonly (readonly [string, string])[]): string {
  const name = labels.find(([n]) => n === '__name__')?.[1] ?? '';
  const rest = labels.filter(([n]) => n !== '__name__').map(([n, v]) => `${n}=${JSON.stringify(v)}`);
  return `${name}{${rest.join(', ')}}`;
}

