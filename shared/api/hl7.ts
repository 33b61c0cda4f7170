import { z } from 'zod'
import { hl7FilterRuleSchema } from '../config'
import { method } from './define'

/** What listeners and destinations share: the connection and where it points. */
const hl7EndpointSchema = z.object({
  connectionId: z.string(),
  practiceId: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  tls: z.boolean(),
})

export const hl7ListenerDetailsSchema = hl7EndpointSchema.extend({
  ackMode: z.enum(['commit', 'application']),
  state: z.enum(['listening', 'stopped', 'error']),
  error: z.string().nullable(),
  startedAt: z.number().nullable(),
  /** Connected peers (address:port), when they connected and how many frames each sent. */
  peers: z.array(z.object({ peer: z.string(), since: z.number(), frames: z.number().int() })),
  /** Since the listener started: frames, ACK outcomes, refusals, oversized frames, timeouts. */
  counters: z.record(z.string(), z.number().nullable()),
})
export type Hl7ListenerDetails = z.infer<typeof hl7ListenerDetailsSchema>

export const hl7DestinationDetailsSchema = hl7EndpointSchema.extend({
  enabled: z.boolean(),
  connected: z.boolean(),
  /** Outbound transactions of this destination still to send (received, queued or processing). */
  pending: z.number().int(),
  lastChangeId: z.number().int().nullable(),
})
export type Hl7DestinationDetails = z.infer<typeof hl7DestinationDetailsSchema>

export const hl7SendTestResultSchema = z.object({
  ok: z.boolean(),
  controlId: z.string(),
  durationMs: z.number(),
  /** The peer's acknowledgment, when one came back. */
  ack: z
    .object({
      code: z.string(),
      controlId: z.string(),
      text: z.string().nullable(),
      errors: z.array(z.object({ code: z.string().optional(), codeText: z.string().optional(), userMessage: z.string().optional(), location: z.string().optional() })),
    })
    .nullable(),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
})
export type Hl7SendTestResult = z.infer<typeof hl7SendTestResultSchema>

/** What an inbound interface would do with one message, decided the way the listener and the handler decide. */
export const hl7TryInterfaceResultSchema = z.object({
  messageType: z.string(),
  controlId: z.string(),
  processingId: z.string().nullable(),
  /** refused: answered AR at the door (type not supported or not in the interface's list); filtered: stored as `filtered`; accepted: processed. */
  outcome: z.enum(['refused', 'filtered', 'accepted']),
  /** The rule that filtered it (or `no-accept-rule-matched`), when filtered. */
  rule: z.string().nullable(),
  reason: z.string(),
  /** Every rule in order and whether its criteria all hold (the first that holds decides). */
  rules: z.array(z.object({ name: z.string(), action: z.enum(['accept', 'reject']), matches: z.boolean() })),
})
export type Hl7TryInterfaceResult = z.infer<typeof hl7TryInterfaceResultSchema>

export const hl7Api = {
  /** Inbound MLLP listeners with their peers and counters (all practices, or one). */
  'hl7.listeners': method('msg.view_meta', z.object({ practiceId: z.string().optional() }), z.array(hl7ListenerDetailsSchema)),
  /** Outbound destinations with their connection state and queue depth. */
  'hl7.destinations': method('msg.view_meta', z.object({ practiceId: z.string().optional() }), z.array(hl7DestinationDetailsSchema)),
  /**
   * Sends a test message (MSH-11 = T; by default a harmless NMD^N02) to an outbound destination
   * right now, outside its queue, and returns the peer's ACK. `ok` means an ACK for the test's
   * control id came back, whatever its code (an AR to an NMD still proves the round trip).
   */
  'hl7.sendTest': method('conn.start_stop',
    z.object({ id: z.string().min(1), messageType: z.enum(['NMD^N02', 'SIU^S12', 'ADT^A08']).default('NMD^N02') }),
    hl7SendTestResultSchema,
  ),
  /**
   * Tries an inbound interface's message-type list and filter rules (unsaved, as edited) on one
   * message pasted by the operator; nothing is stored. An unparseable message is a `parse_error`.
   */
  'hl7.tryInterface': method('conn.manage',
    z.object({
      messageTypes: z.array(z.string()).default([]),
      filters: z.array(hl7FilterRuleSchema).default([]),
      unsupportedTypes: z.enum(['ignore', 'reject']).default('ignore'),
      message: z.string().min(1).max(4 * 1024 * 1024),
    }),
    hl7TryInterfaceResultSchema,
  ),
  /** The message types the engine processes and what each does. */
  'hl7.supportedTypes': method('session',
    z.object({}).strict(),
    z.array(z.object({ messageType: z.string(), action: z.string(), record: z.string(), mappingSet: z.string() })),
  ),
}
