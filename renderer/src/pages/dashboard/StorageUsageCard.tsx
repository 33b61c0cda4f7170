import { Card, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import { useApi } from '../../api/client'
import { formatBytes } from '../../components/time'
import { Time } from '../../app/time-format'
import { DataFolderCard } from '../settings/DataFolderCard'

/** The data folder's size and what the last retention run removed. */
export function StorageUsageCard() {
  const status = useApi('system.status', {}, { refetchInterval: 30_000 })
  const runs = useApi('retention.runs', { limit: 1 }, { retry: false })
  const last = runs.data?.[0]
  if (!status.data) return null
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <DataFolderCard size={status.data.dataFolder} compact />
      <Card withBorder data-testid="retention-last-run">
        <Title order={5} mb="xs">
          Retention
        </Title>
        {last ? (
          <Stack gap={2}>
            <Text size="sm">
              Last run <Time value={last.startedAt} /> ({last.trigger === 'schedule' ? 'off-peak' : 'started by hand'}, {last.durationMs ?? '—'} ms{last.error ? `, failed: ${last.error}` : ''})
            </Text>
            <Text size="sm">
              Raw payloads pruned: <b>{last.payloadsPruned.toLocaleString()}</b> ({formatBytes(last.payloadBytes)})
            </Text>
            <Text size="sm">
              Transactions deleted: <b>{last.transactionsDeleted.toLocaleString()}</b> ({formatBytes(last.transactionBytes)})
            </Text>
            <Text size="sm">
              Log entries deleted: <b>{last.logsDeleted.toLocaleString()}</b> · {last.batches} batches
            </Text>
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            No retention run yet. Set how long data is kept in the practice's settings (Practices → Edit).
          </Text>
        )}
      </Card>
    </SimpleGrid>
  )
}
