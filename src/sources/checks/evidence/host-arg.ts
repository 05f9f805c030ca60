/**
 * A host name or IP address that is safe to hand to ping / tracepath as an argument: letters,
 * digits, dots, hyphens, colons (IPv6), underscores and a %zone, and never a leading "-" (which
 * the program would read as an option).
 */
export const HOST_ARG_RE = /^(?!-)[A-Za-z0-9._:%-]{1,253}$/;

export function isHostArg(host: string): boolean {
  return HOST_ARG_RE.test(host);
}
