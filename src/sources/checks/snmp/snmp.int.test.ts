/**
 * The snmp check against Debian's snmpd, started here with its own config, persistent
 * directory and a free loopback UDP port: a v2c community and a v3 authPriv user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { snmpCheck, snmpCheckSpecSchema } from './index.js';

const SNMPD = '/usr/sbin/snmpd';
const haveSnmpd = await requirePeer('snmpd (Debian package snmpd)', () => hasExecutable(SNMPD));
const COMMUNITY = 'kansoku-ro';
const V3 = { user: 'kansokuv3', authKey: 'auth-pass-123', privKey: 'priv-pass-123' };
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';
const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let dir: string;
let port: number;
let agent: ChildProcess | undefined;
let agentLog = '';

beforeAll(async () => {
  if (!haveSnmpd) return;
  dir = await mkdtemp(path.join(tmpdir(), 'kansoku-snmpd-'));
  port = await freeUdpPort();
  const conf = path.join(dir, 'snmpd.conf');
  await writeFile(
    conf,
    [
      `rocommunity ${COMMUNITY} 127.0.0.1`,
      `createUser ${V3.user} SHA "${V3.authKey}" AES "${V3.privKey}"`,
      `rouser ${V3.user} priv`,
      'sysDescr Kansoku test agent',
      'sysLocation rack 7',
      '',
    ].join('\n'),
  );
  agent = spawn(SNMPD, ['-f', '-Lo', '-C', '-c', conf, `udp:127.0.0.1:${port}`], {
    env: { PATH: '/usr/bin:/bin', SNMP_PERSISTENT_DIR: dir, MIBS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agent.stdout!.on('data', (b: Buffer) => (agentLog += b.toString()));
  agent.stderr!.on('data', (b: Buffer) => (agentLog += b.toString()));
  for (let i = 0; i < 50 && !agentLog.includes('NET-SNMP version'); i++) {
    if (agent.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!agentLog.includes('NET-SNMP version')) throw new Error(`snmpd did not start: ${agentLog}`);
});

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(input: Record<string, unknown>, timeoutMs = 3000) {
  const spec = snmpCheckSpecSchema.parse({ type: 'snmp', host: '127.0.0.1', port, community: COMMUNITY, ...input });
  return snmpCheck.run(spec, { signal: AbortSignal.timeout(timeoutMs + 5000), timeoutMs });
}

describe.skipIf(!haveSnmpd)('snmp check against snmpd', () => {
  it('v2c GET: sysDescr and sysUpTime, kept as evidence and metrics', async () => {
    const r = await run({
      get: [
        { oid: '1.3.6.1.2.1.1.1.0', name: 'sysDescr', expect: { contains: 'Kansoku' } },
        { oid: '.1.3.6.1.2.1.1.3.0', name: 'sysUpTime', warning: { below: 1 } },
        { oid: '1.3.6.1.2.1.1.6.0', name: 'sysLocation', expect: { equals: 'rack 7' } },
      ],
    });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^SNMP v2c 127\\.0\\.0\\.1:${port}: sysDescr="Kansoku test agent", sysUpTime=\\d+s, sysLocation="rack 7"$`));
    const up = r.metrics.find((m) => m.name === 'sysUpTime')!;
    expect(up.value).toBeGreaterThan(0);
    expect(up.warn).toBe('1:');
    expect(r.metrics.find((m) => m.name === 'uptime_seconds')!.value).toBe(up.value / 100);
    expect(r.evidence?.values).toMatchObject({ sysDescr: 'Kansoku test agent', sysLocation: 'rack 7' });
  });

  it('v2c walk of the ifTable: one metric per interface, thresholds per row', async () => {
    const r = await run({ walk: [{ oid: IF_IN_OCTETS, name: 'ifInOctets', minRows: 1 }, { oid: IF_DESCR, name: 'ifDescr' }] });
    expect(r.status).toBe('ok');
    const rows = r.metrics.filter((m) => m.name.startsWith('ifInOctets.'));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((m) => /^ifInOctets\.\d+$/.test(m.name) && m.value >= 0)).toBe(true);
    expect(r.metrics.find((m) => m.name === 'ifInOctets_rows')!.value).toBe(rows.length);
    // The loopback interface is in the table by its name.
    expect(Object.entries(r.evidence?.values as Record<string, string>).some(([k, v]) => k.startsWith('ifDescr.') && v === 'lo')).toBe(true);

    // ifIndex values are 1 or more: "below 1" never fires, "above 0" fires on every row.
    const crit = await run({ walk: [{ oid: '1.3.6.1.2.1.2.2.1.1', name: 'ifIndex', critical: { above: 0 }, warning: { below: 1 } }] });
    expect(crit.status).toBe('critical');
    expect(crit.message).toMatch(/: ifIndex\.1 1 is above 0 \(critical\)/);
  });

  it('a missing OID and a threshold breach → CRITICAL; a recent restart → WARNING', async () => {
    const missing = await run({ get: [{ oid: '1.3.6.1.2.1.1.99.0', name: 'nothing' }] });
    expect(missing).toMatchObject({ status: 'critical', message: `SNMP v2c 127.0.0.1:${port}: nothing: noSuchObject` });
    const ifNumber = await run({ get: [{ oid: '1.3.6.1.2.1.2.1.0', name: 'ifNumber', warning: { above: 0 }, critical: { above: 100_000 } }] });
    expect(ifNumber.status).toBe('warning');
    expect(ifNumber.message).toMatch(/: ifNumber \d+ is above 0 \(warning\)$/);
    expect(ifNumber.metrics.find((m) => m.name === 'ifNumber')).toMatchObject({ warn: '0', crit: '100000' });
    // snmpd was started seconds ago.
    const restarted = await run({ restartedWithin: '1h' });
    expect(restarted).toMatchObject({ status: 'warning', message: expect.stringMatching(/: agent restarted \d+s ago \(sysUpTime below restartedWithin 1h\)$/) });
  });

  it('a wrong community gets no answer → CRITICAL after the retries', async () => {
    const r = await run({ community: 'wrong-community', retries: 1 }, 1000);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`SNMP v2c 127.0.0.1:${port}: no answer after 2 attempts (agent down, port filtered, or wrong community) while reading values (GET)`);
  });

  it('v3 authPriv (SHA + AES) reads sysDescr; a wrong auth key and an unknown user do not', async () => {
    const ok = await run({ version: '3', community: undefined, v3: { user: V3.user, authKey: V3.authKey, privKey: V3.privKey }, get: [{ oid: '1.3.6.1.2.1.1.1.0', name: 'sysDescr' }] });
    expect(ok.status).toBe('ok');
    expect(ok.message).toBe(`SNMP v3 127.0.0.1:${port}: sysDescr="Kansoku test agent"`);
    const wrongAuth = await run({ version: '3', community: undefined, v3: { user: V3.user, authKey: 'not-the-key', privKey: V3.privKey } }, 1000);
    expect(wrongAuth.status).toBe('critical');
    expect(wrongAuth.message).toBe(`SNMP v3 127.0.0.1:${port}: Wrong Digest (incorrect password, community or key) while reading values (GET)`);
    const unknownUser = await run({ version: '3', community: undefined, v3: { user: 'nobody', authKey: V3.authKey, privKey: V3.privKey } }, 1000);
    expect(unknownUser.status).toBe('critical');
    expect(unknownUser.message).toBe(`SNMP v3 127.0.0.1:${port}: Unknown User Name while reading values (GET)`);
  });
});
