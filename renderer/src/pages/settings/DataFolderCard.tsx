import { Card, Group, Table, Text, Title } from '@mantine/core'
import type { DataFolderSize } from '../../../../shared/api/system'
import { formatBytes } from '../../components/time'

const PARTS: { key: keyof Omit<DataFolderSize, 'backupsDir' | 'total'>; label: string }[] = [
  { key: 'database', label: 'Database' },
  { key: 'databaseWal', label: 'Database WAL' },
  { key: 'inbox', label: 'Inbox' },
  { key: 'inboxWal', label: 'Inbox WAL' },
  { key: 'logs', label: 'Engine logs' },
  { key: 'backups', label: 'Backups' },
  { key: 'other', label: 'Other' },
]

/** What the data folder holds (system.status.dataFolder), on Settings and the dashboard. */
export function DataFolderCard({ size, compact = false }: { size: DataFolderSize; compact?: boolean }) {
  return (
    <Card withBorder data-testid="data-folder-size">
      <Group justify="space-between" mb="xs">
        <Title order={compact ? 5 : 4}>Data folder</Title>
        <Text fw={600} data-testid="data-folder-total">
          {formatBytes(size.total)}
        </Text>
      </Group>
      <Table fz="sm" withRowBorders={false} verticalSpacing={2}>
        <Table.Tbody>
          {PARTS.map((p) => (
            <Table.Tr key={p.key} data-testid={`data-folder-${p.key}`}>
              <Table.Td>{p.label}</Table.Td>
              <Table.Td ta="right">{formatBytes(size[p.key])}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!compact ? (
        <Text size="xs" c="dimmed" mt="xs">
          Backups are kept in {size.backupsDir}.
        </Text>
      ) : null}
    </Card>
  )
}
