import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { GENESIS_HASH } from '../../audit/hash-chain.js';

/**
 * Schema migrations for the state store. Column types are the ones SQLite and PostgreSQL both
 * understand (text, integer, bigint), so one list serves both engines. Never edit a migration
 * that has shipped: add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001_foundation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('inventory_objects')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('last_applied_version', 'integer')
        .addColumn('apply_set', 'text')
        .addPrimaryKeyConstraint('inventory_objects_pk', ['kind', 'name'])
        .execute();
      await db.schema
        .createTable('inventory_versions')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('audit_seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_versions_pk', ['kind', 'name', 'version'])
        .execute();
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('request_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('object_kind', 'text')
        .addColumn('object_name', 'text')
        .addColumn('object_version', 'integer')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').column('time').execute();
      await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_name', 'seq']).execute();
      await db.schema.createIndex('audit_events_object').on('audit_events').columns(['object_kind', 'object_name', 'seq']).execute();
      await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'seq']).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
      await db.schema
        .createTable('auth_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('expires_at', 'text')
        .execute();
      await db.schema
        .createTable('kansoku_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_notify_outbox': {
    // The notification outbox (src/notify): one row per notification and channel, claimed by a
    // dispatcher with a lease (status sending + next_attempt_at as lease expiry + claim_token),
    // and a log row per delivery attempt. Times compared in queries are epoch milliseconds.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('notify_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .addColumn('claim_token', 'text')
        .addColumn('progress', 'text')
        .execute();
      await db.schema.createIndex('notify_outbox_due').on('notify_outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('notify_outbox_channel').on('notify_outbox').columns(['channel', 'status', 'next_attempt_at']).execute();
      await db.schema
        .createTable('notify_deliveries')
        .addColumn('outbox_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('notify_deliveries_pk', ['outbox_id', 'attempt'])
        .execute();
    },
  },
  '0003_check_states': {
    // The current state of every check, written when it changes (not on every run), so other
    // nodes, reports and a restart read it without scanning results.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('check_states')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('hard', 'integer', (c) => c.notNull())
        .addColumn('since', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0004_alert_state': {
    // Alert state that must survive a restart (src/alerting-module/alert-state-writer.ts): one
    // row per alert instance (rule timers, routing state, acknowledgement), its state history,
    // its notification log, routing's dispatch log (what each group last told each receiver)
    // and escalation progress. Times are epoch milliseconds (bigint), JSON in text columns.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alert_instances')
        .addColumn('fingerprint', 'text', (c) => c.primaryKey())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('rule', 'text')
        .addColumn('rule_state', 'text')
        .addColumn('active_at', 'bigint')
        .addColumn('for_started_at', 'bigint')
        .addColumn('fired_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('keep_firing_since', 'bigint')
        .addColumn('last_eval_at', 'bigint')
        .addColumn('value', 'text')
        .addColumn('series_key', 'text')
        .addColumn('starts_at', 'bigint')
        .addColumn('ends_at', 'bigint')
        .addColumn('generator_url', 'text')
        .addColumn('depends_on', 'text', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('ack_by', 'text')
        .addColumn('ack_at', 'bigint')
        .addColumn('ack_comment', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_instances_rule').on('alert_instances').columns(['rule', 'state']).execute();
      await db.schema
        .createTable('alert_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_events_fp').on('alert_events').columns(['fingerprint', 'at']).execute();
      await db.schema
        .createTable('alert_notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('step', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('outbox_key', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('alert_notifications_fp').on('alert_notifications').columns(['fingerprint', 'at']).execute();
      await db.schema
        .createTable('alert_dispatch_log')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('receiver', 'text', (c) => c.notNull())
        .addColumn('firing', 'text', (c) => c.notNull())
        .addColumn('resolved', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('alert_escalations')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('step_reached', 'integer', (c) => c.notNull())
        .addColumn('next_step_at', 'bigint')
        .addColumn('notified', 'text', (c) => c.notNull())
        .addColumn('alerts', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

export const stateMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
