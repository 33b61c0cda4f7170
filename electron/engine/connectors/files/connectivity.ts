/**
 * Connectivity test of a file location, step by step: DNS → TCP → TLS/SSH handshake with the
 * pinned identity → login → list → write, rename and delete a probe file in the scratch folder.
 * Also what the "accept this fingerprint" dialog asks: the identity the server presents now.
 */
import { randomUUID } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import type { ConnectivityResult, ConnectivityStep } from '../../../../shared/api/connections'
import { AppError, toErrorData } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import type { StoredConnection } from '../../practices/connections-repo'
import { openTransport } from './transports/open-transport'
import { joinPath, type ConnectPhase, type FileTransport } from './transports/transport'

const PHASES: readonly ConnectPhase[] = ['tcp', 'handshake', 'auth']
const PHASE_STEP: Record<ConnectPhase, string> = { tcp: 'tcp', handshake: 'handshake', auth: 'login' }

export function locationTester(ctx: EngineContext) {
  return async (conn: StoredConnection): Promise<ConnectivityResult> => {
    const clock = ctx.clock
    const steps: ConnectivityStep[] = []
    let t0 = clock.monotonic()
    const pass = (step: string, detail?: string): void => {
      steps.push({ step, ok: true, durationMs: Math.round(clock.monotonic() - t0), ...(detail ? { detail } : {}) })
      t0 = clock.monotonic()
    }
    const failAt = (step: string, e: unknown): void => {
      const err = toErrorData(e)
      steps.push({ step, ok: false, durationMs: Math.round(clock.monotonic() - t0), error: { code: err.code, message: err.message, retryable: err.retryable } })
    }
    const result = (ok: boolean): ConnectivityResult => ({ connectionId: conn.id, name: conn.name, kind: conn.kind, ok, steps, at: clock.now() })
    const cfg = conn.config as { host?: string; scratchFolder?: string }
    if (conn.kind !== 'folder') {
      try {
        const a = await lookup(String(cfg.host))
        pass('dns', `${cfg.host} → ${a.address}`)
      } catch (e) {
        failAt('dns', new AppError('network_error', `${cfg.host} could not be resolved (${(e as NodeJS.ErrnoException).code ?? 'error'}).`))
        return result(false)
      }
    }
    let done = 0
    let t: FileTransport
    try {
      t = await openTransport(conn, (id, f) => ctx.connections.getSecret(id, f), {
        onPhase: (phase, detail) => {
          if (PHASES.indexOf(phase) < done) return
          pass(PHASE_STEP[phase], detail)
          done = PHASES.indexOf(phase) + 1
        },
      })
    } catch (e) {
      failAt(PHASE_STEP[PHASES[done] ?? 'auth'], e)
      return result(false)
    }
    try {
      const entries = await t.list('')
      pass('list', `${entries.length} entries`)
      const scratch = String(cfg.scratchFolder ?? '.psc-probe')
      const id = randomUUID().slice(0, 8)
      const tmp = joinPath(scratch, `.psc-probe-${id}.tmp`)
      const final = joinPath(scratch, `psc-probe-${id}.txt`)
      await t.mkdirp(scratch)
      await t.put(tmp, Buffer.from(`Practice Studio connectivity probe ${new Date(clock.now()).toISOString()}\n`))
      await t.rename(tmp, final)
      await t.delete(final)
      pass('probe', `wrote, renamed and deleted ${final}`)
      return result(true)
    } catch (e) {
      failAt(steps.some((s) => s.step === 'list') ? 'probe' : 'list', e)
      return result(false)
    } finally {
      await t.close()
    }
  }
}

export interface PresentedIdentity {
  kind: 'ssh-host-key' | 'tls-certificate'
  fingerprint: string
  /** Key type (ssh-ed25519, …) or certificate subject. */
  label: string
  pinned: string | null
  matches: boolean
}

/** Connects far enough to see the server's identity (never logs in) and reports it with the pin. */
export async function presentedIdentity(ctx: EngineContext, conn: StoredConnection): Promise<PresentedIdentity> {
  if (conn.kind !== 'sftp' && conn.kind !== 'ftps') throw new AppError('invalid_input', 'Only SFTP and FTPS locations have a server identity to pin.', { retryable: false })
  const pinKey = conn.kind === 'sftp' ? 'hostKeySha256' : 'certSha256'
  const pinned = (conn.config[pinKey] as string | null | undefined) ?? null
  // Password auth with a placeholder: no key is parsed, and no credential is sent before the identity is refused.
  const unpinned: StoredConnection = { ...conn, config: { ...conn.config, [pinKey]: null, ...(conn.kind === 'sftp' ? { auth: 'password' } : {}) } }
  try {
    // With no pin, the transport stops right after the handshake (before any credential is sent).
    // A client certificate's key is the exception: a server that requires one completes no handshake without it.
    const t = await openTransport(unpinned, async (id, field) => (field === 'tls_key' ? ctx.connections.getSecret(id, field) : 'unused-for-identity'), {})
    await t.close()
  } catch (e) {
    const err = toErrorData(e)
    if (err.code === 'identity_unknown') {
      const d = err.details as { fingerprint: string; keyType?: string; subject?: string }
      return { kind: conn.kind === 'sftp' ? 'ssh-host-key' : 'tls-certificate', fingerprint: d.fingerprint, label: d.keyType ?? d.subject ?? '', pinned, matches: pinned === d.fingerprint }
    }
    throw e
  }
  throw new AppError('internal', 'The server was reached without its identity being checked.', { retryable: false })
}
