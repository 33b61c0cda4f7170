/**
 * 0160: a transaction's raw bytes in a table of their own, written once when the message is
 * stored and read once per processing attempt. In the `transactions` row they were rewritten by
 * every status change (SQLite rewrites a whole row, overflow pages included): two rewrites of a
 * 5 MB MDM message per attempt, on the thread that answers peers. The old column stays (SQLite
 * cannot drop a NOT NULL column cheaply) and holds an empty blob from now on.
 */
export const migration0160 = {
  version: 160,
  name: 'transaction-raw',
  sql: /* sql */ `
CREATE TABLE transaction_raw (
  tx_id INTEGER PRIMARY KEY,                -- transactions.id
  raw   BLOB NOT NULL
) STRICT;
INSERT INTO transaction_raw (tx_id, raw) SELECT id, raw FROM transactions WHERE length(raw) > 0;
UPDATE transactions SET raw = x'' WHERE length(raw) > 0;
`,
}
