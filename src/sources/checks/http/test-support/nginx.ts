/**
 * Test support: a real nginx (Debian package) started on loopback with its own config in a temp
 * dir, and self-signed certificates made with the openssl CLI. Used by the http and tcp
 * integration tests; every instance is stopped by the test's afterAll.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { tcpReachable } from '../../../../../test/support/peer.js';

const run = promisify(execFile);

export const NGINX_BIN = '/usr/sbin/nginx';

/** A port the kernel just handed out on 127.0.0.1; closed again so nginx can bind it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, valid for `days` from now. */
export async function makeSelfSignedCertificate(dir: string, name: string, days: number): Promise<CertificateFiles> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(days),
    '-subj', `/CN=kansoku-test-${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { certFile, keyFile };
}

export interface NginxInstance {
  stop(): Promise<void>;
  /** What nginx wrote to stderr, for failure messages. */
  log(): string;
}

/**
 * Writes `httpBlock` (the inside of `http { }`) into a config under `dir` and runs nginx in the
 * foreground until every port in `ports` accepts connections.
 */
export async function startNginx(dir: string, httpBlock: string, ports: number[]): Promise<NginxInstance> {
  for (const sub of ['tmp', 'logs']) await mkdir(path.join(dir, sub), { recursive: true });
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${path.join(dir, 'tmp', t)};`).join('\n');
  const conf = [
    // nginx as root drops to "nobody" by default, which could not read the temp dir.
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    temp,
    httpBlock,
    '}',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  const child: ChildProcess = spawn(NGINX_BIN, ['-e', 'stderr', '-p', dir, '-c', confFile, '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr;`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  // Should the test process die before afterAll runs, nginx must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.off('exit', killOnExit);
      resolve();
    }),
  );

  const instance: NginxInstance = {
    log: () => stderr,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(killer);
    },
  };
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`nginx exited during start-up: ${stderr}`);
    const results = await Promise.all(ports.map((p) => tcpReachable('127.0.0.1', p, 200)));
    if (results.every((r) => r === true)) return instance;
    await new Promise((r) => setTimeout(r, 50));
  }
  await instance.stop();
  throw new Error(`nginx did not listen on ${ports.join(', ')} within 5 s: ${stderr}`);
}
