/**
 * Time-based one-time passwords (RFC 6238, 30 s, 6 digits, SHA-1: what every authenticator app
 * reads) with otplib, and single-use recovery codes. The engine's clock decides the time step,
 * so tests control it; a code is accepted one step either side (clock drift) and never twice.
 */
import { createHash, randomInt } from 'node:crypto'
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib'
import QRCode from 'qrcode'

export const TOTP_PERIOD_S = 30
export const TOTP_ISSUER = 'Practice Studio'

export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

export function totpUri(secret: string, label: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label, secret, period: TOTP_PERIOD_S })
}

export function totpQrDataUrl(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 })
}

/** The code for a given time (tests and the enrolment check use it). */
export function totpCode(secret: string, nowMs: number): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000), period: TOTP_PERIOD_S })
}

/**
 * Checks a code at `nowMs`. Returns the time step it matched (to refuse a replay: pass the last
 * accepted one as `afterStep`), or null.
 */
export function checkTotp(secret: string, code: string, nowMs: number, afterStep: number | null): number | null {
  const token = code.replace(/\s+/g, '')
  if (!/^\d{6}$/.test(token)) return null
  try {
    const r = verifySync({ secret, token, epoch: Math.floor(nowMs / 1000), period: TOTP_PERIOD_S, epochTolerance: TOTP_PERIOD_S, ...(afterStep !== null ? { afterTimeStep: afterStep } : {}) })
    if (!r.valid) return null
    const step = (r as { timeStep?: number }).timeStep
    return typeof step === 'number' ? step : Math.floor(nowMs / 1000 / TOTP_PERIOD_S)
  } catch {
    return null
  }
}

/** Ten recovery codes (`xxxxx-xxxxx`, 50 bits each) and their SHA-256 hashes (what is stored). */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: 10 }, () => {
    const s = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('')
    return `${s.slice(0, 5)}-${s.slice(5)}`
  })
  return { codes, hashes: codes.map(hashRecoveryCode) }
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase().replace(/[^a-z0-9]/g, '')).digest('hex')
}

// No 0/o, 1/l/i: read aloud and typed from paper.
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
