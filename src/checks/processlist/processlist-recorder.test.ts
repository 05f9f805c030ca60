import { describe, expect, it } from 'vitest';
import { mysqlCheckSpecSchema } from '../../sources/checks/db/index.js';
import type { LogEventRow } from '../../store/telemetry-store.js';
import { ProcesslistRecorder, processlistEvents } from './index.js';

const spec = mysqlCheckSpecSchema.parse({ type: 'mysql', host: 'db1', user: 'u', interval: '60s', processlist: { every: '5m' } });
const row = { Id: '7', User: 'app', Host: '10.0.0.5:5000', db: 'shop', Command: 'Query', Time: '12', State: 'Sending data', Info: 'SELECT * FROM orders' };

describe('ProcesslistRecorder', () => {
  it('is due on the first run and again after `every` (less half an interval)', () => {
    const rec = new ProcesslistRecorder({ appendLogEvents: async () => undefined });
    const t = 1_000_000_000;
    expect(rec.due('c', spec, t)).toBe(true);
    rec.record('c', 'db1', { status: 'ok', message: '', startedAt: t, durationMs: 1, metrics: [], evidence: { processlist: { takenAt: t, rows: [] } } });
    expect(rec.due('c', spec, t + 240_000)).toBe(false);
    expect(rec.due('c', spec, t + 299_990)).toBe(true);
    expect(rec.due('other', spec, t)).toBe(true);
    expect(rec.due('c', { ...spec, processlist: undefined }, t + 10 * 60_000)).toBe(false);
  });

  it('writes one event per row and leaves a summary in the result', async () => {
    const written: LogEventRow[] = [];
    const rec = new ProcesslistRecorder({ appendLogEvents: async (rows) => void written.push(...rows) });
    const r = rec.record('shop-db', 'db1', { status: 'ok', message: 'm', startedAt: 5, durationMs: 1, metrics: [], evidence: { processlist: { takenAt: 5, rows: [row] } } });
    await rec.flush();
    expect(r.evidence?.processlist).toEqual({ stream: 'processlist/shop-db', takenAt: 5, rows: 1 });
    expect(written).toEqual(processlistEvents('shop-db', 'db1', { takenAt: 5, rows: [row] }));
    expect(written[0]).toMatchObject({ time: 5, stream: 'processlist/shop-db', host: 'db1', id: 'shop-db/5/7', fields: row });
    expect(written[0]!.message).toBe('Id=7 User=app Host=10.0.0.5:5000 db=shop Command=Query Time=12 State=Sending data Info=SELECT * FROM orders');
  });

  it('a failing store does not fail the check', async () => {
    const rec = new ProcesslistRecorder({ appendLogEvents: () => Promise.reject(new Error('store down')) });
    const r = rec.record('c', 'db1', { status: 'ok', message: 'm', startedAt: 5, durationMs: 1, metrics: [], evidence: { processlist: { takenAt: 5, rows: [row] } } });
    await rec.flush();
    expect(r.status).toBe('ok');
  });
});
