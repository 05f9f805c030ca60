/**
 * ClickHouse transport on chDB, ClickHouse running inside this process. The `chdb` package
 * (≈550 MB of native library) is loaded on first open only, with a dynamic import, so the CLI
 * and the agent never map it.
 *
 * chDB rules this module enforces:
 * - one data directory per process: a second directory fails with an error saying so;
 * - closing a session while a query runs on it aborts the process: statements run one at a
 *   time through a queue, and close() waits for the queue, then for the library's own pending
 *   work (`drainPending`), before and after releasing the session.
 *
 * Native blocks (insertNative): chDB's insert API takes text formats only, and a statement is
 * text, so a binary block cannot travel inline. It is written to a file in `<path>/kansoku-ingest`
 * and read by `INSERT … SELECT … FROM file(…, 'Native')` (100k samples: ≈17 ms, against ≈100 ms
 * of JavaScript to encode them as TSV). The file is deleted after the statement, also when it
 * fails; files another process left behind (a crash between write and delete) go at open.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { SESSION_SETTINGS, type ClickHouseTransport, type InsertFormat, type NativeColumn, type QueryParams } from '../clickhouse/transport.js';
import { jsonEachRow } from '../clickhouse/encode.js';
import { storeClosedError, toStoreError } from '../clickhouse/store-errors.js';

type ChdbModule = typeof import('chdb');
type ChdbSession = InstanceType<ChdbModule['Session']>;

export interface ChdbTransportOptions {
  /** The directory chDB keeps its data in, e.g. "<dataDir>/telemetry". Created when missing. */
  path: string;
  logger?: Logger;
}

/** Timings of the first open, for the startup log and the docs' memory budget. */
export interface ChdbOpenStats {
  importMs: number;
  openMs: number;
}

let chdbModule: Promise<ChdbModule> | undefined;
let firstOpen: ChdbOpenStats | undefined;

/** Where Native blocks wait for their insert, inside the chDB directory. */
const INGEST_DIR = 'kansoku-ingest';
/**
 * Starts the name of every block file this process writes: a file without it is another
 * (dead: chDB lets one process at a time open a directory) process's leftover. Not the pid,
 * which repeats across restarts in a container.
 */
const PROCESS_TAG = randomBytes(6).toString('hex');
let blockFiles = 0;

/**
 * A path as file() reads it literally. file() expands globs; `*` and `?` match themselves too,
 * but `{…}` does not, so braces become `?` (any one character). The file's name is unique to
 * this process (PROCESS_TAG), so the pattern can only match the file itself.
 */
function fileGlobLiteral(p: string): string {
  return p.replace(/[{}]/g, '?');
}

/** Creates the block directory and deletes what another process left in it. */
async function prepareIngestDir(dir: string, logger: Logger | undefined): Promise<string> {
  const ingest = path.join(dir, INGEST_DIR);
  try {
    await mkdir(ingest, { recursive: true });
  } catch (err) {
    throw new StoreError('KSK_STORE_CHDB_OPEN_FAILED', `cannot create ${ingest}: ${(err as Error).message} — check the telemetry data directory's permissions`, undefined, { cause: err });
  }
  try {
    const stale = (await readdir(ingest)).filter((name) => !name.startsWith(`${PROCESS_TAG}-`));
    for (const name of stale) await rm(path.join(ingest, name), { force: true, recursive: true });
    if (stale.length) logger?.info({ dir: ingest, files: stale.length }, 'deleted sample blocks an earlier process left behind');
  } catch (err) {
    // Only costs disk space until the next start.
    logger?.warn({ err, dir: ingest }, 'could not delete sample blocks an earlier process left behind');
  }
  return ingest;
}

/** How long the first open in this process took (library load + session), once one happened. */
export function chdbFirstOpenStats(): ChdbOpenStats | undefined {
  return firstOpen;
}

function loadChdb(): Promise<ChdbModule> {
  chdbModule ??= import('chdb');
  return chdbModule;
}

export class ChdbTransport implements ClickHouseTransport {
  readonly engine = 'chdb' as const;
  /** Serialises statements: one connection, and close() must see an idle one. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | undefined;

  private constructor(
    private readonly chdb: ChdbModule,
    private readonly session: ChdbSession,
    readonly path: string,
    readonly openStats: ChdbOpenStats,
    /** Native blocks wait here for their insert. */
    private readonly ingestDir: string,
  ) {}

  static async open(options: ChdbTransportOptions): Promise<ChdbTransport> {
    const dir = path.resolve(options.path);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new StoreError('KSK_STORE_CHDB_OPEN_FAILED', `cannot create the telemetry data directory ${dir}: ${(err as Error).message} — check the path and its permissions`, undefined, { cause: err });
    }
    const ingestDir = await prepareIngestDir(dir, options.logger);
    const t0 = performance.now();
    let chdb: ChdbModule;
    try {
      chdb = await loadChdb();
    } catch (err) {
      chdbModule = undefined;
      throw new StoreError('KSK_STORE_CHDB_LOAD_FAILED', `cannot load chDB (npm package "chdb"): ${(err as Error).message} — reinstall dependencies (npm ci) on Linux or macOS with glibc, or point the server at a ClickHouse server instead`, undefined, { cause: err });
    }
    const t1 = performance.now();
    let session: ChdbSession;
    try {
      // A session deferred by an earlier close() still holds the process's one directory.
      await chdb.drainPending();
      session = new chdb.Session(dir);
    } catch (err) {
      throw new StoreError(
        'KSK_STORE_CHDB_OPEN_FAILED',
        `cannot open chDB at ${dir}: ${(err as Error).message} — chDB allows one data directory per process; close the other telemetry store first, or give this one the same directory`,
        undefined,
        { cause: err },
      );
    }
    const stats = { importMs: t1 - t0, openMs: performance.now() - t1 };
    firstOpen ??= stats;
    const transport = new ChdbTransport(chdb, session, dir, stats, ingestDir);
    for (const [name, value] of Object.entries(SESSION_SETTINGS)) {
      // Session settings live on the connection, so they are set once per open.
      await transport.command(`SET ${name} = ${typeof value === 'number' ? value : `'${value}'`}`);
    }
    options.logger?.info({ path: dir, importMs: Math.round(stats.importMs), openMs: Math.round(stats.openMs) }, 'chDB telemetry store opened');
    return transport;
  }

  #run<T>(sql: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosedError(this.engine));
    const result = this.#queue.then(work).catch((err: unknown) => {
      throw toStoreError(err, { engine: this.engine, sql });
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  command(sql: string, params?: QueryParams): Promise<void> {
    return this.#run(sql, async () => {
      if (params && Object.keys(params).length) await this.session.queryBindAsync(sql, params, { format: 'TSV' });
      else await this.session.queryAsync(sql, { format: 'TSV' });
    });
  }

  queryRows<T>(sql: string, params?: QueryParams): Promise<T[]> {
    return this.#run(sql, async () => {
      const result = params && Object.keys(params).length
        ? await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
        : await this.session.queryAsync(sql, { format: 'JSONEachRow' });
      return parseJsonEachRow<T>(result.text());
    });
  }

  queryRowBinary(sql: string, params?: QueryParams): Promise<Uint8Array> {
    return this.#run(sql, async () => {
      const result = params && Object.keys(params).length
        ? await this.session.queryBindAsync(sql, params, { format: 'RowBinary' })
        : await this.session.queryAsync(sql, { format: 'RowBinary' });
      // A copy: the result's bytes may live in native memory owned by the result object.
      return Buffer.from(result.bytes());
    });
  }

  insertRaw(table: string, body: string, format: InsertFormat, columns?: readonly string[]): Promise<void> {
    const sql = `INSERT INTO ${table}${columns ? ` (${columns.join(', ')})` : ''} FORMAT ${format}`;
    return this.#run(sql, async () => {
      if (!body) return;
      await this.session.insert({ table, values: Buffer.from(body, 'utf8'), format, ...(columns ? { columns } : {}) });
    });
  }

  insertNative(table: string, columns: readonly NativeColumn[], block: Uint8Array): Promise<void> {
    const names = columns.map((c) => c.name).join(', ');
    const sql = `INSERT INTO ${table} (${names}) SELECT ${names} FROM file({file:String}, 'Native', {structure:String})`;
    return this.#run(sql, async () => {
      if (!block.length) return;
      const file = path.join(this.ingestDir, `${PROCESS_TAG}-${++blockFiles}.native`);
      try {
        try {
          await writeFile(file, block);
        } catch (err) {
          throw new StoreError('KSK_STORE_CHDB_WRITE_FAILED', `cannot write a block of samples to ${this.ingestDir}: ${(err as Error).message} — check free disk space and the telemetry data directory's permissions`, sql, { cause: err });
        }
        // The structure given, not inferred from the file: no schema inference per block.
        const structure = columns.map((c) => `${c.name} ${c.type}`).join(', ');
        await this.session.queryBindAsync(sql, { file: fileGlobLiteral(file), structure }, { format: 'TSV' });
      } finally {
        await rm(file, { force: true }).catch(() => undefined);
      }
    });
  }

  insertRows(table: string, rows: readonly object[]): Promise<void> {
    const sql = `INSERT INTO ${table} FORMAT JSONEachRow`;
    return this.#run(sql, async () => {
      if (!rows.length) return;
      await this.session.insert({ table, values: Buffer.from(jsonEachRow(rows), 'utf8'), format: 'JSONEachRow' });
    });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#queue;
      await this.chdb.drainPending();
      this.session.close();
      // close() defers the native teardown behind anything still running; wait for it so the
      // directory is really free when this resolves (a reopen in the same process needs that).
      await this.chdb.drainPending();
    })();
    return this.#closed;
  }
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return rows;
}
