import { ActionIcon, Badge, Button, Card, Group, Modal, NumberInput, PasswordInput, SegmentedControl, Select, Stack, Table, TagsInput, Text, TextInput, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconPencil, IconPlus, IconSend, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { AlertChannel } from '../../../../shared/api/alerts'
import { useApi, useApiMutation } from '../../api/client'
import { useCan } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

interface Draft {
  id?: string
  name: string
  kind: 'email' | 'webhook'
  host: string
  port: number
  security: 'starttls' | 'tls' | 'none'
  username: string
  from: string
  to: string[]
  caFile: string
  url: string
  consoleUrl: string
  /** Write-only: empty = leave as it is. */
  secret: string
  secretSet: boolean
}

const NEW: Draft = { name: '', kind: 'email', host: '', port: 587, security: 'starttls', username: '', from: '', to: [], caFile: '', url: '', consoleUrl: typeof location !== 'undefined' && location.protocol.startsWith('http') ? `${location.origin}/` : '', secret: '', secretSet: false }

function toDraft(c: AlertChannel): Draft {
  const cfg = c.config as Record<string, unknown>
  const str = (k: string): string => (typeof cfg[k] === 'string' ? (cfg[k] as string) : '')
  return { ...NEW, id: c.id, name: c.name, kind: c.kind, host: str('host'), port: typeof cfg.port === 'number' ? cfg.port : 587, security: (str('security') || 'starttls') as Draft['security'], username: str('username'), from: str('from'), to: Array.isArray(cfg.to) ? (cfg.to as string[]) : [], caFile: str('caFile'), url: str('url'), consoleUrl: str('consoleUrl'), secretSet: c.secretSet }
}

/**
 * Where alerts go besides the console: e-mail over SMTP (STARTTLS or TLS; the password goes to
 * the keychain and is never shown again) and signed webhooks for chat tools and pagers.
 */
export function AlertChannelsCard({ practiceId }: { practiceId: string }) {
  const channels = useApi('alerts.channels', { practiceId })
  const save = useApiMutation('alerts.saveChannel', ['alerts.channels', 'audit.list'])
  const del = useApiMutation('alerts.deleteChannel', ['alerts.channels', 'audit.list'])
  const test = useApiMutation('alerts.testChannel')
  const manage = useCan('conn.manage', practiceId)
  const [draft, setDraft] = useState<Draft | null>(null)
  const fe = save.error?.fieldErrors() ?? {}

  const submit = () => {
    if (!draft) return
    const base = { ...(draft.id ? { id: draft.id } : {}), practiceId, name: draft.name.trim() }
    const consoleUrl = draft.consoleUrl.trim() || null
    const input =
      draft.kind === 'email'
        ? { ...base, kind: 'email' as const, config: { host: draft.host.trim(), port: draft.port, security: draft.security, username: draft.username.trim() || null, from: draft.from.trim(), to: draft.to, caFile: draft.caFile.trim() || null, consoleUrl }, ...(draft.secret ? { password: draft.secret } : {}) }
        : { ...base, kind: 'webhook' as const, config: { url: draft.url.trim(), consoleUrl }, ...(draft.secret ? { secret: draft.secret } : {}) }
    save.mutate(input, { onSuccess: () => setDraft(null) })
  }

  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={4}>Alert channels</Title>
        {manage ? (
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => (save.reset(), setDraft(NEW))}>
            New channel
          </Button>
        ) : null}
      </Group>
      <ErrorAlert error={channels.error ?? del.error ?? test.error} />
      {(channels.data ?? []).length === 0 ? (
        <Text size="sm" c="dimmed">
          No channels. Add an e-mail or webhook channel and choose it in an alert rule, so a failing feed reaches the person on call.
        </Text>
      ) : (
        <Table fz="sm" data-testid="alert-channels">
          <Table.Tbody>
            {(channels.data ?? []).map((c) => {
              const cfg = c.config as Record<string, unknown>
              return (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Text fw={500} size="sm">
                      {c.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {c.kind === 'email' ? `e-mail via ${String(cfg.host)}:${String(cfg.port)} (${String(cfg.security)}) to ${(cfg.to as string[]).join(', ')}` : `webhook ${String(cfg.url)}`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={c.secretSet ? 'teal' : 'gray'} variant="light">
                      {c.kind === 'email' ? 'password' : 'secret'} {c.secretSet ? 'set' : 'not set'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {manage ? (
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        <ActionIcon
                          variant="subtle"
                          aria-label={`Test channel ${c.name}`}
                          loading={test.isPending && test.variables?.id === c.id}
                          onClick={() => test.mutate({ id: c.id }, { onSuccess: (r) => notifications.show({ color: r.ok ? 'teal' : 'red', title: r.ok ? 'Test sent' : 'Test failed', message: r.detail }) })}
                        >
                          <IconSend size={14} />
                        </ActionIcon>
                        <ActionIcon variant="subtle" aria-label={`Edit channel ${c.name}`} onClick={() => (save.reset(), setDraft(toDraft(c)))}>
                          <IconPencil size={14} />
                        </ActionIcon>
                        <ActionIcon variant="subtle" color="red" aria-label={`Delete channel ${c.name}`} onClick={() => del.mutate({ id: c.id })}>
                          <IconTrash size={14} />
                        </ActionIcon>
                      </Group>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              )
            })}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={draft !== null} onClose={() => setDraft(null)} title={draft?.id ? 'Edit alert channel' : 'New alert channel'} size="lg">
        {draft ? (
          <Stack>
            <TextInput label="Name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={fe.name} data-autofocus />
            <SegmentedControl
              aria-label="Channel kind"
              disabled={Boolean(draft.id)}
              value={draft.kind}
              onChange={(v) => setDraft({ ...draft, kind: v as Draft['kind'] })}
              data={[
                { value: 'email', label: 'E-mail (SMTP)' },
                { value: 'webhook', label: 'Webhook' },
              ]}
            />
            {draft.kind === 'email' ? (
              <>
                <Group grow align="flex-start">
                  <TextInput label="SMTP server" value={draft.host} onChange={(e) => setDraft({ ...draft, host: e.currentTarget.value })} error={fe['config.host']} />
                  <NumberInput label="Port" min={1} max={65535} value={draft.port} onChange={(v) => setDraft({ ...draft, port: Number(v) || 587 })} error={fe['config.port']} />
                  <Select
                    label="Security"
                    allowDeselect={false}
                    value={draft.security}
                    onChange={(v) => setDraft({ ...draft, security: (v ?? 'starttls') as Draft['security'] })}
                    data={[
                      { value: 'starttls', label: 'STARTTLS (587)' },
                      { value: 'tls', label: 'TLS (465)' },
                      { value: 'none', label: 'None (this machine only)' },
                    ]}
                    error={fe['config.security']}
                  />
                </Group>
                <Group grow align="flex-start">
                  <TextInput label="Username" value={draft.username} onChange={(e) => setDraft({ ...draft, username: e.currentTarget.value })} />
                  <PasswordInput label="Password" description={draft.secretSet ? 'Set; leave empty to keep it' : 'Kept in the keychain'} value={draft.secret} onChange={(e) => setDraft({ ...draft, secret: e.currentTarget.value })} autoComplete="new-password" />
                </Group>
                <TextInput label="From" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })} error={fe['config.from']} />
                <TagsInput label="To" description="Press Enter after each address" value={draft.to} onChange={(v) => setDraft({ ...draft, to: v })} error={fe['config.to']} />
                <TextInput label="CA certificate file" description="PEM, when the server's certificate is not signed by a public CA" value={draft.caFile} onChange={(e) => setDraft({ ...draft, caFile: e.currentTarget.value })} />
              </>
            ) : (
              <>
                <TextInput label="URL" value={draft.url} onChange={(e) => setDraft({ ...draft, url: e.currentTarget.value })} error={fe['config.url']} />
                <PasswordInput label="Signing secret" description={draft.secretSet ? 'Set; leave empty to keep it' : 'At least 16 characters; HMAC-SHA256 of "<timestamp>.<body>" in X-PracticeStudio-Signature'} value={draft.secret} onChange={(e) => setDraft({ ...draft, secret: e.currentTarget.value })} error={fe.secret} autoComplete="new-password" />
              </>
            )}
            <TextInput label="Console address for links" description="How people reach this console, e.g. http://console.clinic.local:8080/" value={draft.consoleUrl} onChange={(e) => setDraft({ ...draft, consoleUrl: e.currentTarget.value })} error={fe['config.consoleUrl']} />
            <ErrorAlert error={save.error} />
            <Group justify="flex-end">
              <Button disabled={!draft.name.trim()} loading={save.isPending} onClick={submit}>
                Save channel
              </Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </Card>
  )
}
