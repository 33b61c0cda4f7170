/**
 * The bytes of inbound HL7 held in memory across every connection of every listener: partial
 * frames in the framers, complete frames waiting their turn, and the frame being stored. The
 * probe sent 24 frames just under the 16 MiB cap at once and the engine took 1.2–1.8 GB.
 *
 * Back-pressure: once `used` reaches `maxBytes`, every reader stops reading (socket.pause) until it
 * is below again. So that paused partial frames can never wait on each other forever, one reader
 * in the middle of a frame (the one holding most) may go on while nothing else is queued or being
 * stored; its frame then completes, is stored and released. Hence the bound this class keeps,
 * deterministic and tested: `peak ≤ maxBytes + maxFrameBytes + one socket chunk`.
 */

export interface BudgetReader {
  /** Bytes of a frame started and not complete yet (0 between frames). */
  readonly partialBytes: number
  /** Bytes of complete frames waiting or being handled. */
  readonly queuedBytes: number
  pauseReading(): void
  resumeReading(): void
}

export class BufferBudget {
  private usedBytes = 0
  private peakBytes = 0
  private readonly readers = new Set<BudgetReader>()
  private leader: BudgetReader | null = null
  private pausedAll = false
  /** Times reading was paused because the budget was spent. */
  pauses = 0

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.usedBytes
  }

  get peak(): number {
    return this.peakBytes
  }

  /** Starts the peak over (tests and figures measure one phase at a time). */
  resetPeak(): void {
    this.peakBytes = this.usedBytes
  }

  get over(): boolean {
    return this.usedBytes >= this.maxBytes
  }

  add(r: BudgetReader): void {
    this.readers.add(r)
    if (this.pausedAll && r !== this.leader) r.pauseReading()
  }

  remove(r: BudgetReader): void {
    this.readers.delete(r)
    if (this.leader === r) this.leader = null
    this.settle()
  }

  /** Accounts `delta` bytes (negative to release) and pauses or resumes readers accordingly. */
  change(delta: number): void {
    // Settled even when delta is 0: a frame that completed moves bytes from partial to queued.
    this.usedBytes += delta
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes
    this.settle()
  }

  /** Whether `r` may read now (false while the budget is spent, unless it is the leader). */
  mayRead(r: BudgetReader): boolean {
    return !this.pausedAll || r === this.leader
  }

  private settle(): void {
    if (this.usedBytes < this.maxBytes) {
      if (!this.pausedAll) return
      this.pausedAll = false
      this.leader = null
      for (const r of this.readers) r.resumeReading()
      return
    }
    if (!this.pausedAll) {
      this.pausedAll = true
      this.pauses++
      for (const r of this.readers) r.pauseReading()
    }
    // Leader: only when everything held is partial frames (nothing will be released otherwise).
    if (this.leader && this.leader.partialBytes > 0) return
    if (this.leader) {
      this.leader.pauseReading()
      this.leader = null
    }
    let queued = 0
    let best: BudgetReader | null = null
    for (const r of this.readers) {
      queued += r.queuedBytes
      if (r.partialBytes > 0 && (!best || r.partialBytes > best.partialBytes)) best = r
    }
    if (queued === 0 && best) {
      this.leader = best
      best.resumeReading()
    }
  }
}
