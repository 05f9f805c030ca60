/**
 * How a Prometheus staleness marker survives the telemetry store.
 *
 * A real NaN (a summary quantile with no observations) and "this series ended" must stay
 * different for PromQL. The store used to write floats as text, which lost the marker's NaN
 * payload (0x7ff0000000000002), so markers were stored as one reserved finite value, the float
 * just above -MaxFloat64 (bits 0xffeffffffffffffe), which no exporter emits.
 *
 * Since telemetry migration 2 the store keeps every value's 64 bits (written as v_hi/v_lo,
 * read as RowBinary), so STALE_NAN itself round-trips (contract test "keeps the payload of a
 * NaN"). Readers accept both forms: the reserved value in data written before, and still by
 * the writers that use STORED_STALE_MARKER directly (scraper, alert series, and tests outside
 * src/metrics that expect it); switching those to STALE_NAN retires the reserved value.
 */
import { STALE_NAN, isStaleNaN } from '../query/promql/index.js';

export const STORED_STALE_MARKER: number = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0xffefffff);
  view.setUint32(4, 0xfffffffe);
  return view.getFloat64(0);
})();

/** The value to store for a sample; `stale` when the decoder already recognised the marker. */
export function toStoredValue(v: number, stale = false): number {
  return stale || isStaleNaN(v) ? STORED_STALE_MARKER : v;
}

/** The value PromQL sees for a stored sample. */
export function fromStoredValue(v: number): number {
  return v === STORED_STALE_MARKER ? STALE_NAN : v;
}
