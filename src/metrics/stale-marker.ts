/**
 * How a Prometheus staleness marker survives the telemetry store.
 *
 * The store writes floats as text, so every NaN comes back as the canonical NaN and the
 * marker's payload (0x7ff0000000000002) is lost; yet a real NaN (a summary quantile with no
 * observations) and "this series ended" must stay different for PromQL. Until the store keeps
 * NaN payloads, markers are stored as one reserved finite value, the float just above
 * -MaxFloat64 (bits 0xffeffffffffffffe), which the text round trip keeps exactly and no
 * exporter emits. Samples with that exact value are read back as stale markers.
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
