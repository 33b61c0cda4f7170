import { Alert, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Switch, Table, Text, Title, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconBolt, IconRefresh, IconReload, IconRotateClockwise, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { SubscriptionView } from '../../../../shared/api/fhir'
import type { OutputOf } from '../../../../shared/api'
import { useApi, useApiMutation } from '../../api/client'
import { useCan } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { FhirPullCard } from './FhirPullCard'

const STATE_COLOR: Record<SubscriptionView['state'], string> = { creating: 'blue', active: 'teal', retiring: 'yellow', deleted: 'gray', error: 'red' }

/** "3 d 4 h", "42 min", "—" for no end. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'no end'
  const min = Math.floor(ms / 60_000)
  if (min < 1) return 'under a minute'
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return `${h} h ${min % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

/**
 * athena event subscriptions of the selected practice: one per topic, with the server's status,
 * time to expiry, the last delivery and today's webhook counters; renew (new one first, overlap,
 * old one deleted), delete, apply the wanted topics now, a test notification (local sandbox),
 * and the receiver: where it listens, whether its public URL answers, reconciliation.
 */
export function SubscriptionsPage() {
  const { practiceId, practice } = usePractice()
  const pid = practiceId ?? ''
  const conns = useApi('connections.list', { practiceId: pid }, { enabled: Boolean(practiceId) })
  const fhir = (conns.data ?? []).find((c) => c.kind === 'fhir-r4' && c.enabled) ?? null
  const [showDeleted, setShowDeleted] = useState(false)
  const subs = useApi('fhir.subscriptions.list', { practiceId: pid, includeDeleted: showDeleted }, { enabled: Boolean(practiceId), refetchInterval: 5_000 })
  const canManage = useCan('conn.manage', practiceId)
  const canRun = useCan('conn.start_stop', practiceId)
  const canPull = useCan('records.write', practiceId)
  // Not the webhook status: reading it sends a probe through the public URL (signed, not counted), on opening and on request only.
  const after = ['fhir.subscriptions.list'] as const
  const sync = useApiMutation('fhir.subscriptions.sync', [...after])
  const renew = useApiMutation('fhir.subscriptions.renew', [...after])
  const remove = useApiMutation('fhir.subscriptions.delete', [...after])
  const sendTest = useApiMutation('fhir.subscriptions.sendTest', ['fhir.subscriptions.list'])
  const reconcile = useApiMutation('fhir.reconcile', ['fhir.webhook.status'])
  const cfg = (fhir?.config ?? {}) as { preset?: string; baseUrl?: string | null; webhook?: { topics?: string[] } }
  const sandbox = (cfg.preset ?? 'sandbox') === 'sandbox' && !cfg.baseUrl
  const rows = [...(subs.data ?? [])].sort((a, b) => a.topic.localeCompare(b.topic) || b.createdAt - a.createdAt)

  const applyNow = () =>
    sync.mutate(
      { practiceId: pid },
      { onSuccess: (r) => notifications.show({ color: r.errors.length ? 'orange' : 'teal', title: 'Subscriptions applied', message: `${r.created} created, ${r.recreated} re-created, ${r.renewed} renewed, ${r.deleted} deleted${r.errors.length ? `; ${r.errors.join('; ')}` : ''}` }) },
    )

  return (
    <>
      <PageHeader
        title="Subscriptions"
        description={`athena event subscriptions (FHIR, topic-based) of ${practice?.name ?? 'this practice'}: what is subscribed, what arrived today, and the receiver.`}
        actions={
          fhir ? (
            <>
              {canRun ? (
                <Button variant="default" leftSection={<IconReload size={16} />} loading={reconcile.isPending} onClick={() => reconcile.mutate({ practiceId: pid }, { onSuccess: (r) => notifications.show({ color: r.error ? 'red' : 'teal', title: 'Reconciled', message: r.error ? r.error.message : `${r.patients} patients re-read, ${r.stored} new resources` }) })}>
                  Reconcile now
                </Button>
              ) : null}
              {canManage ? (
                <Button leftSection={<IconRefresh size={16} />} loading={sync.isPending} onClick={applyNow}>
                  Apply topics now
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      <ErrorAlert error={conns.error ?? subs.error ?? sync.error ?? renew.error ?? remove.error ?? sendTest.error ?? reconcile.error} />
      {conns.data && !fhir ? (
        <Alert color="gray" data-testid="no-fhir">
          This practice has no enabled FHIR connection. Add a FHIR R4 endpoint on the Connections page and pick its topics there.
        </Alert>
      ) : null}
      {fhir && practiceId ? (
        <Stack>
          {canPull ? <FhirPullCard practiceId={practiceId} /> : null}
          <WebhookCard practiceId={practiceId} />
          <Card withBorder>
            <Group justify="space-between" mb="xs">
              <Title order={5}>
                Subscriptions <Text span size="sm" c="dimmed">wanted topics: {(cfg.webhook?.topics ?? []).join(', ') || 'none'}</Text>
              </Title>
              <Switch size="sm" label="Show deleted" checked={showDeleted} onChange={(e) => setShowDeleted(e.currentTarget.checked)} />
            </Group>
            {rows.length === 0 ? (
              <Text size="sm" c="dimmed" data-testid="no-subscriptions">
                No subscriptions. Turn the webhook on and pick topics in the FHIR connection, then apply.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={1100}>
                <Table fz="sm" striped data-testid="subscriptions-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Topic</Table.Th>
                      <Table.Th miw={96}>State</Table.Th>
                      <Table.Th>Expires in</Table.Th>
                      <Table.Th>Last event</Table.Th>
                      <Table.Th ta="right">Deliveries</Table.Th>
                      <Table.Th ta="right">Events</Table.Th>
                      <Table.Th ta="right">Duplicates</Table.Th>
                      <Table.Th ta="right">Bad signatures</Table.Th>
                      <Table.Th ta="right">Failures</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((s) => {
                      const live = s.state !== 'deleted'
                      return (
                        <Table.Tr key={s.id} data-testid={`subscription-${s.topic}${s.state === 'active' ? '' : `-${s.state}`}`}>
                          <Table.Td>
                            <Text size="sm" fw={500}>
                              {s.topic}
                            </Text>
                            <Text size="xs" c="dimmed" ff="monospace">
                              {s.remoteId ?? 'not created yet'}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <Tooltip label={s.lastError ?? `server status: ${s.remoteStatus ?? 'unknown'}`} multiline maw={380}>
                              <Badge color={STATE_COLOR[s.state]} variant="light" data-testid="subscription-state">
                                {s.state}
                              </Badge>
                            </Tooltip>
                            {s.lastError ? (
                              <Text size="xs" c="red" lineClamp={2}>
                                {s.lastError}
                              </Text>
                            ) : null}
                          </Table.Td>
                          <Table.Td>{s.state === 'retiring' ? (
                              <>
                                replaced; removed <Time value={s.retireAfter} />
                              </>
                            ) : (
                              formatDuration(s.expiresInMs)
                            )}</Table.Td>
                          <Table.Td data-testid="subscription-last"><Time value={s.lastDeliveryAt} /></Table.Td>
                          <Table.Td ta="right">{s.today.deliveries}</Table.Td>
                          <Table.Td ta="right" data-testid="subscription-events">
                            {s.today.events}
                          </Table.Td>
                          <Table.Td ta="right">{s.today.duplicates}</Table.Td>
                          <Table.Td ta="right">
                            <Text span size="sm" c={s.today.bad_signatures ? 'red' : undefined}>
                              {s.today.bad_signatures}
                            </Text>
                          </Table.Td>
                          <Table.Td ta="right">{s.today.failures}</Table.Td>
                          <Table.Td>
                            {live ? (
                              <Group gap={4} justify="flex-end" wrap="nowrap">
                                {sandbox && canRun && s.state === 'active' ? (
                                  <Button
                                    size="xs"
                                    variant="light"
                                    leftSection={<IconBolt size={14} />}
                                    aria-label={`Send a test notification for ${s.topic}`}
                                    loading={sendTest.isPending && sendTest.variables?.id === s.id}
                                    onClick={() => sendTest.mutate({ practiceId: pid, id: s.id }, { onSuccess: (r) => notifications.show({ color: 'blue', title: 'Test notification sent', message: `${s.topic}: event ${r.eventIds.join(', ')} (search it in Transactions)` }) })}
                                  >
                                    Test
                                  </Button>
                                ) : null}
                                {canManage ? (
                                  <>
                                    <Button
                                      size="xs"
                                      variant="subtle"
                                      leftSection={<IconRotateClockwise size={14} />}
                                      aria-label={`Renew ${s.topic}`}
                                      disabled={s.state === 'retiring'}
                                      loading={renew.isPending && renew.variables?.id === s.id}
                                      onClick={() => renew.mutate({ practiceId: pid, id: s.id }, { onSuccess: (r) => notifications.show({ color: 'teal', title: 'Subscription renewed', message: `${r.topic}: the old one is removed after the overlap` }) })}
                                    >
                                      Renew
                                    </Button>
                                    <Button
                                      size="xs"
                                      variant="subtle"
                                      color="red"
                                      leftSection={<IconTrash size={14} />}
                                      aria-label={`Delete ${s.topic}`}
                                      onClick={() => {
                                        if (window.confirm(`Delete the ${s.topic} subscription on the server? The subscription job re-creates it while the topic is wanted.`)) remove.mutate({ practiceId: pid, id: s.id })
                                      }}
                                    >
                                      Delete
                                    </Button>
                                  </>
                                ) : null}
                              </Group>
                            ) : null}
                          </Table.Td>
                        </Table.Tr>
                      )
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Card>
        </Stack>
      ) : null}
    </>
  )
}

type Counters = OutputOf<'fhir.webhook.status'>['unattributed']

function Count({ label, n, bad }: { label: string; n: number; bad?: boolean }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} c={bad && n ? 'red' : undefined}>
        {n}
      </Text>
    </Stack>
  )
}

function Refused({ c }: { c: Counters }) {
  return (
    <Group gap="lg" data-testid="webhook-refused">
      <Count label="Bad signatures (401)" n={c.bad_signatures} bad />
      <Count label="Malformed (400)" n={c.malformed} bad />
      <Count label="Unknown practice / subscription (404)" n={c.unknown} bad />
      <Count label="Store failures (503)" n={c.failures} bad />
    </Group>
  )
}

/**
 * The practice's webhook receiver. Its status call sends a signed probe through the public URL
 * (answered by this receiver without counting it), so it runs on opening and on request only.
 */
function WebhookCard({ practiceId }: { practiceId: string }) {
  const st = useApi('fhir.webhook.status', { practiceId }, { staleTime: Infinity, refetchOnWindowFocus: false, retry: false })
  const w = st.data
  const r = w?.lastReconcile ?? null
  return (
    <Card withBorder data-testid="webhook-card">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Title order={5}>Webhook receiver</Title>
          {w ? (
            <Badge color={!w.enabled ? 'gray' : w.listening ? 'teal' : 'red'} variant="light" data-testid="webhook-state">
              {!w.enabled ? 'off' : w.listening ? 'listening' : 'not listening'}
            </Badge>
          ) : null}
        </Group>
        <Button size="xs" variant="subtle" leftSection={<IconRefresh size={14} />} loading={st.isFetching} onClick={() => void st.refetch()}>
          Check again
        </Button>
      </Group>
      <ErrorAlert error={st.error} />
      {w ? (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Stack gap={6}>
            <Text size="sm">
              Local address: {w.localUrl ? <Code>{w.localUrl}</Code> : '—'}
            </Text>
            <Text size="sm">
              Notification URL: <Code>{w.publicUrl ?? w.localUrl ?? '—'}</Code> {w.publicUrl ? null : <Text span size="xs" c="dimmed">(no public URL set: sandbox only)</Text>}
            </Text>
            <Group gap="xs">
              <Text size="sm">Reachability:</Text>
              <Badge color={w.reachable === null ? 'gray' : w.reachable ? 'teal' : 'red'} variant="light" tt="none" data-testid="webhook-reachability">
                {w.reachability}
              </Badge>
            </Group>
            <Text size="xs" c="dimmed">
              Refused today, not attributable to a subscription:
            </Text>
            <Refused c={w.unattributed} />
          </Stack>
          <Stack gap={6} data-testid="last-reconcile">
            <Text size="sm" fw={600}>
              Last reconciliation
            </Text>
            {r ? (
              <>
                <Text size="sm">
                  <Time value={r.at} /> ({r.why}) · {r.patients} patients re-read · {r.stored} new, {r.duplicates} unchanged · {Math.round(r.durationMs)} ms
                </Text>
                {r.appointmentSync ? <Text size="sm">Appointment feed: {r.appointmentSync}</Text> : null}
                {r.error ? (
                  <Text size="sm" c="red">
                    {r.error.message} ({r.error.code})
                  </Text>
                ) : null}
              </>
            ) : (
              <Text size="sm" c="dimmed">
                Not run since the engine started.
              </Text>
            )}
          </Stack>
        </SimpleGrid>
      ) : null}
    </Card>
  )
}
