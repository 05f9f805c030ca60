import { compressWriteRequest, encodeWriteRequestV1, type EncodableSeries, type Label, type RwMetadata } from '../metrics/remote-write/index.js';
import type { HostCollection } from './collector.js';

export interface HostTargetLabels {
  job: string;
  instance: string;
}

/** A collection as one remote-write 1.0 request body (snappy-compressed protobuf), with its sample count. */
export interface EncodedCollection {
  body: Uint8Array;
  samples: number;
  timestampMs: number;
}

/** The series of a collection with the target labels a scrape would add (`job`, `instance`), labels sorted as remote-write requires. */
export function collectionToSeries(c: HostCollection, target: HostTargetLabels): { timeseries: EncodableSeries[]; metadata: RwMetadata[] } {
  const timeseries: EncodableSeries[] = [];
  const metadata: RwMetadata[] = [];
  for (const f of c.families) {
    metadata.push({ type: f.type === 'untyped' ? 'unknown' : f.type, metricFamilyName: f.name, help: f.help, unit: '' });
    for (const s of f.samples) {
      const labels: Label[] = [['__name__', f.name]];
      for (const [k, v] of Object.entries(s.labels)) if (v !== '' && k !== 'job' && k !== 'instance') labels.push([k, v]);
      labels.push(['job', target.job], ['instance', target.instance]);
      labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      timeseries.push({ labels, samples: [{ t: c.timestampMs, v: s.value }] });
    }
  }
  return { timeseries, metadata };
}

export function encodeCollection(c: HostCollection, target: HostTargetLabels): EncodedCollection {
  const req = collectionToSeries(c, target);
  return { body: compressWriteRequest(encodeWriteRequestV1(req)), samples: req.timeseries.length, timestampMs: c.timestampMs };
}

/** Headers of a remote-write 1.0 request, as Prometheus sends them. */
export const REMOTE_WRITE_V1_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;
