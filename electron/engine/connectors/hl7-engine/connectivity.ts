/**
 * Connectivity tests for HL7 interfaces (connections.test) and the "send a test message" call.
 * Inbound: configuration valid, listener bound, peers connected. Outbound: TCP connect (and TLS
 * handshake), plus, when the destination asks for it (`testRoundTrip`), a test message whose ACK
 * must come back for the control id sent.
 */
import net from 'node:net'
import tls from 'node:tls'
import { hl7InboundConfigSchema, hl7OutboundConfigSchema } from '../../../../shared/config'
import type { ConnectivityResult, ConnectivityStep } from '../../../../shared/api/connections'
import type { Hl7SendTestResult } from '../../../../shared/api/hl7'
import { AppError, isAppError, toErrorData } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import type { EngineContext } from '../../core/engine-context'
import type { Logger } from '../../core/logger'
import type { StoredConnection } from '../../practices/connections-repo'
import { DEFAULT_DELIMITERS, encodeEscapes, encodeHl7Text, formatHl7Timestamp, mapSocketError, newControlId, type ParsedAck } from '../hl7'
import type { Hl7Interfaces, OutboundDestination } from './interfaces'
import type { Hl7ListenerService } from './listener-service'
import { createSender, senderTls } from './outbound/destinations'
import { buildSiu, zoneOffsetMinutes } from './outbound/siu-builder'
import { tlsFolders } from '../../core/tls-files'

async function step(steps: ConnectivityStep[], clock: Clock, name: string, fn: () => Promise<string | undefined> | string | undefined): Promise<boolean> {
  const t0 = clock.monotonic()
  try {
    const detail = await fn()
    steps.push({ step: name, ok: true, durationMs: Math.round(clock.monotonic() - t0), ...(detail ? { detail } : {}) })
    return true
  } catch (e) {
    const err = toErrorData(e)
    steps.push({ step: name, ok: false, durationMs: Math.round(clock.monotonic() - t0), error: { code: err.code, message: err.message, retryable: err.retryable } })
    return false
  }
}

export function inboundTester(ctx: EngineContext, listeners: () => Hl7ListenerService | undefined) {
  return async (conn: StoredConnection): Promise<ConnectivityResult> => {
    const steps: ConnectivityStep[] = []
    const clock = ctx.clock
    const ok =
      (await step(steps, clock, 'configuration', () => {
        hl7InboundConfigSchema.parse(conn.config)
        return undefined
      })) &&
      (await step(steps, clock, 'listener', () => {
        if (!conn.enabled) throw new AppError('conflict', `Interface "${conn.name}" is disabled, so nothing listens for it.`, { retryable: false })
        const l = listeners()?.find(conn.practiceId, conn.name)
        if (!l) throw new AppError('not_found', `No listener runs for interface "${conn.name}" (is the engine started?).`, { retryable: true })
        if (l.state !== 'listening') throw new AppError('network_error', l.error ?? `The listener for "${conn.name}" is ${l.state}.`, { retryable: true })
        return `listening on ${l.host}:${l.port}`
      })) &&
      (await step(steps, clock, 'peers', () => {
        const l = listeners()?.find(conn.practiceId, conn.name)
        const n = l?.connections ?? 0
        return n === 0 ? 'no peer connected right now' : `${n} peer${n === 1 ? '' : 's'} connected`
      }))
    return { connectionId: conn.id, name: conn.name, kind: conn.kind, ok, steps, at: clock.now() }
  }
}

/** Opens (and closes) a TCP or TLS connection to a destination. */
export function probe(dest: OutboundDestination, clock: Clock, folders: readonly string[]): Promise<string> {
  const c = dest.config
  const peer = `${c.host}:${c.port}`
  const t = senderTls(dest, folders)
  return new Promise<string>((resolve, reject) => {
    const ac = new AbortController()
    const socket: net.Socket = t
      ? tls.connect({ host: c.host, port: c.port, ...t, servername: net.isIP(c.host) ? undefined : c.host, minVersion: 'TLSv1.2' })
      : net.connect({ host: c.host, port: c.port })
    const done = (err?: AppError): void => {
      ac.abort()
      socket.removeAllListeners()
      socket.on('error', () => undefined)
      socket.destroy()
      if (err) reject(err)
      else resolve(t ? `TLS connection to ${peer} established (${(socket as tls.TLSSocket).getProtocol?.() ?? 'TLS'})` : `TCP connection to ${peer} established`)
    }
    socket.once(t ? 'secureConnect' : 'connect', () => done())
    socket.once('error', (e) => done(mapSocketError(e, peer)))
    clock.sleep(c.connectTimeoutMs, ac.signal).then(
      () => done(new AppError('timeout', `Connecting to ${peer} timed out after ${c.connectTimeoutMs} ms`)),
      () => undefined,
    )
  })
}

export type TestMessageType = 'NMD^N02' | 'SIU^S12' | 'ADT^A08'

export function buildTestMessage(type: TestMessageType, dest: OutboundDestination, controlId: string, at: number, timeZone: string): string {
  const c = dest.config
  if (type === 'SIU^S12') {
    return buildSiu({
      event: 'S12',
      controlId,
      at,
      timeZone,
      header: c,
      processingId: 'T',
      placerId: `TEST-${controlId}`,
      fields: { 'SCH-11.4': formatHl7Timestamp(at, zoneOffsetMinutes(at, timeZone)), 'SCH-25.1': 'Booked', 'PID-3.1': 'TEST', 'PID-5.1': 'TEST', 'PID-5.2': 'CONNECTIVITY' },
    })
  }
  const e = (s: string): string => encodeEscapes(s, DEFAULT_DELIMITERS)
  const ts = formatHl7Timestamp(at, zoneOffsetMinutes(at, timeZone))
  const [code, trigger] = type.split('^') as [string, string]
  const msh = ['MSH', '^~\\&', e(c.sendingApplication), e(c.sendingFacility), e(c.receivingApplication), e(c.receivingFacility), ts, '', `${code}^${trigger}^${code}_${trigger}`, e(controlId), 'T', e(c.version)].join('|')
  if (type === 'ADT^A08') return [msh, `EVN|A08|${ts}`, 'PID|1||TEST^^^PRACTICESTUDIO^MR||TEST^CONNECTIVITY', 'PV1|1|N'].join('\r') + '\r'
  return [msh, `NCK|${ts}`].join('\r') + '\r'
}

function ackView(ack: ParsedAck): NonNullable<Hl7SendTestResult['ack']> {
  return {
    code: ack.code,
    controlId: ack.controlId,
    text: ack.text ?? null,
    errors: ack.errors.map((x) => ({
      ...(x.code ? { code: x.code } : {}),
      ...(x.codeText ? { codeText: x.codeText } : {}),
      ...(x.userMessage ? { userMessage: x.userMessage } : {}),
      ...(x.location ? { location: x.location } : {}),
    })),
  }
}

/** Sends one test message on a connection of its own (never the destination's queue) and closes it. */
export async function sendTest(ctx: EngineContext, dest: OutboundDestination, type: TestMessageType, logger: Logger): Promise<Hl7SendTestResult> {
  const controlId = `T${newControlId(ctx.clock)}`
  const tz = ctx.practices.find(dest.practiceId)?.timeZone ?? 'America/New_York'
  const text = buildTestMessage(type, dest, controlId, ctx.clock.now(), tz)
  const t0 = ctx.clock.monotonic()
  let sender
  try {
    sender = createSender(dest, ctx.clock, logger, tlsFolders(ctx.dataDir, ctx.settings))
  } catch (e) {
    return { ok: false, controlId, durationMs: 0, ack: null, error: { ...pickError(e) } }
  }
  try {
    const ack = await sender.send(encodeHl7Text(text, 'UNICODE UTF-8'), controlId)
    return { ok: true, controlId, durationMs: Math.round(ctx.clock.monotonic() - t0), ack: ackView(ack), error: null }
  } catch (e) {
    const ack = isAppError(e) ? (e.details as { ack?: ParsedAck } | undefined)?.ack : undefined
    // AE/AR to a test message still proves the round trip.
    if (ack) return { ok: true, controlId, durationMs: Math.round(ctx.clock.monotonic() - t0), ack: ackView(ack), error: null }
    return { ok: false, controlId, durationMs: Math.round(ctx.clock.monotonic() - t0), ack: null, error: pickError(e) }
  } finally {
    await sender.close()
  }
}

function pickError(e: unknown): { code: string; message: string; retryable: boolean } {
  const d = toErrorData(e)
  return { code: d.code, message: d.message, retryable: d.retryable }
}

export function outboundTester(ctx: EngineContext, interfaces: Hl7Interfaces, logger: Logger) {
  return async (conn: StoredConnection): Promise<ConnectivityResult> => {
    const steps: ConnectivityStep[] = []
    const clock = ctx.clock
    let dest: OutboundDestination | null = null
    let ok = await step(steps, clock, 'configuration', () => {
      hl7OutboundConfigSchema.parse(conn.config)
      dest = interfaces.outboundOf(conn)
      return undefined
    })
    const d = dest as OutboundDestination | null
    if (ok && d) ok = await step(steps, clock, d.config.tls.enabled ? 'tls-connect' : 'tcp-connect', () => probe(d, clock, tlsFolders(ctx.dataDir, ctx.settings)))
    if (ok && d && d.config.testRoundTrip) {
      ok = await step(steps, clock, 'round-trip', async () => {
        const r = await sendTest(ctx, d, 'NMD^N02', logger)
        if (!r.ok) throw new AppError((r.error?.code as never) ?? 'network_error', r.error?.message ?? 'No acknowledgment came back.')
        return `ACK ${r.ack?.code ?? '?'} for ${r.controlId} in ${r.durationMs} ms`
      })
    }
    return { connectionId: conn.id, name: conn.name, kind: conn.kind, ok, steps, at: clock.now() }
  }
}
