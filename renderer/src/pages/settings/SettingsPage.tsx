import { Alert, Badge, Button, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core'
import { IconAlertTriangle, IconLock } from '@tabler/icons-react'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { formatBytes } from '../../components/time'
import { Time } from '../../app/time-format'
import { ConfigCard } from './ConfigCard'
import { BackupsCard } from './BackupsCard'
import { DataFolderCard } from './DataFolderCard'
import { SystemSettingsCard } from './SystemSettingsCard'
import { TimeZoneCard } from './TimeZoneCard'
import { PrivacyCard } from './PrivacyCard'
import { AcceptBreakButton } from '../../components/console/AcceptBreakButton'

export function SettingsPage() {
  const status = useApi('system.status', {}, { refetchInterval: 10_000 })
  const verify = useApiMutation('audit.verify', ['audit.list'])
  const mayVerify = useMayCall('audit.verify')
  const s = status.data
  return (
    <>
      <PageHeader title="Settings" description="Where data and secrets are kept, and this installation's version." />
      <ErrorAlert error={status.error} />
      {s?.secretStore.warning ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The encryption key sits beside the data" mb="md" data-testid="key-warning">
          {s.secretStore.warning}
        </Alert>
      ) : null}
      {s ? (
        <Stack>
          <Card withBorder>
            <Title order={4} mb="sm">
              Installation
            </Title>
            <Table variant="vertical" layout="fixed" withTableBorder={false} data-testid="settings-table">
              <Table.Tbody>
                <Row label="Version" value={<Code>{s.version}</Code>} />
                <Row label="Mode" value={s.mode === 'desktop' ? 'Desktop app' : 'Headless server (npm run serve)'} />
                <Row label="Running since" value={<Time value={s.startedAt} />} />
                <Row label="Operator" value={s.operator} />
                <Row label="Data folder" value={<Code data-testid="data-dir">{s.dataDir}</Code>} />
                <Row
                  label="Database"
                  value={
                    <Group gap="xs">
                      <Code>{s.database.file}</Code>
                      <Badge leftSection={<IconLock size={12} />} color={s.database.encrypted ? 'teal' : 'red'} variant="light">
                        {s.database.encrypted ? 'encrypted (SQLCipher, AES-256)' : 'NOT encrypted'}
                      </Badge>
                      <Text size="sm" c="dimmed">
                        schema {s.database.schemaVersion} · {formatBytes(s.database.sizeBytes)}
                      </Text>
                    </Group>
                  }
                />
                <Row
                  label="Keychain / secrets"
                  value={
                    <Group gap="xs">
                      <Badge color={s.secretStore.kind === 'keychain' ? 'teal' : 'orange'} variant="light" data-testid="secret-store-kind">
                        {s.secretStore.kind === 'keychain' ? 'OS keychain' : 'encrypted file'}
                      </Badge>
                      <Text size="sm">{s.secretStore.location}</Text>
                    </Group>
                  }
                />
                <Row
                  label="Engines"
                  value={
                    <Stack gap={4} data-testid="engines">
                      {s.engines.map((e) => (
                        <Group key={e.name} gap="xs" wrap="nowrap" align="flex-start" data-testid={`engine-${e.name}`}>
                          <Badge color={e.state === 'running' ? 'teal' : e.state === 'degraded' ? 'orange' : 'red'} variant="light">
                            {e.name}: {e.state}
                          </Badge>
                          {e.detail ? <Text size="sm">{e.detail}</Text> : null}
                        </Group>
                      ))}
                    </Stack>
                  }
                />
              </Table.Tbody>
            </Table>
          </Card>
          <Card withBorder>
            <Group justify="space-between">
              <div>
                <Title order={4}>Audit trail integrity</Title>
                <Text size="sm" c="dimmed">
                  Every entry is hash-chained to the previous one; every minute the whole chain is checked against a signed checkpoint kept in the secret store, outside the database.
                </Text>
              </div>
              {mayVerify ? (
                <Button variant="light" loading={verify.isPending} onClick={() => verify.mutate({})}>
                  Verify audit chain
                </Button>
              ) : null}
            </Group>
            <Group gap="xs" mt="sm" data-testid="audit-state">
              <Badge color={s.audit.state === 'ok' ? 'teal' : s.audit.state === 'broken' ? 'red' : 'gray'} variant="light">
                {s.audit.state === 'ok' ? 'verifies' : s.audit.state === 'broken' ? 'BROKEN' : 'not checked yet'}
              </Badge>
              <Text size="sm">
                {s.audit.detail}
                {s.audit.lastCheckedAt ? <> · checked <Time value={s.audit.lastCheckedAt} /></> : ''}
                {s.audit.exportError ? ` · export failing: ${s.audit.exportError}` : ''}
                {s.audit.seriesStart ? ` · checkpoint series since entry ${s.audit.seriesStart} (a break was accepted)` : ''}
              </Text>
              {s.audit.state === 'broken' ? <AcceptBreakButton onAccepted={() => verify.reset()} /> : null}
            </Group>
            {verify.data ? (
              <Alert mt="sm" color={verify.data.ok ? 'teal' : 'red'} data-testid="audit-verify-result">
                {verify.data.ok
                  ? `Intact: ${verify.data.checked} entries verified.`
                  : `Broken at entry ${verify.data.firstBrokenSeq} (${verify.data.reason}); ${verify.data.checked} entries before it verify.`}
              </Alert>
            ) : null}
            <ErrorAlert error={verify.error} />
          </Card>
          <DataFolderCard size={s.dataFolder} />
          <BackupsCard />
          <SystemSettingsCard />
          <TimeZoneCard />
          <PrivacyCard />
          <ConfigCard />
        </Stack>
      ) : null}
    </>
  )
}

function Row({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={200}>{label}</Table.Th>
      <Table.Td>{value}</Table.Td>
    </Table.Tr>
  )
}
