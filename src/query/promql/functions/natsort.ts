/** Natural ordering ("a2" < "a10"): digit runs compare numerically, as sort_by_label does. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const xi = BigInt(x);
      const yi = BigInt(y);
      if (xi !== yi) return xi < yi;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}
