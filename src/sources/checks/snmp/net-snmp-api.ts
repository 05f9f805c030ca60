/**
 * The part of net-snmp (a CommonJS package without type declarations) the snmp check uses,
 * typed here so the rest of the folder stays strictly typed.
 */
import { createRequire } from 'node:module';

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

export interface SnmpSession {
  get(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
  subtree(oid: string, maxRepetitions: number, feed: (varbinds: Varbind[]) => boolean | void, done: (error: Error | null) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
}

export interface SnmpSessionOptions {
  port: number;
  retries: number;
  timeout: number;
  transport: 'udp4' | 'udp6';
  version?: number;
  backoff?: number;
  context?: string;
}

export interface SnmpV3User {
  name: string;
  level: number;
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
}

export interface NetSnmp {
  Version2c: number;
  Version3: number;
  SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  AuthProtocols: Record<string, string>;
  PrivProtocols: Record<string, string>;
  ObjectType: Record<string, number | string>;
  createSession(target: string, community: string, options: SnmpSessionOptions): SnmpSession;
  createV3Session(target: string, user: SnmpV3User, options: SnmpSessionOptions): SnmpSession;
  isVarbindError(vb: Varbind): boolean;
  varbindError(vb: Varbind): string;
}

export const netSnmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

/** ASN.1 / SMI type numbers of the varbinds we interpret. */
export const SNMP_TYPE = {
  Boolean: 1,
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;
