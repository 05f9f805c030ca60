/** The first index at or after `from` in the ascending `arr` whose value is >= x (arr.length when none). */
export function lowerBound(arr: Float64Array, x: number, from = 0): number {
  let lo = from;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
