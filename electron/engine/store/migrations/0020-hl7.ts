/**
 * 0020: HL7 engine state. Outbound destinations turn Practice Studio appointment changes
 * (record_changes) into SIU messages; each destination remembers the last change it has queued,
 * so a restart resumes where it stopped and never re-reads history it already turned into
 * transactions (the transactions' dedup key makes a re-read harmless anyway).
 */
export const migration0020 = {
  version: 20,
  name: 'hl7-outbound-cursors',
  sql: /* sql */ `
CREATE TABLE hl7_outbound_cursors (
  practice_id    TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  last_change_id INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, connection_id)
) STRICT;
`,
} as const
