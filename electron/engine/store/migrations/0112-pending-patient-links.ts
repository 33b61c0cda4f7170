/**
 * 0112: records that arrived before their patient (an athena appointment synced before its
 * patient, say) wait here by the patient's external id; when that patient is stored, they are
 * linked to it (records.patient_ref) and the row goes.
 */
export const migration0112 = {
  version: 112,
  name: 'pending-patient-links',
  sql: /* sql */ `
CREATE TABLE pending_patient_links (
  practice_id TEXT NOT NULL,
  system      TEXT NOT NULL,
  value       TEXT NOT NULL,
  record_id   INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  PRIMARY KEY (practice_id, system, value, record_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX pending_patient_links_record ON pending_patient_links (record_id);
`,
} as const
