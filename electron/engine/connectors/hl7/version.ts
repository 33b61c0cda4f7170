/** HL7 v2 version ids (MSH-12.1) compared numerically, because several layouts depend on them. */

function parts(v: string): number[] {
  const out: number[] = []
  for (const p of v.trim().split('.')) {
    const n = Number(p)
    out.push(Number.isFinite(n) ? n : 0)
  }
  return out
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` ("2.3" < "2.3.1" < "2.4"). */
export function compareHl7Versions(a: string, b: string): number {
  const x = parts(a)
  const y = parts(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

export function versionAtLeast(version: string, min: string): boolean {
  return compareHl7Versions(version, min) >= 0
}
