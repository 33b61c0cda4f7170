/**
 * 0110: real feeds (issue 16).
 * - `patient_links`: a pair of patient records an ADT merge (A40/A34/A18) named, what was done
 *   about it (merged: children and ids moved to the survivor, undoable; linked: recorded for
 *   review) and what an undo puts back. The duplicate-patient worklist reads it.
 * - `tx_resent`: how often each stored message was sent again (a duplicate answered with its
 *   original ACK), so a listener's "duplicates" counter can open the transactions it counted.
 * - Interfaces that existed before this release keep answering AR to types they do not process
 *   (`unsupportedTypes: "reject"`, what they did until now): a sender that has been told AR for
 *   months may route or alert on it, and switching it to AA changes what it sees without anyone
 *   deciding to. New interfaces ignore such types (AA, `filtered`); an operator opts an existing
 *   one in with one switch.
 */
export const migration0110 = {
  version: 110,
  name: 'feeds',
  sql: /* sql */ `
CREATE TABLE patient_links (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  survivor_id INTEGER NOT NULL,          -- records.id of the surviving patient
  prior_id    INTEGER,                   -- records.id of the prior patient; NULL when not known here
  prior_ids   TEXT NOT NULL,             -- JSON [{system, value}]: the ids the message retired (MRG-1)
  source      TEXT NOT NULL,             -- e.g. 'hl7 ADT^A40'
  tx_id       INTEGER,
  action      TEXT NOT NULL CHECK (action IN ('merge','link')),
  status      TEXT NOT NULL CHECK (status IN ('merged','linked','prior_unknown','undone')),
  moved       TEXT,                      -- JSON {records: [id], externalIds: [{system, value}]}: what undo puts back
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  undone_at   INTEGER,
  undone_by   TEXT
) STRICT;
CREATE INDEX patient_links_practice ON patient_links (practice_id, status, id);
CREATE UNIQUE INDEX patient_links_pair ON patient_links (practice_id, survivor_id, prior_id) WHERE status IN ('merged','linked');

CREATE TABLE tx_resent (
  practice_id TEXT NOT NULL,
  channel     TEXT NOT NULL,
  dedup_key   TEXT NOT NULL,
  n           INTEGER NOT NULL,
  last_at     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, channel, dedup_key)
) STRICT, WITHOUT ROWID;

UPDATE connections SET config = json_set(config, '$.unsupportedTypes', 'reject')
  WHERE kind = 'hl7-inbound' AND json_type(config, '$.unsupportedTypes') IS NULL;
`,
} as const
