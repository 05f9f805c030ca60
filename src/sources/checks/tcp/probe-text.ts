/**
 * Wording shared by the network probes, so every message reads the same way: durations in
 * "12 ms" / "10 s", quoted strings, short printable excerpts of what a peer answered.
 */

/** "12 ms" below ten seconds, else "10 s" / "12.5 s": the unit a human expects for each range. */
export function formatElapsedMs(ms: number): string {
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${formatSeconds(ms)}`;
}

/** A timeout as written in messages: "10 s", "1.5 s", "500 ms". */
export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(1))} s`;
}

/** Byte counts in messages: "512 bytes", "64 KiB", "1 MiB", "1.5 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n;
  let unit = 'bytes';
  for (const u of units) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${Number.isInteger(v) ? v : Number(v.toFixed(1))} ${unit}`;
}

/** A string as it appears in a message: JSON-quoted so spaces, quotes and control bytes stay visible. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Makes peer output safe to show: control bytes (other than newline and tab) become U+FFFD so
 * a binary or hostile response cannot rewrite a terminal or a notification.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}

/**
 * A short excerpt of `text`: around `at` when given (the spot that made the check fail), else
 * from the start. Marks cut ends with "…".
 */
export function excerpt(text: string, max = 512, at?: number): string {
  if (text.length <= max) return printable(text);
  let start = 0;
  if (at !== undefined) start = Math.max(0, Math.min(text.length - max, at - Math.floor(max / 4)));
  const end = start + max;
  return `${start > 0 ? '…' : ''}${printable(text.slice(start, end))}${end < text.length ? '…' : ''}`;
}
