/**
 * 0141: the demographics import's reconciliation. What each source last sent per patient (the
 * third side of the three-way compare), and every field change a file proposed: applied (with
 * its previous value, file and line: provenance) or held for review (accepted or rejected later).
 */
export const migration0141 = {
  version: 141,
  name: 'demographics-reconciliation',
  sql: /* sql */ `
CREATE TABLE patient_source_values (
  practice_id TEXT NOT NULL,
  record_id   INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  source      TEXT NOT NULL,          -- 'file:<job id>'
  data        TEXT NOT NULL,          -- the fields as last sent (JSON)
  tx_id       INTEGER,
  line        INTEGER,
  at          INTEGER NOT NULL,
  PRIMARY KEY (record_id, source)
) STRICT, WITHOUT ROWID;

CREATE TABLE patient_field_changes (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL,
  record_id   INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  field       TEXT NOT NULL,
  old_value   TEXT,                   -- JSON; null = empty
  new_value   TEXT,                   -- JSON
  source      TEXT NOT NULL,
  tx_id       INTEGER,
  line        INTEGER,
  policy      TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('applied','held','accepted','rejected','superseded')),
  decided_by  TEXT,
  decided_at  INTEGER,
  at          INTEGER NOT NULL
) STRICT;
CREATE INDEX patient_field_changes_record ON patient_field_changes (record_id, id);
CREATE INDEX patient_field_changes_held ON patient_field_changes (practice_id, id) WHERE status = 'held';
CREATE INDEX patient_field_changes_tx ON patient_field_changes (tx_id) WHERE tx_id IS NOT NULL;
`,
} as const
