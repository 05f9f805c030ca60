/**
 * Remote-write decoding on a worker thread. Decoding (snappy, protobuf, validating new
 * series) was a fifth to a third of the server's main thread during an ingest burst, while
 * the second core sat partly idle; Prometheus decodes on as many goroutines as it has cores.
 * The pool hands each body to one worker thread and gets back columns (decode-transfer.ts);
 * judging samples, the WAL and the head stay on the main thread, in request order.
 *
 * `threads: 0` (the server's default, `kansoku server --decode-threads N` to change it), or a
 * build without the worker's compiled file, decodes inline. On the 2-core bench machine, shared
 * with the senders, one worker was slower than none (756k against 846k samples/s, 4 alternating
 * rounds): handing bodies and columns across threads costs CPU that no idle core pays for.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../lib/logger.js';
import type { KnownSeries } from './decode-columns.js';
import { fromTransferredError, unpackColumns, type TransferredColumns, type TransferredError } from './decode-transfer.js';
import type { DecodeJob } from './decode-worker.js';
import { decodeRemoteWriteColumns, type DecodedColumns, type RemoteWriteHeaders } from './request.js';

export interface DecodePoolOptions {
  /** Worker threads; 0 (the default) decodes on the calling thread. */
  threads?: number;
  logger?: Logger;
}

interface Pending {
  resolve: (d: TransferredColumns) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; ok: TransferredColumns } | { id: number; error: TransferredError } | { id: number; crash: string };

class DecodeThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #failed: Error | undefined;

  constructor(where: WorkerCode, logger: Logger | undefined) {
    this.#worker = 'file' in where ? new Worker(where.file, { name: 'kansoku-rw-decode' }) : new Worker(where.eval, { eval: true, name: 'kansoku-rw-decode' });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if ('ok' in m) p.resolve(m.ok);
      else if ('error' in m) p.reject(fromTransferredError(m.error));
      else p.reject(new Error(`remote-write decode worker failed: ${m.crash}`));
    });
    const fail = (err: Error) => {
      this.#failed ??= err;
      logger?.error({ err }, 'remote-write decode worker stopped; decoding on the main thread from now on');
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (!this.#failed && code !== 0) fail(new Error(`remote-write decode worker exited with code ${code}`));
    });
  }

  get failed(): boolean {
    return this.#failed !== undefined;
  }

  get load(): number {
    return this.#pending.size;
  }

  run(job: DecodeJob): Promise<TransferredColumns> {
    return new Promise((resolve, reject) => {
      this.#pending.set(job.id, { resolve, reject });
      // Copied, not transferred: the body's memory may be a slice of a pooled buffer.
      this.#worker.postMessage(job);
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

type WorkerCode = { file: URL } | { eval: string };

/**
 * The worker's code: its compiled .js beside this file, or, when this module runs from its
 * TypeScript source (tests, tsx), the .ts source loaded through tsx's loader (Node 20 does not
 * apply `--import` in a worker's execArgv to its entry module).
 */
function workerCode(): WorkerCode | undefined {
  const here = import.meta.url;
  if (here.endsWith('.js')) {
    const file = new URL('./decode-worker.js', here);
    return existsSync(fileURLToPath(file)) ? { file } : undefined;
  }
  const file = new URL('./decode-worker.ts', here);
  if (!existsSync(fileURLToPath(file))) return undefined;
  let tsx: string;
  try {
    // require.resolve gives the CommonJS build; the worker imports the ESM one beside it.
    tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch {
    return undefined;
  }
  return { eval: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });` };
}

export class RemoteWriteDecodePool {
  readonly #threads: DecodeThread[] = [];
  #nextId = 1;
  /** Bodies decoded on a worker and on the calling thread. */
  readonly decoded = { worker: 0, inline: 0 };

  constructor(options: DecodePoolOptions = {}) {
    const count = options.threads ?? 0;
    const where = count > 0 ? workerCode() : undefined;
    if (count > 0 && !where) options.logger?.warn('remote-write decode worker not found beside its module; decoding on the main thread');
    if (where) for (let i = 0; i < count; i++) this.#threads.push(new DecodeThread(where, options.logger));
    if (this.#threads.length) options.logger?.info({ threads: this.#threads.length }, 'remote-write bodies are decoded on worker threads');
  }

  /** Threads decoding off the main thread (0 when decoding inline). */
  get threads(): number {
    return this.#threads.filter((t) => !t.failed).length;
  }

  /** decodeRemoteWriteColumns, on a worker when there is one. */
  async decode(body: Uint8Array, headers: RemoteWriteHeaders, maxDecompressedBytes: number, known?: (key: string) => KnownSeries | undefined): Promise<DecodedColumns> {
    let thread: DecodeThread | undefined;
    for (const t of this.#threads) if (!t.failed && (!thread || t.load < thread.load)) thread = t;
    if (!thread) {
      this.decoded.inline++;
      return decodeRemoteWriteColumns(body, headers, { maxDecompressedBytes }, known);
    }
    const plainHeaders: RemoteWriteHeaders = {
      'content-encoding': headers['content-encoding'],
      'content-type': headers['content-type'],
      'x-prometheus-remote-write-version': headers['x-prometheus-remote-write-version'],
    };
    const packed = await thread.run({ id: this.#nextId++, body, headers: plainHeaders, maxDecompressedBytes });
    this.decoded.worker++;
    return unpackColumns(packed, known);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.splice(0).map((t) => t.close()));
  }
}
