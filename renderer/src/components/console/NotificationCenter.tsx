import { ActionIcon, Badge, Button, Group, Indicator, Popover, ScrollArea, SegmentedControl, Stack, Text, UnstyledButton } from '@mantine/core'
import { useState } from 'react'
import { useLocation } from 'wouter'
import { notifications } from '@mantine/notifications'
import { IconBell } from '@tabler/icons-react'
import { useApi, useApiMutation } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { Time } from '../../app/time-format'
import { useEngineEvent } from './engine-events'

const COLOR = { info: 'blue', warning: 'orange', error: 'red' } as const

/** Shows each raised alert as a toast, wherever the operator is in the console. Renders nothing. */
export function NotificationToasts() {
  useEngineEvent('notifications.raised', (n) => {
    notifications.show({ color: COLOR[n.level], title: n.title, message: n.message, autoClose: n.level === 'error' ? false : 8000 })
  })
  return null
}

/** The bell: unread alert notifications of the current practice, or of all practices, newest first. */
export function NotificationBell() {
  const { practiceId, practices } = usePractice()
  const [scope, setScope] = useState<'practice' | 'all'>('practice')
  const [opened, setOpened] = useState(false)
  const [, navigate] = useLocation()
  const scoped = scope === 'practice' ? (practiceId ?? undefined) : undefined
  const list = useApi('alerts.notifications', { ...(scoped ? { practiceId: scoped } : {}), limit: 30 }, { enabled: Boolean(practiceId) || scope === 'all' })
  const markRead = useApiMutation('alerts.markRead', ['alerts.notifications'])
  const unread = list.data?.unread ?? 0
  const nameOf = (id: string | null) => (id === null ? 'all practices' : (practices.find((p) => p.id === id)?.name ?? id))
  // A notification opens the page that shows its cause (the failing group, the transactions), the
  // same link the e-mail carries: its query selects the practice and the group there.
  const follow = (n: { id: string; link: string | null; readAt: number | null }) => {
    if (!n.link) return
    if (!n.readAt) markRead.mutate({ ids: [n.id] })
    setOpened(false)
    navigate(n.link)
  }
  return (
    <Popover width={440} position="bottom-end" shadow="md" opened={opened} onChange={setOpened}>
      <Indicator label={unread} size={16} disabled={unread === 0} color="red">
        <Popover.Target>
          <ActionIcon variant="default" size="lg" aria-label={`Notifications (${unread} unread)`} data-testid="notification-bell" onClick={() => setOpened((o) => !o)}>
            <IconBell size={18} />
          </ActionIcon>
        </Popover.Target>
      </Indicator>
      <Popover.Dropdown>
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Notifications</Text>
          <Button size="xs" variant="subtle" disabled={unread === 0} onClick={() => markRead.mutate(scoped ? { practiceId: scoped } : {})}>
            Mark all read
          </Button>
        </Group>
        <SegmentedControl
          size="xs"
          fullWidth
          mb="xs"
          value={scope}
          onChange={(v) => setScope(v as 'practice' | 'all')}
          aria-label="Whose notifications"
          data={[
            { value: 'practice', label: 'This practice' },
            { value: 'all', label: 'All practices' },
          ]}
          data-testid="notification-scope"
        />
        <ScrollArea.Autosize mah={400}>
          <Stack gap="xs" data-testid="notification-list">
            {(list.data?.items ?? []).length === 0 ? <Text size="sm" c="dimmed">No notifications.</Text> : null}
            {(list.data?.items ?? []).map((n) => (
              <div key={n.id} style={{ opacity: n.readAt ? 0.6 : 1 }}>
                <Group gap="xs" wrap="nowrap">
                  <Badge size="xs" color={COLOR[n.level]}>
                    {n.level}
                  </Badge>
                  {n.link ? (
                    <UnstyledButton onClick={() => follow(n)} data-testid="notification-link" aria-label={`${n.title}: open ${n.link.startsWith('/errors') ? 'the failing group' : 'what caused it'}`}>
                      <Text size="sm" fw={500} td="underline">
                        {n.title}
                      </Text>
                    </UnstyledButton>
                  ) : (
                    <Text size="sm" fw={500}>
                      {n.title}
                    </Text>
                  )}
                </Group>
                <Text size="xs">{n.message}</Text>
                <Text size="xs" c="dimmed">
                  <Time value={n.at} />
                  {scope === 'all' ? <span data-testid="notification-practice"> · {nameOf(n.practiceId)}</span> : null}
                </Text>
              </div>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  )
}
