/**
 * Group commit needs groups. The store commits what was queued in one turn of the event loop, and
 * MLLP peers send their next message only after our ACK, so under load the frames of many
 * connections arrive spread over a few turns and commits end up holding a handful of messages
 * each, every one paying the full fsync. The gate holds a received frame briefly until the frames
 * that are on their way have arrived (every open connection that is not itself waiting for a
 * commit has sent one) or `maxWaitMs` passed, then lets them all reach the store in the same
 * turn: one commit for the lot.
 *
 * It only waits while traffic is concurrent (recent turns carried `minGroup` frames or more):
 * paced or single-connection traffic passes at once, so it never pays the wait for nothing. The
 * 3 ms come from test/bench/hl7-ingest.bench.ts: long enough for 16 busy peers on two cores to all
 * answer (commits of ~16 messages instead of ~6), short next to any MLLP response timeout.
 */
export class IngestGate {
  private queue: (() => void)[] = []
  private timer: NodeJS.Timeout | null = null
  /** Frames past the gate whose commit has not returned yet. */
  private storing = 0
  /** Moving average of how many frames reached the store per turn of the event loop. */
  private avgGroup = 1
  private turn = 0
  private turnEnd: NodeJS.Immediate | null = null

  constructor(
    /** Connections that are open now. */
    private readonly openConnections: () => number,
    private readonly maxWaitMs = 3,
    private readonly minGroup = 4,
  ) {}

  /** Waits for the group; call the returned function once the frame's store call settled. */
  async enter(): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.queue.push(resolve)
      // Frames released in this turn still share the store's next commit.
      if (this.complete() || this.avgGroup < this.minGroup) this.release()
      else if (!this.timer) this.timer = setTimeout(() => this.release(), this.maxWaitMs)
    })
    this.storing++
    let left = false
    return () => {
      if (left) return
      left = true
      this.storing--
      // Those waiting may now be everyone still expected.
      if (this.queue.length > 0 && this.complete()) this.release()
    }
  }

  private complete(): boolean {
    return this.queue.length >= this.openConnections() - this.storing
  }

  private release(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const q = this.queue
    this.queue = []
    if (q.length === 0) return
    this.turn += q.length
    this.turnEnd ??= setImmediate(() => {
      this.avgGroup = this.avgGroup * 0.8 + this.turn * 0.2
      this.turn = 0
      this.turnEnd = null
    })
    for (const r of q) r()
  }
}
