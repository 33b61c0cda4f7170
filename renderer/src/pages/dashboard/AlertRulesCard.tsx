import { ActionIcon, Badge, Button, Card, Group, Modal, MultiSelect, NumberInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import { ALERT_LEVELS, type AlertKind, type AlertRule } from '../../../../shared/api/alerts'
import type { Lane } from '../../../../shared/api/dashboard'
import { useApi, useApiMutation } from '../../api/client'
import { useCan } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'

type KindInfo = { kind: string; label: string; uses: string[]; thresholdLabel: string | null }

function describeRule(r: AlertRule, kind: KindInfo | undefined): string {
  const scope = r.connector && r.channel ? `${r.connector} / ${r.channel}` : (r.connector ?? r.channel ?? 'any interface')
  const parts = [kind?.label ?? r.kind]
  if (kind?.uses.includes('errorCode') && r.errorCode) parts.push(r.errorCode)
  if (kind?.uses.includes('threshold')) parts.push(`≥ ${r.threshold} ${kind.thresholdLabel ?? ''}`.trim())
  if (kind?.uses.includes('windowMinutes')) parts.push(`${r.windowMinutes} min`)
  if (kind?.uses.includes('channel') || kind?.uses.includes('connector')) parts.push(`on ${scope}`)
  if (r.channels.length) parts.push(`→ ${r.channels.length} channel${r.channels.length === 1 ? '' : 's'}`)
  if (r.quietHours) parts.push(`quiet ${r.quietHours.start}–${r.quietHours.end}`)
  return parts.join(' · ')
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
  errorCode: string
  channels: string[]
  quietStart: string
  quietEnd: string
  repeatMinutes: number | null
  notifyResolved: boolean
}

const SEP = '\u001f'
const NEW: Draft = { name: '', kind: 'error_count', level: 'warning', enabled: true, lane: null, threshold: 10, windowMinutes: 15, errorCode: '', channels: [], quietStart: '', quietEnd: '', repeatMinutes: null, notifyResolved: true }

const toDraft = (r: AlertRule): Draft => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  level: r.level,
  enabled: r.enabled,
  lane: r.connector ? `${r.connector}${SEP}${r.channel ?? ''}` : r.channel ? `${SEP}${r.channel}` : null,
  threshold: r.threshold,
  windowMinutes: r.windowMinutes,
  errorCode: r.errorCode ?? '',
  channels: r.channels,
  quietStart: r.quietHours?.start ?? '',
  quietEnd: r.quietHours?.end ?? '',
  repeatMinutes: r.repeatMinutes,
  notifyResolved: r.notifyResolved,
})

/** Alert rules of the practice: failures in a window, silence on an interface, queue depth. */
export function AlertRulesCard({ practiceId, lanes }: { practiceId: string; lanes: Lane[] }) {
  const rules = useApi('alerts.rules', { practiceId })
  const save = useApiMutation('alerts.saveRule', ['alerts.rules', 'audit.list'])
  const del = useApiMutation('alerts.deleteRule', ['alerts.rules', 'audit.list'])
  const check = useApiMutation('alerts.evaluate', ['alerts.rules', 'alerts.notifications'])
  const manage = useCan('conn.manage', practiceId)
  const [draft, setDraft] = useState<Draft | null>(null)
  const kinds = useApi('alerts.kinds', {})
  const channels = useApi('alerts.channels', { practiceId })
  const kindOf = (k: string) => (kinds.data ?? []).find((x) => x.kind === k)
  const uses = (u: string) => (draft ? ((kindOf(draft.kind)?.uses ?? []) as string[]).includes(u) : false)

  const laneOptions = [
    ...[...new Set(lanes.map((l) => l.connector))].map((c) => ({ value: `${c}${SEP}`, label: `${c} (all interfaces)` })),
    ...lanes.map((l) => ({ value: `${l.connector}${SEP}${l.channel}`, label: `${l.connector} / ${l.channel}` })),
  ]
  const submit = () => {
    if (!draft) return
    const [connector, channel] = draft.lane ? draft.lane.split(SEP) : [null, null]
    save.mutate(
      {
        ...(draft.id ? { id: draft.id } : {}),
        practiceId,
        name: draft.name.trim(),
        kind: draft.kind,
        level: draft.level,
        enabled: draft.enabled,
        connector: connector || null,
        channel: channel || null,
        threshold: draft.threshold,
        windowMinutes: draft.windowMinutes,
        errorCode: draft.errorCode.trim() || null,
        channels: draft.channels,
        quietHours: draft.quietStart && draft.quietEnd ? { start: draft.quietStart, end: draft.quietEnd } : null,
        repeatMinutes: draft.repeatMinutes,
        notifyResolved: draft.notifyResolved,
      },
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
          {manage ? (
            <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => (save.reset(), setDraft(NEW))}>
              New rule
            </Button>
          ) : null}
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
                    {describeRule(r, kindOf(r.kind))}
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
                  {manage ? (
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <ActionIcon
                        variant="subtle"
                        aria-label={`Edit rule ${r.name}`}
                        onClick={() => (save.reset(), setDraft(toDraft(r)))}
                      >
                        <IconPencil size={14} />
                      </ActionIcon>
                      <ActionIcon variant="subtle" color="red" aria-label={`Delete rule ${r.name}`} onClick={() => del.mutate({ id: r.id })}>
                        <IconTrash size={14} />
                      </ActionIcon>
                    </Group>
                  ) : null}
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
            <Select label="When" data={(kinds.data ?? []).map((k) => ({ value: k.kind, label: k.label }))} value={draft.kind} onChange={(v) => v && setDraft({ ...draft, kind: v as AlertKind })} allowDeselect={false} description={kindOf(draft.kind)?.description} />
            {uses('connector') || uses('channel') ? <Select label="Connector / interface" placeholder="any" data={laneOptions} value={draft.lane} onChange={(v) => setDraft({ ...draft, lane: v })} clearable /> : null}
            {uses('errorCode') ? <TextInput label="Error code" placeholder="code_map_miss" value={draft.errorCode} onChange={(e) => setDraft({ ...draft, errorCode: e.currentTarget.value })} error={save.error?.fieldErrors().errorCode} /> : null}
            {uses('threshold') ? (
              <NumberInput label={`At least (${kindOf(draft.kind)?.thresholdLabel ?? 'threshold'})`} min={1} value={draft.threshold} onChange={(v) => setDraft({ ...draft, threshold: Number(v) || 1 })} />
            ) : null}
            {uses('windowMinutes') ? <NumberInput label="Window (minutes)" min={1} value={draft.windowMinutes} onChange={(v) => setDraft({ ...draft, windowMinutes: Number(v) || 1 })} /> : null}
            <MultiSelect
              label="Also send to"
              description="E-mail and webhook channels (Alert channels card); the console's bell always gets it"
              data={(channels.data ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.kind === 'email' ? 'e-mail' : 'webhook'})` }))}
              value={draft.channels}
              onChange={(v) => setDraft({ ...draft, channels: v })}
              clearable
            />
            <Group grow>
              <TextInput label="Quiet from" placeholder="22:00" value={draft.quietStart} onChange={(e) => setDraft({ ...draft, quietStart: e.currentTarget.value })} error={save.error?.fieldErrors()['quietHours.start']} />
              <TextInput label="Quiet until" placeholder="07:00" description="practice time" value={draft.quietEnd} onChange={(e) => setDraft({ ...draft, quietEnd: e.currentTarget.value })} error={save.error?.fieldErrors()['quietHours.end']} />
            </Group>
            <NumberInput label="Repeat every (minutes) while it lasts" placeholder="once" min={5} value={draft.repeatMinutes ?? ''} onChange={(v) => setDraft({ ...draft, repeatMinutes: v === '' ? null : Number(v) })} />
            <Switch label="Send a notice when it is resolved" checked={draft.notifyResolved} onChange={(e) => setDraft({ ...draft, notifyResolved: e.currentTarget.checked })} />
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
