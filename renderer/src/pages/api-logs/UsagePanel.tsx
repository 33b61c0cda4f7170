import type { ReactNode } from 'react'
import { Badge, Button, Card, Group, Progress, SimpleGrid, Stack, Text } from '@mantine/core'
import { useApiMutation } from '../../api/client'
import { QuotaUsed, quotaUsed, useAthenaUsage } from '../../components/console/athena-quota'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useTimeFormat } from '../../app/time-format'

function Stat({ label, value, hint, testId }: { label: string; value: string | number; hint?: ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="xl" data-testid={testId}>
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Card>
  )
}

/** Today's athenaNet usage of one practice against its quota, the circuit breaker and the token. */
export function UsagePanel({ practiceId }: { practiceId: string }) {
  const fmt = useTimeFormat()
  const usage = useAthenaUsage(practiceId)
  const circuit = useApiMutation('athena.circuit', ['athena.usage'])
  const u = usage.data
  if (usage.error) return <ErrorAlert error={usage.error} />
  if (!u) return null
  if (!u.connectionId)
    return (
      <Text size="sm" c="dimmed" mb="md">
        This practice has no enabled athenaNet connection.
      </Text>
    )
  const used = u.dailyQuota ? Math.min(100, ((quotaUsed(u) ?? 0) / u.dailyQuota) * 100) : 0
  const c = u.circuit
  return (
    <Stack gap="xs" mb="md" data-testid="usage-panel">
      <SimpleGrid cols={{ base: 2, md: 6 }}>
        <Stat label="Calls today (UTC)" value={u.today.calls} hint={`${u.today.tokenRequests} token requests`} testId="usage-calls" />
        <Stat label="Quota left" value={u.remainingQuota ?? '—'} hint={<><QuotaUsed usage={u} size="xs" />, resets {u.quotaResetsAt ? fmt.format(u.quotaResetsAt) : '—'}</>} testId="usage-remaining" />
        <Stat label="Throttled" value={u.today.throttled} hint="429 / Over QPS answers" />
        <Stat label="Retried" value={u.today.retried} hint={`retry budget ${u.retryBudget ?? '—'}`} />
        <Stat label="Errors" value={u.today.errors} hint={`limit ${u.qps ?? '—'} req/s`} />
        <Card withBorder padding="sm">
          <Text size="xs" c="dimmed">
            Circuit breaker
          </Text>
          <Group gap={6} mt={4}>
            <Badge color={c.state === 'closed' ? 'teal' : c.state === 'open' ? 'red' : 'yellow'} data-testid="circuit-state">
              {c.state.replace('_', '-')}
              {c.forced ? ' (operator)' : ''}
            </Badge>
          </Group>
          <Group gap={4} mt={6}>
            <Button size="compact-xs" variant="light" color="red" disabled={c.forced === 'open'} onClick={() => circuit.mutate({ practiceId, state: 'open' })}>
              Hold open
            </Button>
            <Button size="compact-xs" variant="light" disabled={c.forced === null && c.state === 'closed'} onClick={() => circuit.mutate({ practiceId, state: c.forced ? 'auto' : 'closed' })}>
              {c.forced ? 'Release' : 'Close'}
            </Button>
          </Group>
        </Card>
      </SimpleGrid>
      <Progress value={used} color={used > 90 ? 'red' : used > 70 ? 'yellow' : 'teal'} size="sm" aria-label="Daily quota used" />
      {u.token?.stopped ? (
        <Text size="sm" c="red">
          Token requests stopped: {u.token.stopped.message}
        </Text>
      ) : null}
    </Stack>
  )
}
