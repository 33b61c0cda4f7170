/**
 * FHIR errors as data (reference fhir.md §1.4): an OperationOutcome's first error becomes the
 * AppError message (`issue[].details.text`, else `diagnostics`, else the issue code); the status
 * decides the code. athena answers some not-found cases as a 400 whose text starts
 * "1 validation error for" (M, a production client): that is not_found too, never retried.
 */
import { AppError, type ErrorCode } from '../../../../../shared/errors'

export interface OutcomeIssue {
  severity: string
  code: string
  text: string
  expression?: string[]
}

export function issuesOf(body: unknown): OutcomeIssue[] {
  if (!body || typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'OperationOutcome') return []
  const issues = (body as { issue?: unknown }).issue
  if (!Array.isArray(issues)) return []
  return issues.map((raw: unknown) => {
    const i = (raw ?? {}) as { severity?: unknown; code?: unknown; diagnostics?: unknown; details?: { text?: unknown }; expression?: unknown }
    return {
      severity: String(i.severity ?? 'error'),
      code: String(i.code ?? 'unknown'),
      text: String(i.details?.text ?? i.diagnostics ?? i.code ?? ''),
      expression: Array.isArray(i.expression) ? i.expression.map(String) : undefined,
    }
  })
}

export function errorFromOutcome(status: number, body: unknown, ctx: { endpoint: string; requestId: string }): AppError {
  const issues = issuesOf(body)
  const first = issues.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? issues[0]
  const text = first?.text ?? (typeof body === 'string' && body.trim() && !body.trim().startsWith('<') ? body.trim().slice(0, 200) : `HTTP ${status}`)
  let code: ErrorCode
  if (status === 404 || status === 410 || /^1 validation error for/i.test(text)) code = 'not_found'
  else if (status === 401 || status === 403) code = 'auth_failed'
  else if (status === 409 || status === 412) code = 'conflict'
  else if (status === 400 || status === 422) code = 'validation_error'
  else code = 'remote_rejected'
  return new AppError(code, `FHIR server: ${text}`, {
    retryable: false,
    details: { status, endpoint: ctx.endpoint, requestId: ctx.requestId, issues: issues.slice(0, 10) },
  })
}
