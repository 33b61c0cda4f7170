/**
 * The one SQLCipher database. Opened with a random 256-bit raw key (no PBKDF2: the key is already
 * uniformly random, so key stretching would only cost ~200 ms per open). Every open selects the
 * cipher explicitly; the library's default cipher (chacha20) would silently not match.
 * SQLCipher v4 (AES-256-CBC + HMAC-SHA512) is kept although AEGIS-256 adds about a fifth of its
 * cost to a page: HIP-04 and NIST SP 800-111 name approved algorithms (hl7-engine/speed-log.md, "the cipher").
 */
import Database from 'better-sqlite3-multiple-ciphers'
import { chmodSync, existsSync } from 'node:fs'
import { AppError } from '../../../shared/errors'
import { cachedStatement } from './statements'

export type Db = Database.Database

export interface OpenOptions {
  file: string
  /** 64 hex characters (32 random bytes). */
  keyHex: string
  readonly?: boolean
}

const KEY_RE = /^[0-9a-f]{64}$/i

export function openDatabase(opts: OpenOptions): Db {
  if (!KEY_RE.test(opts.keyHex)) {
    throw new AppError('db_key_unavailable', 'The database key is malformed (expected 64 hex characters).')
  }
  const isNew = !existsSync(opts.file)
  let db: Db
  try {
    db = new Database(opts.file, { readonly: opts.readonly ?? false })
  } catch (e) {
    throw new AppError('db_open_failed', `Cannot open the database file ${opts.file}: ${(e as Error).message}`, { cause: e })
  }
  try {
    db.pragma(`cipher='sqlcipher'`)
    db.pragma('legacy=4')
    db.pragma(`key="x'${opts.keyHex}'"`)
    // Touch the schema: this is where a wrong key or a corrupt/plain file fails (SQLITE_NOTADB).
    db.prepare('SELECT count(*) AS n FROM sqlite_master').get()
  } catch (e) {
    db.close()
    const code = (e as { code?: string }).code
    if (code === 'SQLITE_NOTADB') {
      throw new AppError(
        'db_open_failed',
        `The database ${opts.file} cannot be decrypted: the key in the secret store does not match it, or the file is corrupt or not an encrypted Practice Studio database.`,
        { cause: e },
      )
    }
    throw new AppError('db_open_failed', `Cannot read the database ${opts.file}: ${(e as Error).message}`, { cause: e })
  }
  if (!opts.readonly) {
    // WAL: readers never block the writer. synchronous=FULL: a commit has been fsynced when it
    // returns, so "durable before acknowledged" survives power loss, not just a process crash.
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    // A backup or a second reader may hold a lock briefly; wait instead of failing the write.
    db.pragma('busy_timeout = 5000')
    // Keep temporary tables and sort spills in memory so no cleartext reaches temp files.
    db.pragma('temp_store = MEMORY')
    immediateTransactions(db)
    if (isNew) {
      for (const f of [opts.file, `${opts.file}-wal`, `${opts.file}-shm`]) {
        try {
          chmodSync(f, 0o600)
        } catch {
          /* -wal/-shm appear lazily */
        }
      }
    }
  }
  return db
}

/**
 * Other threads write to the same file (the inbox mover, store/db-worker.ts). A DEFERRED
 * transaction that has read and then writes fails at once with SQLITE_BUSY when another connection
 * committed in between (WAL cannot upgrade a stale snapshot; the busy timeout does not apply), so
 * on a writing connection `db.transaction(fn)()` takes the write lock up front, like `.immediate()`.
 * Nested calls are savepoints either way.
 */
function immediateTransactions(db: Db): void {
  const transaction = db.transaction.bind(db)
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const t = transaction(fn)
    const run = ((...args: never[]) => t.immediate(...args)) as unknown as typeof t
    return Object.assign(run, { default: t.immediate, deferred: t.deferred, immediate: t.immediate, exclusive: t.exclusive })
  }) as typeof db.transaction
}

/**
 * Runs `fn` in a savepoint of the open transaction (its own IMMEDIATE transaction when none is
 * open): it lands whole or not at all, as `db.transaction(fn)()` does. With the connection's kept
 * statements (statements.ts) instead of a transaction function built per call: building one cost ~10 µs
 * (~40 µs a message in a lane's group, where every row's apply and every queued write is a
 * savepoint; hl7-engine/speed-log.md, goal 1).
 */
export function savepoint<T>(db: Db, fn: () => T): T {
  if (!db.inTransaction) return db.transaction(fn)()
  const trusted = trusting.get(db)
  if (trusted) {
    try {
      return fn()
    } catch (e) {
      trusted.failed = true
      throw e
    }
  }
  const release = cachedStatement(db, 'RELEASE ps_row')
  cachedStatement(db, 'SAVEPOINT ps_row').run()
  try {
    const v = fn()
    release.run()
    return v
  } catch (e) {
    // A failure SQLite answered by rolling back the whole transaction (a full disk) leaves no savepoint to undo.
    if (db.inTransaction) {
      cachedStatement(db, 'ROLLBACK TO ps_row').run()
      release.run()
    }
    throw e
  }
}

/** Thrown by withoutSavepoints(): something failed inside a savepoint it skipped; run the work again with them. */
export class SavepointsNeeded extends Error {
  constructor() {
    super('a write inside a stretch without savepoints failed; it must run again with them')
  }
}

/** The connections inside withoutSavepoints(), and whether a skipped savepoint's function failed. */
const trusting = new WeakMap<Db, { failed: boolean }>()

/**
 * Runs `fn` with every savepoint() inside it skipped: each row's savepoint (SAVEPOINT, the pages it
 * touches copied to the statement journal, RELEASE) cost ~25–40 µs a level in a lane's group, two
 * levels a message (hl7-engine/speed-log.md, goal 1). A skipped savepoint was only needed if its function
 * failed; then what it half wrote is still there, so this throws SavepointsNeeded once `fn` is done
 * (even if the failure was caught inside), and the caller, whose own savepoint or transaction
 * around this call rolls everything back on that throw, runs the work again the usual way. Only
 * for work that can run twice: nothing it does outside the store may count. Nested: the outer call decides.
 */
export function withoutSavepoints<T>(db: Db, fn: () => T): T {
  if (!db.inTransaction || trusting.has(db)) return fn()
  const state = { failed: false }
  trusting.set(db, state)
  let v: T
  try {
    v = fn()
  } catch (e) {
    if (!state.failed) throw e
  } finally {
    trusting.delete(db)
  }
  if (state.failed) throw new SavepointsNeeded()
  return v!
}

/** Runs `fn` inside an IMMEDIATE transaction (takes the write lock up front, avoiding upgrade deadlocks). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate()
}

/** Maps SQLite failures that callers must treat specially (disk full, busy) to AppErrors. */
export function mapSqliteError(e: unknown): AppError {
  if (e instanceof AppError) return e
  const code = (e as { code?: string }).code ?? ''
  if (code === 'SQLITE_FULL') return new AppError('storage_full', 'The disk is full: the message was not stored.', { cause: e })
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new AppError('db_locked', 'The database is busy.', { cause: e })
  if (code.startsWith('SQLITE_IOERR')) return new AppError('storage_full', 'The database could not write to disk.', { cause: e, retryable: true })
  return new AppError('internal', 'Database error', { cause: e })
}
