/**
 * What an operator should do about each kind of failure, keyed by error code. A parse error or a
 * type the interface does not take is the sender's to fix (or a policy to change), not the
 * mapping's; a code-map miss is one entry in the studio's worklist; a network failure resolves
 * itself or is the connection's. Kept as data here so the console only renders it.
 */
import type { ErrorAdvice } from '../../../shared/api/errors-queue'
import type { ErrorCode } from '../../../shared/errors'

const MAPPING: ErrorAdvice = {
  fix: 'mapping',
  title: 'Fix the mapping, then reprocess',
  steps: ['Open the mapping set named in the message in the mapping studio and correct the field or rule it names.', 'Publish the change, then reprocess the group.'],
}
const CONNECTION: ErrorAdvice = {
  fix: 'connection',
  title: 'Check the connection, then reprocess',
  steps: ['Run the connectivity test of the interface or connection (Connections page).', 'Once it passes, reprocess the group; retryable failures were already retried with backoff.'],
}

export const ERROR_ADVICE: Partial<Record<ErrorCode, ErrorAdvice>> = {
  parse_error: {
    fix: 'sender',
    title: 'The sending system sent a message that is not valid HL7',
    steps: [
      'The message was answered AR and kept as received; nothing in the mapping can fix it.',
      'Ask the sender to correct the field the message names and resend it, or correct this copy with "Edit and reprocess".',
    ],
  },
  unsupported_message: {
    fix: 'sender',
    title: 'A message type or version this interface does not take',
    steps: [
      'Either the sender should not send it here, or the interface should take it: set "Types it does not process" to "Acknowledge and ignore" on the interface to keep such messages as filtered instead of failing them.',
      'A version or character set the engine cannot read is for the sender to change.',
    ],
  },
  code_map_miss: {
    fix: 'mapping',
    title: 'Add the missing code to the code map, then reprocess',
    steps: ['The message names the code and the code map. Add an entry for it (Mapping studio → Unmapped codes lists every miss).', 'Publish, then reprocess the group.'],
  },
  mapping_error: MAPPING,
  validation_error: {
    fix: 'mapping',
    title: 'A value breaks a rule of the mapping',
    steps: ['If the sender is right, relax the rule of the field the message names in the mapping studio and reprocess.', 'If the value is wrong, ask the sender to correct and resend it, or fix this copy with "Edit and reprocess".'],
  },
  unknown_patient: {
    fix: 'patient',
    title: 'The patient is not known yet',
    steps: ['Reprocess once the patient exists (the registration usually arrives later), or change the practice\'s unknown-patient rule to create or match patients.'],
  },
  storage_full: { fix: 'engine', title: 'The disk is full', steps: ['Free space on the disk of the data folder; the engine resumes by itself.'] },
  timeout: CONNECTION,
  connection_refused: CONNECTION,
  connection_reset: CONNECTION,
  network_error: CONNECTION,
  tls_error: { fix: 'connection', title: 'The TLS handshake failed', steps: ['Check the certificates and CA file of the connection, then run its connectivity test.'] },
  auth_failed: { fix: 'configuration', title: 'The credentials were refused', steps: ['Enter the client secret again on the Connections page and run the connectivity test.'] },
  rate_limited: { fix: 'wait', title: 'athenaNet asked us to slow down', steps: ['Nothing to fix: the call is retried after the wait athenaNet asked for. Reprocess if it ran out of attempts.'] },
  quota_exhausted: { fix: 'wait', title: 'The daily quota is used up', steps: ['Calls resume after the quota resets (midnight GMT). Reprocess the group then, or raise the quota with athenahealth.'] },
  circuit_open: { fix: 'wait', title: 'athenaNet failed repeatedly; calls are paused', steps: ['The circuit breaker probes again by itself. Check athenaNet\'s status; reprocess once calls succeed.'] },
  remote_error: CONNECTION,
  remote_rejected: { fix: 'sender', title: 'The other system refused the data', steps: ['Read its answer in the inspector (Response), correct the record or the mapping, then reprocess.'] },
  ack_reject: { fix: 'sender', title: 'The receiving system answered AR', steps: ['Read its text in the inspector; correct the record or the outbound mapping, then reprocess.'] },
  ack_error: CONNECTION,
  ack_mismatch: CONNECTION,
  duplicate: { fix: 'wait', title: 'Already processed', steps: ['The same message was processed before; discard this copy.'] },
}

const FALLBACK: ErrorAdvice = { fix: 'engine', title: 'An unexpected failure', steps: ['Open a transaction of the group: its steps show where it failed. The engine log has the error type.', 'Reprocess once the cause is fixed.'] }

export function adviceFor(code: string): ErrorAdvice {
  return ERROR_ADVICE[code as ErrorCode] ?? FALLBACK
}
