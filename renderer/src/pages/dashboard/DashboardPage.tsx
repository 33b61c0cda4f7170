import { Anchor, Badge, Card, Progress, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { useEffect, useRef, useState } from 'react'
import { Link } from 'wouter'
import type { Dashboard } from '../../../../shared/api/dashboard'
import { useApi } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { useEngineEvent } from '../../components/console/engine-events'
import { ThroughputChart } from '../../components/console/ThroughputChart'
import { bucketCount } from '../../components/console/time-presets'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { QuotaUsed, quotaUsed, useAthenaUsage } from '../../components/console/athena-quota'
import { AlertRulesCard } from './AlertRulesCard'
import { StorageUsageCard } from './StorageUsageCard'
import { AlertChannelsCard } from './AlertChannelsCard'
import { FirstRunGuide } from './FirstRunGuide'

const RANGES = [
  { value: '1h', label: '1 hour', ms: 3_600_000 },
  { value: '24h', label: '24 hours', ms: 86_400_000 },
  // Windows with buckets of an hour or more read the engine's hourly rollup (console/tx-rollup.ts),
  // so 7 and 30 days answer in milliseconds over a million transactions (test/bench/tx-query.bench.ts).
  { value: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: '30 days', ms: 30 * 86_400_000 },
]

/** "Now" for the window: moves every 15 s, and soon after traffic, never on every render. */
function useMovingNow(): number {
  const [now, setNow] = useState(() => Date.now())
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null)
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000)
    return () => {
      clearInterval(t)
      if (pending.current) clearTimeout(pending.current)
    }
  }, [])
  useEngineEvent('transactions.changed', () => {
    if (pending.current) return
    pending.current = setTimeout(() => {
      pending.current = null
      setNow(Date.now())
    }, 2_000)
  })
  return now
}

export function DashboardPage() {
  const { practiceId, practice } = usePractice()
  const [range, setRange] = useState('24h')
  const now = useMovingNow()
  const span = RANGES.find((r) => r.value === range)!.ms
  const summary = useApi(
    'dashboard.summary',
    { practiceId: practiceId ?? '', from: now - span, to: now + 1000, buckets: bucketCount(span) },
    { enabled: Boolean(practiceId), placeholderData: (prev) => prev },
  )
  const lanes = useApi('dashboard.lanes', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const d = summary.data

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={`${practice?.name ?? 'Practice'}: what came in, how it ended, what is waiting.`}
        actions={
          <>
            <SegmentedControl aria-label="Time window" data={RANGES.map((r) => ({ value: r.value, label: r.label }))} value={range} onChange={setRange} />
          </>
        }
      />
      <ErrorAlert error={summary.error} />
      {d ? (
        <Stack>
          <FirstRunGuide />
          <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} data-testid="dashboard-totals">
            <Stat label="Received" value={d.buckets.reduce((a, b) => a + b.received, 0)} />
            <Stat label="Done" value={d.totals.done} color="teal" />
            <Stat label="Filtered" value={d.totals.filtered} color="yellow" />
            <Stat label="Errored" value={d.totals.error} color="red" href="/errors" />
            <Stat label="Error rate" value={d.errorRate === null ? '—' : `${(d.errorRate * 100).toFixed(1)} %`} color={d.errorRate && d.errorRate > 0.05 ? 'red' : undefined} />
            <Stat label="Queue depth" value={d.pending} color={d.pending > 0 ? 'blue' : undefined} />
          </SimpleGrid>
          <Card withBorder>
            <Title order={4} mb="xs">
              Throughput
            </Title>
            <ThroughputChart data={d} />
          </Card>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <LanesCard d={d} />
            <Stack>
              <ListenersCard d={d} />
              <QuotaCard practiceId={d.practiceId} />
            </Stack>
          </SimpleGrid>
          {practiceId ? <AlertRulesCard practiceId={practiceId} lanes={lanes.data ?? []} /> : null}
          <StorageUsageCard />
          {practiceId ? <AlertChannelsCard practiceId={practiceId} /> : null}
        </Stack>
      ) : null}
    </>
  )
}

function Stat({ label, value, color, href }: { label: string; value: number | string; color?: string; href?: string }) {
  const body = (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} c={color} data-testid={`stat-${label.toLowerCase().replace(/\s+/g, '-')}`}>
        {typeof value === 'number' ? value.toLocaleString() : value}
      </Text>
    </Card>
  )
  return href ? (
    <Anchor component={Link} href={href} underline="never" c="inherit">
      {body}
    </Anchor>
  ) : (
    body
  )
}

function LanesCard({ d }: { d: Dashboard }) {
  return (
    <Card withBorder>
      <Title order={4} mb="xs">
        By connector and interface
      </Title>
      {d.lanes.length === 0 ? (
        <Text size="sm" c="dimmed">
          No traffic yet.
        </Text>
      ) : (
        <Table fz="sm" data-testid="dashboard-lanes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Connector / interface</Table.Th>
              <Table.Th ta="right">Done</Table.Th>
              <Table.Th ta="right">Filtered</Table.Th>
              <Table.Th ta="right">Errored</Table.Th>
              <Table.Th ta="right">Waiting</Table.Th>
              <Table.Th>Last received</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.lanes.map((l) => (
              <Table.Tr key={`${l.connector}/${l.channel}`}>
                <Table.Td>
                  {l.connector} / {l.channel}{' '}
                  <Text span size="xs" c="dimmed">
                    ({l.direction === 'in' ? 'in' : 'out'})
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{l.counts.done}</Table.Td>
                <Table.Td ta="right">{l.counts.filtered}</Table.Td>
                <Table.Td ta="right" c={l.counts.error ? 'red' : undefined}>
                  {l.counts.error}
                </Table.Td>
                <Table.Td ta="right">{l.pending}</Table.Td>
                <Table.Td><Time value={l.lastReceivedAt} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  )
}

function ListenersCard({ d }: { d: Dashboard }) {
  return (
    <Card withBorder>
      <Title order={4} mb="xs">
        Listeners
      </Title>
      {d.listeners.length === 0 ? (
        <Text size="sm" c="dimmed">
          No inbound listener for this practice.
        </Text>
      ) : (
        <Table fz="sm" data-testid="dashboard-listeners">
          <Table.Tbody>
            {d.listeners.map((l) => (
              <Table.Tr key={`${l.kind}/${l.name}`}>
                <Table.Td>
                  {l.kind} {l.name}
                </Table.Td>
                <Table.Td>
                  {l.host}:{l.port}
                </Table.Td>
                <Table.Td>
                  {/* Never truncated: the state is the point of the card. */}
                  <Badge style={{ overflow: 'visible' }} styles={{ label: { overflow: 'visible' } }} color={l.state === 'listening' ? 'teal' : l.state === 'error' ? 'red' : 'gray'}>
                    {l.state}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{l.connections === 1 ? '1 peer' : `${l.connections} peers`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  )
}

/** athenaNet API quota used today (components/console/athena-quota.tsx: the same figure as every other page). */
function QuotaCard({ practiceId }: { practiceId: string }) {
  const usage = useAthenaUsage(practiceId)
  const v = usage.data
  const used = v ? quotaUsed(v) : null
  const limit = v?.dailyQuota ?? null
  return (
    <Card withBorder data-testid="quota-card">
      <Title order={4} mb="xs">
        athenaNet API quota today
      </Title>
      {usage.error ? (
        <Text size="sm" c="dimmed">
          {usage.error.message}
        </Text>
      ) : v && used !== null && limit ? (
        <Stack gap={4}>
          <Text size="sm">
            <QuotaUsed usage={v} />
            {v.connectionName ? ` (connection ${v.connectionName})` : ''}
          </Text>
          <Progress value={Math.min(100, (used / limit) * 100)} color={used / limit > 0.9 ? 'red' : 'blue'} aria-label="Quota used" />
          <Text size="xs" c="dimmed">
            {v.today.throttled} throttled · {v.today.errors} errors{v.circuit.state !== 'closed' ? ` · circuit ${v.circuit.state}` : ''}
          </Text>
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          {v && !v.connectionId ? 'No enabled athenaNet connection.' : 'No usage recorded today.'}
        </Text>
      )}
    </Card>
  )
}

