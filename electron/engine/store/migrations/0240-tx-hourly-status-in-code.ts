/**
 * 0240: the hourly rollup's status trigger (0190's `tx_hourly_status`) dropped. It cost every
 * status change ~0.1 ms of the processing thread (15–40 % of an ADT or SIU message; hl7-engine
 * README, issue #15). The same counts are now kept by the one place that changes a transaction's
 * status, `pipeline/transactions-repo.ts` (an outcome, a reprocess or edit, a discard): each change
 * is counted in memory against the status the row had, and a group of outcomes writes one UPDATE
 * per (lane, hour) in the same transaction as the rows. Inserts (the mover's, receive()'s) and
 * deletes (retention, a practice deleted) keep their triggers: one row each, off the hot path.
 */
export const migration0240 = {
  version: 240,
  name: 'tx-hourly-status-in-code',
  sql: /* sql */ `
DROP TRIGGER tx_hourly_status;
`,
}
