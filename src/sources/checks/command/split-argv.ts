/**
 * Splits a command string into argv the way a POSIX shell splits words, and nothing more:
 * single quotes keep everything literal, double quotes allow \" \\ \$ \`, a backslash outside
 * quotes escapes the next character. No variable, glob, tilde or command expansion happens, and
 * ; | & < > are ordinary characters, so a string command runs exactly one program without a
 * shell. An unterminated quote gives `{ error }`.
 */
export function splitArgv(command: string): { argv: string[] } | { error: string } {
  const argv: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return { error: `unterminated single quote at position ${i + 1}` };
      cur += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < command.length) {
        const d = command[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) {
          cur += command[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      if (!closed) return { error: 'unterminated double quote' };
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) argv.push(cur);
  return { argv };
}
