import type { Role } from '../store/state-store.js';

/** Who is making a change, and from where; every audit record names it. */
export interface Actor {
  id: string | null;
  name: string;
  role: Role | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The server acting on its own (first-start bootstrap, scheduled jobs). */
export const SYSTEM_ACTOR: Actor = { id: null, name: 'system', role: 'admin', sourceIp: null, userAgent: null, requestId: null };
