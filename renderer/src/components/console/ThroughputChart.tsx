import { Box, Group, Text } from '@mantine/core'
import type { Dashboard } from '../../../../shared/api/dashboard'
import { useTimeFormat } from '../../app/time-format'

const SERIES = [
  { key: 'done', label: 'done', color: 'var(--mantine-color-teal-6)' },
  { key: 'filtered', label: 'filtered', color: 'var(--mantine-color-yellow-6)' },
  { key: 'error', label: 'errored', color: 'var(--mantine-color-red-6)' },
  { key: 'other', label: 'waiting / discarded', color: 'var(--mantine-color-gray-5)' },
] as const

const W = 900
const H = 220
const PAD = { l: 44, r: 8, t: 8, b: 26 }


/**
 * Throughput over time as stacked bars (received per bucket, split by how it ended), drawn as
 * plain SVG. Each bar's title lists its numbers, so the chart is readable without a pointer too.
 */
export function ThroughputChart({ data }: { data: Dashboard }) {
  const fmt = useTimeFormat()
  const tick = (ms: number, spanMs: number) => (spanMs > 2 * 86_400_000 ? fmt.day(ms) : fmt.clock(ms))
  const buckets = data.buckets
  // An even top keeps the middle grid line on a whole number.
  const max = Math.max(2, Math.ceil(Math.max(...buckets.map((b) => b.received), 0) / 2) * 2)
  const iw = W - PAD.l - PAD.r
  const ih = H - PAD.t - PAD.b
  const bw = iw / Math.max(1, buckets.length)
  const y = (v: number) => (v / max) * ih
  const span = data.to - data.from
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8))
  return (
    <Box>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Throughput: ${buckets.reduce((a, b) => a + b.received, 0)} received in ${buckets.length} intervals`} data-testid="throughput-chart">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.l} x2={W - PAD.r} y1={PAD.t + ih - f * ih} y2={PAD.t + ih - f * ih} stroke="var(--mantine-color-default-border)" strokeDasharray={f ? '3 3' : undefined} />
            <text x={PAD.l - 6} y={PAD.t + ih - f * ih + 4} textAnchor="end" fontSize={11} fill="var(--mantine-color-dimmed)">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          const other = Math.max(0, b.received - b.done - b.filtered - b.error)
          const parts = [b.done, b.filtered, b.error, other]
          let acc = 0
          const x = PAD.l + i * bw
          return (
            <g key={b.start}>
              <title>{`${fmt.format(b.start)}: ${b.received} received, ${b.done} done, ${b.filtered} filtered, ${b.error} errored`}</title>
              {parts.map((v, k) => {
                if (v === 0) return null
                const h = y(v)
                acc += h
                return <rect key={k} x={x + 1} width={Math.max(1, bw - 2)} y={PAD.t + ih - acc} height={h} fill={SERIES[k]!.color} />
              })}
              {i % labelEvery === 0 ? (
                <text x={x + bw / 2} y={H - 8} textAnchor="middle" fontSize={11} fill="var(--mantine-color-dimmed)">
                  {tick(b.start, span)}
                </text>
              ) : null}
            </g>
          )
        })}
      </svg>
      <Group gap="md" justify="center">
        {SERIES.map((s) => (
          <Group gap={4} key={s.key}>
            <Box w={10} h={10} style={{ background: s.color, borderRadius: 2 }} />
            <Text size="xs">{s.label}</Text>
          </Group>
        ))}
      </Group>
    </Box>
  )
}
