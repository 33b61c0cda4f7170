import { ActionIcon, Badge, Button, Card, Group, Modal, NumberInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import { ALERT_KINDS, ALERT_LEVELS, type AlertKind, type AlertRule } from '../../../../shared/api/alerts'
import type { Lane } from '../../../../shared/api/dashboard'
import { useApi, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'

const KIND_LABEL: Record<AlertKind, string> = { error_count: 'Failures in a window', inactivity: 'No traffic on an interface', queue_depth: 'Queue depth' }

function describeRule(r: AlertRule): string {
  const scope = r.connector && r.channel ? `${r.connector} / ${r.channel}` : (r.connector ?? r.channel ?? 'any interface')
  if (r.kind === 'error_count') return `≥ ${r.threshold} failures in ${r.windowMinutes} min on ${scope}`
  if (r.kind === 'inactivity') return `nothing received for ${r.windowMinutes} min on ${scope}`
  return `≥ ${r.threshold} waiting on ${scope}`
}

interface Draft {
  id?: string
  name: string
  kind: AlertKind
  level: (typeof ALERT_LEVELS)[number]
  enabled: boolean
  lane: string | null
  threshold: number
  windowMinutes: number
}

const SEP = '\u001f'
const NEW: Draft = { name: '', kind: 'error_count', level: 'warning', enabled: true, lane: null, threshold: 10, windowMinutes: 15 }

/** Alert rules of the practice: failures in a window, silence on an interface, queue depth. */
export function AlertRulesCard({ practiceId, lanes }: { practiceId: string; lanes: Lane[] }) {
  const rules = useApi('alerts.rules', { practiceId })
  const save = useApiMutation('alerts.saveRule', ['alerts.rules', 'audit.list'])
  const del = useApiMutation('alerts.deleteRule', ['alerts.rules', 'audit.list'])
  const check = useApiMutation('alerts.evaluate', ['alerts.rules', 'alerts.notifications'])
  const [draft, setDraft] = useState<Draft | null>(null)

  const laneOptions = [
    ...[...new Set(lanes.map((l) => l.connector))].map((c) => ({ value: `${c}${SEP}`, label: `${c} (all interfaces)` })),
    ...lanes.map((l) => ({ value: `${l.connector}${SEP}${l.channel}`, label: `${l.connector} / ${l.channel}` })),
  ]
  const submit = () => {
    if (!draft) return
    const [connector, channel] = draft.lane ? draft.lane.split(SEP) : [null, null]
    save.mutate(
      { ...(draft.id ? { id: draft.id } : {}), practiceId, name: draft.name.trim(), kind: draft.kind, level: draft.level, enabled: draft.enabled, connector: connector || null, channel: channel || null, threshold: draft.threshold, windowMinutes: draft.windowMinutes },
      { onSuccess: () => setDraft(null) },
    )
  }

  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={4}>Alert rules</Title>
        <Group gap="xs">
          <Button
            size="xs"
            variant="default"
            loading={check.isPending}
            onClick={() => check.mutate({ practiceId }, { onSuccess: (r) => notifications.show({ color: r.length ? 'orange' : 'teal', title: 'Rules checked', message: r.length ? `${r.length} notification(s) raised.` : 'Nothing new to report.' }) })}
          >
            Check now
          </Button>
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => (save.reset(), setDraft(NEW))}>
            New rule
          </Button>
        </Group>
      </Group>
      <ErrorAlert error={rules.error ?? del.error ?? check.error} />
      {(rules.data ?? []).length === 0 ? (
        <Text size="sm" c="dimmed">
          No rules. Add one to be told (in the console and as an OS notification on the desktop) when failures pile up, an interface goes quiet or a queue grows.
        </Text>
      ) : (
        <Table fz="sm" data-testid="alert-rules">
          <Table.Tbody>
            {(rules.data ?? []).map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Text fw={500} size="sm">
                    {r.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {describeRule(r)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {!r.enabled ? (
                    <Badge color="gray">off</Badge>
                  ) : r.firing ? (
                    <Badge color={r.level === 'error' ? 'red' : r.level === 'warning' ? 'orange' : 'blue'}>firing</Badge>
                  ) : (
                    <Badge color="teal" variant="light">
                      ok
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {r.lastCheckedAt ? <>checked <Time value={r.lastCheckedAt} /> (value {r.lastValue ?? '—'})</> : 'not checked yet'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <ActionIcon
                      variant="subtle"
                      aria-label={`Edit rule ${r.name}`}
                      onClick={() => (save.reset(), setDraft({ id: r.id, name: r.name, kind: r.kind, level: r.level, enabled: r.enabled, lane: r.connector ? `${r.connector}${SEP}${r.channel ?? ''}` : null, threshold: r.threshold, windowMinutes: r.windowMinutes }))}
                    >
                      <IconPencil size={14} />
                    </ActionIcon>
                    <ActionIcon variant="subtle" color="red" aria-label={`Delete rule ${r.name}`} onClick={() => del.mutate({ id: r.id })}>
                      <IconTrash size={14} />
                    </ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={draft !== null} onClose={() => setDraft(null)} title={draft?.id ? 'Edit alert rule' : 'New alert rule'}>
        {draft ? (
          <Stack>
            <TextInput label="Name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={save.error?.fieldErrors().name} data-autofocus />
            <Select label="When" data={ALERT_KINDS.map((k) => ({ value: k, label: KIND_LABEL[k] }))} value={draft.kind} onChange={(v) => v && setDraft({ ...draft, kind: v as AlertKind })} allowDeselect={false} />
            <Select label="Connector / interface" placeholder="any" data={laneOptions} value={draft.lane} onChange={(v) => setDraft({ ...draft, lane: v })} clearable />
            {draft.kind !== 'inactivity' ? (
              <NumberInput label={draft.kind === 'error_count' ? 'Failures (at least)' : 'Waiting transactions (at least)'} min={1} value={draft.threshold} onChange={(v) => setDraft({ ...draft, threshold: Number(v) || 1 })} />
            ) : null}
            {draft.kind !== 'queue_depth' ? (
              <NumberInput label={draft.kind === 'error_count' ? 'Window (minutes)' : 'Silence (minutes)'} min={1} value={draft.windowMinutes} onChange={(v) => setDraft({ ...draft, windowMinutes: Number(v) || 1 })} />
            ) : null}
            <Select label="Level" data={[...ALERT_LEVELS]} value={draft.level} onChange={(v) => v && setDraft({ ...draft, level: v as Draft['level'] })} allowDeselect={false} />
            <Switch label="Enabled" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })} />
            <ErrorAlert error={save.error} />
            <Group justify="flex-end">
              <Button disabled={!draft.name.trim()} loading={save.isPending} onClick={submit}>
                Save rule
              </Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </Card>
  )
}
