/**
 * A small connector handler that exists only for the tests. Its payload is JSON that says how it
 * should behave ({ id, behavior }), so each test states the outcome it is about:
 *   ok            parse → filter → map → apply (apply upserts one patient record keyed by id)
 *   filter        the filter step rejects it with rule "test-drop-rule"
 *   permanent     apply throws a non-retryable AppError (validation_error)
 *   retryable     apply throws a retryable AppError (remote_error) on every attempt
 *   broken-until-fixed  apply fails (validation_error) while the id is in `broken`
 *   gate          apply waits until the test opens the gate for this id
 * Every run is recorded in `runs` so tests can check order, attempts and what the handler saw.
 */
import { AppError } from '../../../../shared/errors'
import type { ConnectorHandler, ProcessContext } from '../../../../electron/engine/pipeline/connector-handler'

export interface TestMessage {
  id: string
  behavior?: 'ok' | 'filter' | 'permanent' | 'retryable' | 'broken-until-fixed' | 'gate'
  patient?: { last_name?: string; mrn?: string }
}

export interface HandlerRun {
  txId: number
  messageId: string
  attempt: number
  statusSeen: string
  payloadVersion: number
  payload: string
  at: number
  scheduledAt: number | null
  stage: 'apply-start' | 'apply-done' | 'apply-failed'
}

export interface TestHandlerControl {
  handler: ConnectorHandler<TestMessage, TestMessage>
  runs: HandlerRun[]
  broken: Set<string>
  openGate(id: string): void
}

export function createTestHandler(opts: { connector?: string; maxAttempts?: number; backoff?: { baseMs: number; capMs: number } } = {}): TestHandlerControl {
  const runs: HandlerRun[] = []
  const broken = new Set<string>()
  const gates = new Map<string, { promise: Promise<void>; open: () => void }>()
  const gate = (id: string) => {
    let g = gates.get(id)
    if (!g) {
      let open!: () => void
      const promise = new Promise<void>((r) => (open = r))
      g = { promise, open }
      gates.set(id, g)
    }
    return g
  }
  const note = (ctx: ProcessContext, m: TestMessage, stage: HandlerRun['stage']): void => {
    runs.push({
      txId: ctx.tx.id,
      messageId: m.id,
      attempt: ctx.attempt,
      statusSeen: ctx.tx.status,
      payloadVersion: ctx.tx.payload_version,
      payload: ctx.payload.toString('utf8'),
      at: ctx.clock.now(),
      scheduledAt: ctx.tx.next_attempt_at,
      stage,
    })
  }
  const handler: ConnectorHandler<TestMessage, TestMessage> = {
    connector: opts.connector ?? 'test',
    direction: 'in',
    maxAttempts: opts.maxAttempts ?? 3,
    backoff: opts.backoff ?? { baseMs: 5, capMs: 20 },
    parse(ctx) {
      let m: TestMessage
      try {
        m = JSON.parse(ctx.payload.toString('utf8')) as TestMessage
      } catch {
        throw new AppError('parse_error', `Transaction ${ctx.tx.id} is not JSON.`)
      }
      ctx.setKeys({ controlId: m.id, messageType: 'TEST' })
      ctx.setParsed({ id: m.id, behavior: m.behavior ?? 'ok' })
      return m
    },
    filter(m) {
      return m.behavior === 'filter' ? { accept: false, rule: 'test-drop-rule', reason: 'behaviour says filter' } : { accept: true }
    },
    map(m, ctx) {
      ctx.setMapped({ id: m.id })
      return m
    },
    async apply(m, ctx) {
      note(ctx, m, 'apply-start')
      try {
        if (m.behavior === 'gate') await gate(m.id).promise
        if (m.behavior === 'permanent') throw new AppError('validation_error', `Message ${m.id} cannot be applied (test).`)
        if (m.behavior === 'retryable') throw new AppError('remote_error', `Remote said 503 for ${m.id} (test).`)
        if (m.behavior === 'broken-until-fixed' && broken.has(m.id)) throw new AppError('validation_error', `Message ${m.id} is broken (test).`)
        ctx.records.upsert({
          practiceId: ctx.tx.practice_id,
          kind: 'patient',
          ids: [{ system: 'test-msg', value: m.id }],
          data: { mrn: m.patient?.mrn ?? m.id, last_name: m.patient?.last_name ?? 'Tester' },
          txId: ctx.tx.id,
        })
        ctx.setResponse(`OK ${m.id}`)
        note(ctx, m, 'apply-done')
      } catch (e) {
        note(ctx, m, 'apply-failed')
        throw e
      }
    },
  }
  return { handler, runs, broken, openGate: (id) => gate(id).open() }
}

export function msg(m: TestMessage): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8')
}
