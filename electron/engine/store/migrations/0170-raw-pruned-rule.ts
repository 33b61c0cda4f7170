/**
 * 0170: which retention rule removed a transaction's raw payload (its period in days, and whether
 * it was the practice's rule or a per-connector override), beside `raw_pruned_at` (0070). The
 * inspector says "removed by retention on <date> (raw payloads kept 30 days, this practice's
 * rule)" instead of showing an empty payload. Rows pruned before this migration keep NULLs: the
 * date is known, the rule is not.
 */
export const migration0170 = {
  version: 170,
  name: 'raw-pruned-rule',
  sql: /* sql */ `
ALTER TABLE transactions ADD COLUMN raw_pruned_days INTEGER;
ALTER TABLE transactions ADD COLUMN raw_pruned_scope TEXT CHECK (raw_pruned_scope IN ('practice','connector'));
`,
}
