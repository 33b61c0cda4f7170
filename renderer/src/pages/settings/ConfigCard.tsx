import { Alert, Button, Card, FileButton, Group, List, Stack, Text, Textarea, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconDownload, IconUpload } from '@tabler/icons-react'
import { useState } from 'react'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import { api, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

/** Configuration as diff-friendly JSON: export for source control, import with line-precise validation. */
export function ConfigCard() {
  const [text, setText] = useState('')
  const imp = useApiMutation('config.import', ['practices.list', 'connections.list'])
  const mayExport = useMayCall('config.export')
  const mayImport = useMayCall('config.import', ALL_PRACTICES)
  const download = async () => {
    const { json } = await api('config.export', {})
    const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `practice-studio-config-${new Date().toISOString().slice(0, 10)}.json`
    a.click()
    URL.revokeObjectURL(url)
  }
  const run = (dryRun: boolean) =>
    imp.mutate(
      { json: text, dryRun },
      {
        onSuccess: (r) => {
          if (r.ok && !dryRun) notifications.show({ color: 'teal', title: 'Configuration applied', message: `${r.applied.practices} practices, ${r.applied.connections} connections` })
        },
      },
    )
  if (!mayExport && !mayImport) return null
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <div>
            <Title order={4}>Configuration</Title>
            <Text size="sm" c="dimmed">
              Practices, connections, interfaces and mapping overrides. Secrets are never exported.
            </Text>
          </div>
          <Group>
            {mayExport ? (
              <Button variant="light" leftSection={<IconDownload size={16} />} onClick={() => void download()}>
                Export
              </Button>
            ) : null}
            {mayImport ? (
            <FileButton accept="application/json" onChange={(f) => void f?.text().then(setText)}>
              {(props) => (
                <Button variant="default" leftSection={<IconUpload size={16} />} {...props}>
                  Load file…
                </Button>
              )}
            </FileButton>
            ) : null}
          </Group>
        </Group>
        {mayImport ? (
        <>
        <Textarea label="Configuration to import" autosize minRows={4} maxRows={16} ff="monospace" value={text} onChange={(e) => setText(e.currentTarget.value)} data-testid="config-text" />
        <Group justify="flex-end">
          <Button variant="default" disabled={!text} loading={imp.isPending} onClick={() => run(true)}>
            Validate
          </Button>
          <Button disabled={!text} loading={imp.isPending} onClick={() => run(false)}>
            Import
          </Button>
        </Group>
        </>
        ) : null}
        {imp.data && !imp.data.ok ? (
          <Alert color="red" title="Invalid configuration: nothing was changed" data-testid="config-issues">
            <List size="sm">
              {imp.data.issues.map((i, n) => (
                <List.Item key={n}>
                  {i.line !== null ? `line ${i.line}, column ${i.column}: ` : ''}
                  {i.path ? <code>{i.path}</code> : null} {i.message}
                </List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        {imp.data?.ok ? <Alert color="teal">{imp.variables?.dryRun ? 'Valid.' : 'Applied.'}</Alert> : null}
        <ErrorAlert error={imp.error} />
      </Stack>
    </Card>
  )
}
