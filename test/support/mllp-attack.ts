/**
 * The probe's MLLP attack (issue #17), for the hostile-peers test and the soak: `slow` connections
 * send a start byte then one byte a second, `idle` ones send nothing; whatever is closed comes back
 * 250 ms later, as a determined attacker would. Each comes from the loopback address `from(i, slow)`
 * names (127.0.0.0/8 is all loopback on Linux), as other hosts would.
 */
import net from 'node:net'

/** Connects from `localAddress`; resolves with the socket once connected, or null if refused first. */
export function connectFrom(port: number, localAddress: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress })
    s.on('error', () => resolve(null))
    s.once('connect', () => resolve(s))
  })
}

export function mllpAttack(port: number, o: { slow: number; idle: number; from(i: number, slow: boolean): string }): { stop(): void; attempts(): number } {
  let running = true
  let attempts = 0
  const sockets = new Set<net.Socket>()
  const one = async (i: number, slow: boolean): Promise<void> => {
    while (running) {
      attempts++
      const s = await connectFrom(port, o.from(i, slow))
      if (s) {
        sockets.add(s)
        let ticker: NodeJS.Timeout | null = null
        if (slow) {
          s.write(Buffer.from([0x0b]))
          ticker = setInterval(() => s.writable && s.write('M'), 1000)
        }
        await new Promise<void>((r) => s.once('close', () => r()))
        if (ticker) clearInterval(ticker)
        sockets.delete(s)
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  for (let i = 0; i < o.slow; i++) void one(i, true)
  for (let i = 0; i < o.idle; i++) void one(i, false)
  return {
    stop() {
      running = false
      for (const s of sockets) s.destroy()
    },
    attempts: () => attempts,
  }
}
