/**
 * 0150: billing file exchange. Claims built from charges (each charge in at most one claim, an
 * original submission at most once per claim), the files that carried them (837P or CSV, with
 * their bytes), durable X12 control-number sequences, posted 835 remittances (one per ST/TRN; a
 * trace posts once), their claims and provider-level adjustments, and bank deposits.
 * Amounts are integer cents.
 */
export const migration0150 = {
  version: 150,
  name: 'billing-files',
  sql: /* sql */ `
CREATE TABLE x12_sequences (
  practice_id TEXT NOT NULL,
  name        TEXT NOT NULL,            -- 'interchange' (ISA13 = GS06), 'pcn' (CLM01)
  last_value  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, name)
) STRICT;

CREATE TABLE claim_files (
  id             INTEGER PRIMARY KEY,
  practice_id    TEXT NOT NULL,
  format         TEXT NOT NULL CHECK (format IN ('837p','csv')),
  file_name      TEXT NOT NULL,
  control_number INTEGER,
  claim_count    INTEGER NOT NULL,
  total_cents    INTEGER NOT NULL,
  sha256         TEXT NOT NULL,
  content        BLOB NOT NULL,
  created_at     INTEGER NOT NULL,
  created_by     TEXT NOT NULL,
  delivered_to   TEXT,
  delivered_at   INTEGER
) STRICT;
CREATE INDEX claim_files_practice ON claim_files (practice_id, id);

CREATE TABLE claims (
  id            INTEGER PRIMARY KEY,
  practice_id   TEXT NOT NULL,
  pcn           TEXT NOT NULL,          -- CLM01, echoed by the payer in CLP01
  status        TEXT NOT NULL CHECK (status IN ('sent','paid','partial','denied','reversed','void')),
  frequency     TEXT NOT NULL CHECK (frequency IN ('1','7','8')),
  patient_ref   INTEGER,
  service_date  TEXT NOT NULL,          -- YYYY-MM-DD, first line
  payer_id      TEXT NOT NULL,
  payer_name    TEXT NOT NULL,
  total_cents   INTEGER NOT NULL,
  paid_cents    INTEGER NOT NULL DEFAULT 0,
  payer_icn     TEXT,                   -- CLP07, learnt from the first 835
  last_file_id  INTEGER,
  draft         TEXT NOT NULL,          -- the claim as last written (JSON)
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (practice_id, pcn)
) STRICT;
CREATE INDEX claims_service ON claims (practice_id, service_date);
CREATE INDEX claims_icn ON claims (practice_id, payer_icn) WHERE payer_icn IS NOT NULL;

-- A charge is billed in one claim, ever.
CREATE TABLE claim_lines (
  charge_record_id INTEGER PRIMARY KEY,
  claim_id         INTEGER NOT NULL REFERENCES claims(id),
  line_no          INTEGER NOT NULL
) STRICT;
CREATE INDEX claim_lines_claim ON claim_lines (claim_id, line_no);

-- Every time a claim went out; an original (frequency 1) once, replacements and voids after it.
CREATE TABLE claim_submissions (
  id        INTEGER PRIMARY KEY,
  claim_id  INTEGER NOT NULL REFERENCES claims(id),
  frequency TEXT NOT NULL CHECK (frequency IN ('1','7','8')),
  file_id   INTEGER NOT NULL REFERENCES claim_files(id),
  at        INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX claim_submissions_original ON claim_submissions (claim_id) WHERE frequency = '1';

CREATE TABLE remittances (
  id            INTEGER PRIMARY KEY,
  practice_id   TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  file_sha256   TEXT NOT NULL,
  isa_sender    TEXT NOT NULL,
  isa_control   TEXT NOT NULL,
  st_control    TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('posted','unbalanced')),
  trace         TEXT NOT NULL,          -- TRN02 check or EFT trace number
  payer_tin     TEXT NOT NULL,          -- TRN03
  payer_name    TEXT NOT NULL,
  handling      TEXT NOT NULL,          -- BPR01
  payment_cents INTEGER NOT NULL,       -- BPR02 (negative for a debit)
  method        TEXT NOT NULL,
  payment_date  TEXT,
  claim_count   INTEGER NOT NULL,
  plb_cents     INTEGER NOT NULL,
  problems      TEXT NOT NULL DEFAULT '[]',
  deposit_id    INTEGER,
  received_at   INTEGER NOT NULL,
  received_by   TEXT NOT NULL
) STRICT;
-- Re-sent with the same trace: never posted twice.
CREATE UNIQUE INDEX remittances_trace ON remittances (practice_id, trace, payer_tin) WHERE status = 'posted';
CREATE INDEX remittances_practice ON remittances (practice_id, id);

CREATE TABLE remittance_claims (
  id                 INTEGER PRIMARY KEY,
  remittance_id      INTEGER NOT NULL REFERENCES remittances(id),
  practice_id        TEXT NOT NULL,
  pcn                TEXT NOT NULL,
  status_code        TEXT NOT NULL,
  classification     TEXT NOT NULL CHECK (classification IN ('paid','partial','denied','reversed')),
  charge_cents       INTEGER NOT NULL,
  paid_cents         INTEGER NOT NULL,
  patient_resp_cents INTEGER NOT NULL,
  payer_icn          TEXT NOT NULL,
  claim_id           INTEGER,
  matched_by         TEXT CHECK (matched_by IN ('pcn','icn')),
  paired_with        INTEGER,
  adjustments        TEXT NOT NULL,     -- [{group, reason, cents}] claim and line level
  lines              TEXT NOT NULL
) STRICT;
CREATE INDEX remittance_claims_remit ON remittance_claims (remittance_id, id);
CREATE INDEX remittance_claims_claim ON remittance_claims (claim_id) WHERE claim_id IS NOT NULL;
-- Pairing a reversal with its correction looks claims up by patient control number.
CREATE INDEX remittance_claims_pcn ON remittance_claims (practice_id, pcn);

CREATE TABLE remittance_plb (
  id            INTEGER PRIMARY KEY,
  remittance_id INTEGER NOT NULL REFERENCES remittances(id),
  provider      TEXT NOT NULL,
  fiscal_date   TEXT NOT NULL,
  reason        TEXT NOT NULL,
  reference     TEXT NOT NULL,
  cents         INTEGER NOT NULL
) STRICT;
CREATE INDEX remittance_plb_remit ON remittance_plb (remittance_id);

CREATE TABLE deposits (
  id            INTEGER PRIMARY KEY,
  practice_id   TEXT NOT NULL,
  deposit_date  TEXT NOT NULL,
  amount_cents  INTEGER NOT NULL,
  trace         TEXT NOT NULL,
  trace_key     TEXT NOT NULL,          -- normalised (upper case, no leading zeros) for matching
  file_name     TEXT NOT NULL,
  line          INTEGER NOT NULL,
  remittance_id INTEGER,
  created_at    INTEGER NOT NULL,
  UNIQUE (practice_id, trace_key, amount_cents, deposit_date)
) STRICT;
CREATE INDEX deposits_date ON deposits (practice_id, deposit_date);
`,
} as const
