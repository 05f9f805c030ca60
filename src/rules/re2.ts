import { translateGoRegex } from '../query/promql/labels.js';

/**
 * Go regular expressions (RE2) as JS RegExp arguments, through the PromQL engine's translation
 * (flag groups anywhere, `(?P<name>`, `\Q…\E`, `\z`, POSIX classes), so a template's
 * `reReplaceAll` reads a pattern exactly as the rule's `=~` matcher does.
 */
export function re2ToJs(pattern: string, baseFlags: string): [string, string] {
  const { source, flags } = translateGoRegex(pattern);
  let merged = baseFlags;
  for (const f of flags) if (!merged.includes(f)) merged += f;
  return [source, merged];
}

/** Go's `$1`, `${1}`, `${name}` replacement syntax as JS's `$1`, `$<name>`. */
export function re2ReplacementToJs(repl: string): string {
  return repl.replace(/\$\{(\w+)\}|\$(\d+)|\$([A-Za-z_]\w*)/g, (all, braced: string | undefined, num: string | undefined, name: string | undefined) => {
    const id = braced ?? num ?? name!;
    return /^\d+$/.test(id) ? `$${id}` : `$<${id}>`;
  });
}
