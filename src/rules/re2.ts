/**
 * Go regular expressions (RE2) as JS RegExp arguments. The common syntax is the same; RE2's
 * leading flag groups (`(?i)`, `(?s)`) and `\z` / `\A` have no JS spelling and are translated.
 */
export function re2ToJs(pattern: string, baseFlags: string): [string, string] {
  let flags = baseFlags;
  let p = pattern;
  const m = /^\(\?([imsU]+)\)/.exec(p);
  if (m) {
    for (const f of m[1]!) if ((f === 'i' || f === 'm' || f === 's') && !flags.includes(f)) flags += f;
    p = p.slice(m[0].length);
  }
  p = p.replace(/\\z/g, '$').replace(/\\A/g, '^');
  return [p, flags];
}

/** Go's `$1`, `${1}`, `${name}` replacement syntax as JS's `$1`, `$<name>`. */
export function re2ReplacementToJs(repl: string): string {
  return repl.replace(/\$\{(\w+)\}|\$(\d+)|\$([A-Za-z_]\w*)/g, (all, braced: string | undefined, num: string | undefined, name: string | undefined) => {
    const id = braced ?? num ?? name!;
    return /^\d+$/.test(id) ? `$${id}` : `$<${id}>`;
  });
}
