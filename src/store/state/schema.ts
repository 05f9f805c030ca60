import type { Generated } from 'kysely';

/** Kysely's view of the state database; the same tables on SQLite and PostgreSQL. */
export interface StateDatabase {
  inventory_objects: {
    kind: string;
    name: string;
    uid: string;
    version: number;
    labels: string;
    annotations: string;
    spec: string;
    created_at: string;
    updated_at: string;
    updated_by: string;
    last_applied_version: number | null;
    apply_set: string | null;
  };
  inventory_versions: {
    kind: string;
    name: string;
    uid: string;
    version: number;
    change: string;
    labels: string;
    annotations: string;
    spec: string;
    time: string;
    actor: string;
    audit_seq: number;
  };
  audit_events: {
    seq: number;
    time: string;
    actor_id: string | null;
    actor_name: string;
    source_ip: string | null;
    user_agent: string | null;
    request_id: string | null;
    action: string;
    object_kind: string | null;
    object_name: string | null;
    object_version: number | null;
    before_json: string | null;
    after_json: string | null;
    outcome: string;
    detail: string | null;
    prev_hash: string;
    hash: string;
  };
  audit_head: {
    id: number;
    seq: number;
    hash: string;
  };
  auth_tokens: {
    id: string;
    name: string;
    role: string;
    hash: string;
    created_at: string;
    created_by: string;
    revoked_at: string | null;
    last_used_at: string | null;
    expires_at: string | null;
  };
  check_states: {
    name: string;
    status: string;
    hard: number;
    since: string | null;
    message: string;
    detail: string;
    updated_at: string;
  };
  kansoku_meta: {
    key: string;
    value: string;
    _rowid?: Generated<number>;
  };
}
