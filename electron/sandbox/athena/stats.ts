/**
 * Request accounting so tests can assert what the server saw (e.g. a retried write reached the
 * server twice but created one record). Endpoints are keyed by route pattern, never by ids.
 */

export interface RequestStats {
  total: number
  byEndpoint: Record<string, number>
  byStatus: Record<string, number>
  byEndpointAndStatus: Record<string, Record<string, number>>
}

export class StatsRecorder {
  private total = 0
  private byEndpoint: Record<string, number> = {}
  private byStatus: Record<string, number> = {}
  private byEndpointAndStatus: Record<string, Record<string, number>> = {}

  record(endpoint: string, status: number): void {
    this.total++
    const s = String(status)
    this.byEndpoint[endpoint] = (this.byEndpoint[endpoint] ?? 0) + 1
    this.byStatus[s] = (this.byStatus[s] ?? 0) + 1
    const per = (this.byEndpointAndStatus[endpoint] ??= {})
    per[s] = (per[s] ?? 0) + 1
  }

  snapshot(): RequestStats {
    return {
      total: this.total,
      byEndpoint: { ...this.byEndpoint },
      byStatus: { ...this.byStatus },
      byEndpointAndStatus: Object.fromEntries(Object.entries(this.byEndpointAndStatus).map(([k, v]) => [k, { ...v }])),
    }
  }

  reset(): void {
    this.total = 0
    this.byEndpoint = {}
    this.byStatus = {}
    this.byEndpointAndStatus = {}
  }
}
