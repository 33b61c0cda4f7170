import type { AppErrorData } from '../../../shared/errors'
import type { TxStatus } from '../../../shared/api/transactions'

export type Direction = 'in' | 'out'
export type ContentType = 'hl7v2' | 'json' | 'csv' | 'text'

/** Something received (or to be sent) that must be stored before anything else happens. */
export interface IncomingTx {
  practiceId: string
  connector: string
  channel: string
  direction: Direction
  messageType?: string | null
  contentType: ContentType
  raw: Buffer
  peer?: string | null
  controlId?: string | null
  mrn?: string | null
  patientId?: string | null
  appointmentId?: string | null
  /** Idempotency key within (practice, channel); a second receive with the same key returns the first row. */
  dedupKey?: string | null
  /** Stored with the row, e.g. the ACK that will be sent once this commit returns. */
  response?: string | null
  /** Text indexed for free-text search (defaults to the raw payload as UTF-8). */
  searchText?: string | null
  /** Store without processing (e.g. a message rejected at the door); goes straight to `error`. */
  error?: AppErrorData | null
  /** Process no earlier than this time (epoch ms). */
  notBefore?: number | null
  /**
   * The caller is done with `raw` once it hands it over (a received frame): the ingest writer may
   * move its memory to its thread instead of copying it, after which `raw` reads as empty.
   */
  handOverRaw?: boolean
}

export interface ReceiveResult {
  id: number
  duplicate: boolean
  /** For a duplicate: the response stored with the original (e.g. its ACK). */
  response: string | null
  status: TxStatus
}

export interface TxRow {
  id: number
  practice_id: string
  connector: string
  channel: string
  direction: Direction
  message_type: string | null
  status: TxStatus
  attempts: number
  received_at: number
  updated_at: number
  started_at: number | null
  finished_at: number | null
  duration_ms: number | null
  next_attempt_at: number | null
  peer: string | null
  control_id: string | null
  mrn: string | null
  patient_id: string | null
  appointment_id: string | null
  dedup_key: string | null
  content_type: ContentType
  raw: Buffer
  raw_sha256: string
  /** When retention removed the raw payload (null: it is kept), and by which rule (0170; null for rows pruned before it). */
  raw_pruned_at: number | null
  raw_pruned_days: number | null
  raw_pruned_scope: 'practice' | 'connector' | null
  payload_version: number
  parsed: string | null
  mapped: string | null
  outbound: string | null
  response: string | null
  error_code: string | null
  error_message: string | null
  error_retryable: number | null
  error_group: string | null
  error_at: number | null
  filtered_by: string | null
  triage_state: string | null
  triage_note: string | null
  discard_reason: string | null
}

/** A row as a lane reads it: everything but the raw bytes (megabytes for a big message), read once per attempt. */
export type LaneRow = Omit<TxRow, 'raw'>

/**
 * A pending row as its lane's query returns it: with the size of the payload it will process (the
 * group's big-message check reads it there, not in a query of its own per row) and, when that is the
 * original and small (INLINE_RAW_BYTES), the bytes themselves: Outcomes gives them to the attempt as
 * its payload, so payloadOf() reads only a big or an edited one.
 */
export type PendingRow = LaneRow & { payload_bytes: number; inline_raw: Buffer | null }
