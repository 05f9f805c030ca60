import type { AddressInfo } from 'node:net';

/**
 * A real SMTP server (npm smtp-server) on 127.0.0.1 that keeps every message it accepts, with a
 * small MIME reader so tests assert on decoded subject, text and HTML parts.
 */
export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  auth?: { username: string; password: string };
  raw: string;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

interface SmtpServerLike {
  listen(port: number, host: string, cb: () => void): void;
  close(cb: () => void): void;
  server: { address(): AddressInfo };
}
type SmtpServerCtor = new (opts: Record<string, unknown>) => SmtpServerLike;

export async function startSmtpSink(opts: { users?: Record<string, string>; rejectRcpt?: (addr: string) => number | undefined } = {}): Promise<SmtpSink> {
  // smtp-server ships no types; a non-literal specifier keeps tsc from asking for them.
  const moduleName: string = 'smtp-server';
  const { SMTPServer } = (await import(moduleName)) as { SMTPServer: SmtpServerCtor };
  const mails: ReceivedMail[] = [];
  const users = opts.users;
  const server = new SMTPServer({
    authOptional: !users,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth: { username: string; password: string }, session: { user?: unknown }, cb: (err: Error | null, res?: { user: string }) => void) {
      if (users && users[auth.username] === auth.password) return cb(null, { user: auth.username });
      const err = new Error('Invalid username or password') as Error & { responseCode: number };
      err.responseCode = 535;
      return cb(err);
    },
    onRcptTo(address: { address: string }, _session: unknown, cb: (err?: Error | null) => void) {
      const code = opts.rejectRcpt?.(address.address);
      if (code) {
        const err = new Error(`mailbox ${address.address} unavailable`) as Error & { responseCode: number };
        err.responseCode = code;
        return cb(err);
      }
      cb();
    },
    onData(stream: NodeJS.ReadableStream, session: { envelope: { mailFrom: { address: string } | false; rcptTo: { address: string }[] }; user?: string }, cb: (err?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.server.address().port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface ParsedMail {
  headers: Record<string, string>;
  subject: string;
  text?: string;
  html?: string;
}

/** Reads headers (decoding RFC 2047 words) and the text/plain and text/html parts. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitEntity(raw);
  const out: ParsedMail = { headers, subject: decodeWords(headers['subject'] ?? '') };
  collectParts(headers, body, out);
  return out;
}

function splitEntity(raw: string): { headers: Record<string, string>; body: string } {
  const sep = raw.search(/\r?\n\r?\n/);
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function collectParts(headers: Record<string, string>, body: string, out: ParsedMail): void {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const pieces = body.split(`--${boundary}`);
    for (const piece of pieces.slice(1)) {
      if (piece.startsWith('--')) break;
      const part = splitEntity(piece.replace(/^\r?\n/, ''));
      collectParts(part.headers, part.body, out);
    }
    return;
  }
  const decoded = decodeBody(body, headers['content-transfer-encoding'] ?? '7bit');
  if (/^text\/html/i.test(type)) out.html = decoded;
  else if (/^text\/plain/i.test(type)) out.text = decoded;
}

function decodeBody(body: string, encoding: string): string {
  const enc = encoding.toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQp(body);
  return body.replace(/\r?\n$/, '');
}

function decodeQp(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= and =?UTF-8?Q?…?=); adjacent words join without space. */
export function decodeWords(text: string): string {
  return text
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
    );
}
