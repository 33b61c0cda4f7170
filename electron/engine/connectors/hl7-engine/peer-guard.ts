/**
 * Who may hold a connection slot of one listener, and how much refused input one peer may cost us.
 * The probe that motivated it: 200 connections sending a byte a second (or 500 idle ones) from
 * one host took every slot, and a peer sending garbage filled the disk at 25–45 MB/s.
 *
 * - **per-peer cap**: one source address holds at most `maxConnectionsPerPeer` sockets (TLS
 *   handshakes in progress included);
 * - **reserved slots**: `reservedConnections` of the `maxConnections` slots are kept for known
 *   senders: addresses in `trustedPeers`, or that delivered an accepted message on this listener
 *   (remembered in memory, at most `KNOWN_MAX` addresses). Strangers share the rest;
 * - **refused-input budget**: per address, token buckets of refused frames and bytes (frames
 *   answered AR/CR, bytes outside frames) per minute. Within it, a refused frame is stored in the
 *   error queue as always; beyond it nothing more is stored, the connection is closed and new ones
 *   from that address are refused until the buckets have refilled.
 */
import net from 'node:net'
import type { Clock } from '../../core/clock'

export type Refusal = 'not_allowed' | 'per_peer_cap' | 'full' | 'reserved' | 'refused_input_budget'

export interface PeerGuardOptions {
  /** null: any address may connect. */
  allow: net.BlockList | null
  trusted: net.BlockList | null
  maxConnections: number
  maxConnectionsPerPeer: number
  reservedConnections: number
  /** Per address and minute; 0 = no limit. */
  refusedFramesPerMinute: number
  refusedBytesPerMinute: number
  clock: Clock
}

interface Bucket {
  frames: number
  bytes: number
  at: number
}

const KNOWN_MAX = 1024
const BUCKETS_MAX = 4096

export function addressFamily(addr: string): 'ipv4' | 'ipv6' {
  return net.isIPv6(addr) ? 'ipv6' : 'ipv4'
}

export class PeerGuard {
  private readonly open = new Map<string, number>()
  private total = 0
  /** Sockets of addresses that are neither trusted nor known. */
  private strangers = 0
  private readonly known = new Map<string, number>()
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly o: PeerGuardOptions) {}

  /** Why a new connection from `addr` is refused, or null to admit it. */
  refusal(addr: string): Refusal | null {
    if (this.o.allow && !this.o.allow.check(addr, addressFamily(addr))) return 'not_allowed'
    if (this.overBudget(addr)) return 'refused_input_budget'
    if ((this.open.get(addr) ?? 0) >= this.o.maxConnectionsPerPeer) return 'per_peer_cap'
    if (this.total >= this.o.maxConnections) return 'full'
    if (!this.isKnown(addr) && this.strangers >= this.o.maxConnections - this.o.reservedConnections) return 'reserved'
    return null
  }

  /** A socket from `addr` was admitted; returns the function that releases its slot (idempotent). */
  opened(addr: string): () => void {
    const stranger = !this.isKnown(addr)
    this.open.set(addr, (this.open.get(addr) ?? 0) + 1)
    this.total++
    if (stranger) this.strangers++
    let done = false
    return () => {
      if (done) return
      done = true
      const n = (this.open.get(addr) ?? 1) - 1
      if (n <= 0) this.open.delete(addr)
      else this.open.set(addr, n)
      this.total--
      if (stranger) this.strangers--
    }
  }

  get connections(): number {
    return this.total
  }

  /** `addr` delivered an accepted message: it may use the reserved slots from now on. */
  markKnown(addr: string): void {
    if (this.known.has(addr)) this.known.delete(addr)
    else if (this.known.size >= KNOWN_MAX) this.known.delete(this.known.keys().next().value as string)
    this.known.set(addr, this.o.clock.now())
  }

  isKnown(addr: string): boolean {
    return this.known.has(addr) || Boolean(this.o.trusted?.check(addr, addressFamily(addr)))
  }

  /**
   * Charges refused input to `addr`'s budget: `frames` refused frames and `bytes` bytes. False when
   * the budget is exhausted (the input must not be stored and the connection should close).
   */
  chargeRefused(addr: string, frames: number, bytes: number): boolean {
    const fpm = this.o.refusedFramesPerMinute
    const bpm = this.o.refusedBytesPerMinute
    if (fpm === 0 && bpm === 0) return true
    const b = this.refill(addr)
    b.frames -= frames
    b.bytes -= bytes
    return (fpm === 0 || b.frames >= 0) && (bpm === 0 || b.bytes >= 0)
  }

  /** Whether `addr` spent more than its refused-input budget and has not earned it back yet. */
  overBudget(addr: string): boolean {
    if (!this.buckets.has(addr)) return false
    const b = this.refill(addr)
    return (this.o.refusedFramesPerMinute > 0 && b.frames < 0) || (this.o.refusedBytesPerMinute > 0 && b.bytes < 0)
  }

  private refill(addr: string): Bucket {
    const now = this.o.clock.monotonic()
    const fpm = this.o.refusedFramesPerMinute
    const bpm = this.o.refusedBytesPerMinute
    let b = this.buckets.get(addr)
    if (!b) {
      if (this.buckets.size >= BUCKETS_MAX) this.forgetFull(now)
      b = { frames: fpm, bytes: bpm, at: now }
      this.buckets.set(addr, b)
      return b
    }
    const minutes = (now - b.at) / 60_000
    b.frames = Math.min(fpm, b.frames + minutes * fpm)
    b.bytes = Math.min(bpm, b.bytes + minutes * bpm)
    b.at = now
    return b
  }

  /** Drops buckets that have refilled completely (they hold nothing a fresh one would not). */
  private forgetFull(now: number): void {
    for (const [addr, b] of this.buckets) {
      const minutes = (now - b.at) / 60_000
      if (b.frames + minutes * this.o.refusedFramesPerMinute >= this.o.refusedFramesPerMinute && b.bytes + minutes * this.o.refusedBytesPerMinute >= this.o.refusedBytesPerMinute) this.buckets.delete(addr)
    }
    if (this.buckets.size >= BUCKETS_MAX) this.buckets.delete(this.buckets.keys().next().value as string)
  }
}
