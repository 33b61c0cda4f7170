/**
 * 0190: an hourly rollup of transactions per (practice, connector, channel), so the dashboard's
 * 7- and 30-day windows read ~720 small rows per lane instead of every transaction in the window
 * (console/tx-rollup.ts, console/console-queries.ts). An hour holds what was *received* in it and
 * how those rows stand now, exactly what the dashboard's direct count gives.
 *
 * Kept by triggers, so every writer keeps it in the same transaction as its own write: the mover's
 * insert, a lane's outcome, a reprocess (error → queued), a discard, the pruner's delete, whatever
 * thread it runs on. The UPDATE trigger fires only when a row enters or leaves a finished status
 * (received → processing costs nothing). practice_id, connector, channel and received_at are never
 * updated after insert (the trigger would count under the old hour otherwise; nothing does).
 * If it is found missing or out of step with the store, console/tx-rollup.ts rebuilds it.
 */
export const migration0190 = {
  version: 190,
  name: 'tx-hourly',
  sql: /* sql */ `
CREATE TABLE tx_hourly (
  practice_id TEXT NOT NULL,
  connector   TEXT NOT NULL,
  channel     TEXT NOT NULL,
  hour        INTEGER NOT NULL,             -- received_at / 3,600,000 (UTC hours since the epoch)
  received    INTEGER NOT NULL,
  done        INTEGER NOT NULL,
  filtered    INTEGER NOT NULL,
  error       INTEGER NOT NULL,
  discarded   INTEGER NOT NULL,
  PRIMARY KEY (practice_id, connector, channel, hour)
) STRICT, WITHOUT ROWID;

INSERT INTO tx_hourly (practice_id, connector, channel, hour, received, done, filtered, error, discarded)
  SELECT practice_id, connector, channel, received_at / 3600000, count(*), sum(status = 'done'), sum(status = 'filtered'),
         sum(status = 'error'), sum(status = 'discarded')
  FROM transactions INDEXED BY tx_practice_channel GROUP BY practice_id, connector, channel, received_at / 3600000;

CREATE TRIGGER tx_hourly_insert AFTER INSERT ON transactions BEGIN
  INSERT INTO tx_hourly (practice_id, connector, channel, hour, received, done, filtered, error, discarded)
  VALUES (new.practice_id, new.connector, new.channel, new.received_at / 3600000, 1, new.status = 'done',
          new.status = 'filtered', new.status = 'error', new.status = 'discarded')
  ON CONFLICT DO UPDATE SET received = received + 1, done = done + excluded.done, filtered = filtered + excluded.filtered,
    error = error + excluded.error, discarded = discarded + excluded.discarded;
END;

CREATE TRIGGER tx_hourly_status AFTER UPDATE OF status ON transactions
WHEN old.status IS NOT new.status
  AND (old.status IN ('done','filtered','error','discarded') OR new.status IN ('done','filtered','error','discarded'))
BEGIN
  UPDATE tx_hourly SET
    done      = done      + (new.status = 'done')      - (old.status = 'done'),
    filtered  = filtered  + (new.status = 'filtered')  - (old.status = 'filtered'),
    error     = error     + (new.status = 'error')     - (old.status = 'error'),
    discarded = discarded + (new.status = 'discarded') - (old.status = 'discarded')
  WHERE practice_id = old.practice_id AND connector = old.connector AND channel = old.channel AND hour = old.received_at / 3600000;
END;

CREATE TRIGGER tx_hourly_delete AFTER DELETE ON transactions BEGIN
  UPDATE tx_hourly SET received = received - 1, done = done - (old.status = 'done'), filtered = filtered - (old.status = 'filtered'),
    error = error - (old.status = 'error'), discarded = discarded - (old.status = 'discarded')
  WHERE practice_id = old.practice_id AND connector = old.connector AND channel = old.channel AND hour = old.received_at / 3600000;
END;
`,
}
