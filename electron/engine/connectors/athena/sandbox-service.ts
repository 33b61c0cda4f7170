/**
 * The local athenaNet sandbox, in-process, for the built-in sandbox practice: so a first run can
 * explore, design mappings and run every workflow with no credentials. It listens on 127.0.0.1 on
 * an OS-assigned port while any enabled athena-rest connection uses environment `sandbox` (and no
 * base URL of its own), and stops when none does. On first run the built-in practice gets its
 * `athena` connection with the sandbox's published demo credentials; the secret goes through the
 * connections repo, so it lands in the keychain and the audit trail (as `system`).
 */
import type { ListenerStatus } from '../../../../shared/api/system'
import { AppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import type { Service, ServiceStatus } from '../../core/service'
import { SANDBOX_PRACTICE_ID } from '../../practices/practices-repo'
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, startAthenaSandbox, type AthenaSandbox, type AthenaSandboxOptions } from '../../../sandbox/athena'
import type { AthenaRuntime } from './runtime'

export const SANDBOX_CONNECTION_ID = 'sandbox-athena'
const SEEDED_KEY = 'athena.sandbox_connection_seeded'

export class AthenaSandboxService implements Service {
  readonly name = 'athena-sandbox'
  private sb: AthenaSandbox | null = null
  private error: string | null = null
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly ctx: EngineContext,
    private readonly runtime: AthenaRuntime,
    private readonly options: AthenaSandboxOptions = {},
  ) {}

  get sandbox(): AthenaSandbox | null {
    return this.sb
  }

  async start(): Promise<void> {
    await this.ensureSandboxConnection()
    await this.reconcile()
  }

  reload(): Promise<void> {
    return this.reconcile()
  }

  async stop(): Promise<void> {
    await this.serialise(async () => {
      if (this.sb) await this.sb.close()
      this.sb = null
      this.runtime.sandboxUrl = null
    })
  }

  status(): ServiceStatus {
    if (this.error) return { name: this.name, state: 'error', detail: this.error }
    return this.sb ? { name: this.name, state: 'running', detail: this.sb.url } : { name: this.name, state: 'stopped', detail: 'no connection uses the local sandbox' }
  }

  listeners(): ListenerStatus[] {
    if (!this.sb) return []
    const users = this.users()
    return [{ kind: 'athena-sandbox', practiceId: users[0]?.practiceId ?? SANDBOX_PRACTICE_ID, name: 'athenanet', host: '127.0.0.1', port: this.sb.port, state: 'listening', connections: users.length }]
  }

  private users(): { practiceId: string; id: string }[] {
    return this.ctx.connections
      .list()
      .filter(
        (c) =>
          c.enabled &&
          ((c.kind === 'athena-rest' && c.config.environment === 'sandbox' && !c.config.baseUrl) ||
            // A FHIR connection on the sandbox preset talks to the same sandbox's /fhir/r4.
            (c.kind === 'fhir-r4' && (c.config.preset ?? 'sandbox') === 'sandbox' && !c.config.baseUrl)),
      )
      .map((c) => ({ practiceId: c.practiceId, id: c.id }))
  }

  private serialise(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  private reconcile(): Promise<void> {
    return this.serialise(async () => {
      const wanted = this.users().length > 0
      if (wanted && !this.sb) {
        try {
          this.sb = await startAthenaSandbox({ host: '127.0.0.1', port: 0, clock: this.ctx.clock, logger: this.ctx.logger.child({ component: 'athena-sandbox' }), ...this.options })
          this.runtime.sandboxUrl = this.sb.url
          this.error = null
        } catch (e) {
          this.error = `the local athenaNet sandbox could not start: ${(e as Error).message}`
          this.ctx.logger.error('athena sandbox failed to start', { error: (e as Error).name })
        }
      } else if (!wanted && this.sb) {
        await this.sb.close()
        this.sb = null
        this.runtime.sandboxUrl = null
      }
      this.runtime.invalidate()
    })
  }

  /** First run only: an operator who deletes the connection later keeps it deleted. */
  private async ensureSandboxConnection(): Promise<void> {
    const { ctx } = this
    const seeded = ctx.db.prepare('SELECT value FROM settings WHERE key = ?').get(SEEDED_KEY) as { value: string } | undefined
    if (seeded) return
    const practice = ctx.practices.find(SANDBOX_PRACTICE_ID)
    if (practice && !ctx.connections.list(SANDBOX_PRACTICE_ID).some((c) => c.kind === 'athena-rest')) {
      try {
        ctx.connections.create(SANDBOX_PRACTICE_ID, { kind: 'athena-rest', name: 'athena', enabled: true, config: { environment: 'sandbox', clientId: DEFAULT_CLIENT_ID } as never }, 'system', SANDBOX_CONNECTION_ID)
        await ctx.connections.setSecret(SANDBOX_CONNECTION_ID, 'client_secret', DEFAULT_CLIENT_SECRET, 'system')
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'conflict')) throw e
      }
    }
    ctx.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(SEEDED_KEY, String(ctx.clock.now()))
  }
}
