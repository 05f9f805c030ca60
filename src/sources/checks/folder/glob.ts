/**
 * A small glob-to-RegExp matcher (Node 20 has no fs.glob, and matching needs no more than this).
 * Patterns match a path relative to the checked folder, with "/" separators:
 *   *        any characters except "/"          ?      one character except "/"
 *   **       any characters including "/" (as a whole segment: "a/**\/b" also matches "a/b")
 *   [abc]    one of the set; [a-z] ranges; [!abc] or [^abc] negates
 *   {a,b}    either alternative (alternatives may hold wildcards, not nested braces)
 *   \x       a literal x
 * Dot files are matched like any other name, as `find -name` does. A pattern without "/"
 * matches the file's base name at any depth (also like `find -name`).
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  let inBraces = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const atStart = i === 0 || pattern[i - 1] === '/';
        const atEnd = i + 2 === pattern.length || pattern[i + 2] === '/';
        if (atStart && atEnd) {
          if (pattern[i + 2] === '/') {
            re += '(?:.*/)?';
            i += 3;
          } else {
            re += '.*';
            i += 2;
          }
          continue;
        }
        re += '[^/]*';
        i += 2;
        continue;
      }
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        i++;
        continue;
      }
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += negate ? `[^/${body}]` : `[${body}]`;
      i = end + 1;
    } else if (c === '{' && !inBraces) {
      inBraces = true;
      re += '(?:';
      i++;
    } else if (c === '}' && inBraces) {
      inBraces = false;
      re += ')';
      i++;
    } else if (c === ',' && inBraces) {
      re += '|';
      i++;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeChar(pattern[i + 1]!);
      i += 2;
    } else {
      re += escapeChar(c);
      i++;
    }
  }
  if (inBraces) throw new Error(`unclosed "{" in glob "${pattern}"`);
  return new RegExp(`^${re}$`);
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** A compiled glob: `matches(relativePath)` applies the base-name rule for patterns without "/". */
export function compileGlob(pattern: string): { matches(relPath: string): boolean } {
  const re = globToRegExp(pattern);
  const byBaseName = !pattern.includes('/');
  return {
    matches(relPath: string): boolean {
      const subject = byBaseName ? relPath.slice(relPath.lastIndexOf('/') + 1) : relPath;
      return re.test(subject);
    },
  };
}

/** The reason a glob cannot be compiled, or undefined when it is fine. */
export function globError(pattern: string): string | undefined {
  try {
    globToRegExp(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
