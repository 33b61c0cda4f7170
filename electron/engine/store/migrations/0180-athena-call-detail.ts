/**
 * 0180: the headers and bodies of each athenaNet call, redacted as the logged path is (PHI values
 * by parameter or key name, credentials never; client/redact.ts) and cut at 16 KiB per body. In a
 * table of their own so the log's list and its indexes stay small; a trigger removes a call's
 * detail with the call, so every retention path (age, row count, per practice) prunes both.
 */
export const migration0180 = {
  version: 180,
  name: 'athena-call-detail',
  sql: /* sql */ `
CREATE TABLE athena_api_call_detail (
  call_id          INTEGER PRIMARY KEY,       -- athena_api_calls.id
  request_headers  TEXT NOT NULL,             -- JSON object, credentials replaced by "(not stored)"
  request_body     TEXT,
  response_headers TEXT NOT NULL,
  response_body    TEXT
) STRICT;
CREATE TRIGGER athena_api_calls_detail_prune AFTER DELETE ON athena_api_calls
BEGIN
  DELETE FROM athena_api_call_detail WHERE call_id = old.id;
END;
`,
}
