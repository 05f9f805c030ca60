/**
 * Worker-thread entry of the remote-write decode pool (decode-pool.ts): snappy, protobuf and
 * validation of new series run here, off the thread that serves HTTP and appends to the WAL.
 */
import { parentPort } from 'node:worker_threads';
import type { KnownSeries } from './decode-columns.js';
import { packColumns, toTransferredError } from './decode-transfer.js';
import { decodeRemoteWriteColumns, type RemoteWriteHeaders } from './request.js';

export interface DecodeJob {
  id: number;
  body: Uint8Array;
  headers: RemoteWriteHeaders;
  maxDecompressedBytes: number;
}

/** Keys whose labels were sent to the main thread; bounded like the ingest's own table. */
const MAX_KEYS = 1_000_000;
const sent = new Map<string, KnownSeries>();
const lookup = (key: string) => sent.get(key);

parentPort?.on('message', (job: DecodeJob) => {
  try {
    const d = decodeRemoteWriteColumns(job.body, job.headers, { maxDecompressedBytes: job.maxDecompressedBytes }, lookup);
    const packed = packColumns(d, sent, MAX_KEYS);
    parentPort!.postMessage({ id: job.id, ok: packed }, [packed.t.buffer as ArrayBuffer, packed.v.buffer as ArrayBuffer, packed.bounds.buffer as ArrayBuffer]);
  } catch (err) {
    // A bad body is the sender's error (400); anything else is a bug here, reported as such.
    const e = toTransferredError(err);
    if (e) parentPort!.postMessage({ id: job.id, error: e });
    else parentPort!.postMessage({ id: job.id, crash: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
