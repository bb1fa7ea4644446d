/**
 * The PostgreSQL cache's schema: the same `entries` table and columns as the SQLite file (so a key
 * can be checked with psql exactly as with sqlite3), a schema version, and org isolation enforced
 * by PostgreSQL itself with row-level security.
 *
 * Claims (single flight): a row in rehearse_claims says who records a missing key, with a lease
 * in the server's time; its holder also keeps a session advisory lock on the key, which PostgreSQL
 * drops with the holder's connection, so a recorder that dies is seen at once, not when its lease
 * lapses.
 *
 * Isolation: a role sees and writes only the rows of the orgs `rehearse_org_members` grants it (or a
 * role it belongs to). The table's owner, who creates the schema, bypasses row-level security and
 * administers the members; every other role, even with hand-written SQL, sees only its orgs.
 */
export const postgresSchemaVersion = 1;

/** Each migration takes the schema from version i to i + 1; they run in order, under one advisory lock, and each can run again harmlessly. */
export const migrations: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS rehearse_meta (name text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE IF NOT EXISTS entries (
     org text NOT NULL,
     key text NOT NULL,
     bot_id text NOT NULL,
     bot_version text NOT NULL,
     action_type text NOT NULL,
     params text NOT NULL,
     occurrence integer NOT NULL DEFAULT 0,
     output text NOT NULL,
     status text NOT NULL,
     usage text,
     cost_usd double precision NOT NULL DEFAULT 0,
     duration_ms double precision NOT NULL DEFAULT 0,
     created_at text NOT NULL,
     deltas text,
     redacted integer NOT NULL DEFAULT 0,
     PRIMARY KEY (org, key)
   );
   CREATE INDEX IF NOT EXISTS entries_by_bot ON entries (org, bot_id, action_type);
   CREATE INDEX IF NOT EXISTS entries_by_version ON entries (org, bot_id, bot_version);
   CREATE TABLE IF NOT EXISTS rehearse_claims (org text NOT NULL, key text NOT NULL, owner text NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (org, key));
   CREATE TABLE IF NOT EXISTS rehearse_org_members (org text NOT NULL, role name NOT NULL, PRIMARY KEY (org, role));
   ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
   DROP POLICY IF EXISTS entries_of_member_orgs ON entries;
   CREATE POLICY entries_of_member_orgs ON entries
     USING (org IN (SELECT m.org FROM rehearse_org_members m JOIN pg_roles r ON r.rolname = m.role WHERE pg_has_role(current_user, r.oid, 'MEMBER')))
     WITH CHECK (org IN (SELECT m.org FROM rehearse_org_members m JOIN pg_roles r ON r.rolname = m.role WHERE pg_has_role(current_user, r.oid, 'MEMBER')));`,
];

/** A constant advisory-lock key: migrations of one database never run twice at once. */
export const migrationLock = 7_466_102_317;
