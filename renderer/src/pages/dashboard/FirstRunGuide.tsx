/**
 * The first-run guide: what the built-in sandbox practice simulates, and four first steps that
 * tick themselves off from what the console can already see (components in first-run.ts).
 * Shown on the sandbox practice until the person dismisses it (per person, app/person-flags.ts).
 */
import { Anchor, Button, Card, Group, List, Text, ThemeIcon, Title, VisuallyHidden } from '@mantine/core'
import { IconCircleCheck, IconCircleDashed } from '@tabler/icons-react'
import { useQueries } from '@tanstack/react-query'
import { Link } from 'wouter'
import { api, useApi } from '../../api/client'
import { useAuth } from '../../app/auth'
import { usePersonFlag } from '../../app/person-flags'
import { usePractice } from '../../app/practice-context'
import { guideProgress, type GuideProgress } from './first-run'

const STEPS: { key: keyof GuideProgress; label: string; href: string; how: string }[] = [
  { key: 'hl7', label: 'Send a test HL7 message', href: '/connections', how: 'to the sandbox listener (its address is on the Connections page), e.g. with mllp_send' },
  { key: 'sync', label: 'Run a full sync', href: '/connections', how: 'of reference data, patients or appointments from the simulated athenaNet' },
  { key: 'errorQueue', label: 'Open the error queue', href: '/errors', how: 'where messages that could not be processed wait for you' },
  { key: 'realConnection', label: 'Set up a real connection', href: '/practices', how: 'a practice of your own with its athenaNet, FHIR, HL7 or file connections' },
]

export function FirstRunGuide() {
  const { me } = useAuth()
  const { practiceId, practice, practices } = usePractice()
  const [dismissed, dismiss] = usePersonFlag(me.id, 'guide-dismissed')
  const [errorQueueOpened] = usePersonFlag(me.id, 'error-queue-opened')
  const show = !dismissed && Boolean(practice?.builtin)
  const lanes = useApi('dashboard.lanes', { practiceId: practiceId ?? '' }, { enabled: show && Boolean(practiceId) })
  const sync = useApi('athena.syncStatus', { practiceId: practiceId ?? '' }, { enabled: show && Boolean(practiceId), retry: false })
  const connections = useQueries({
    queries: practices.map((p) => ({
      queryKey: ['connections.list', { practiceId: p.id }],
      queryFn: () => api('connections.list', { practiceId: p.id }),
      enabled: show,
      retry: false,
    })),
  })
  if (!show) return null
  const done = guideProgress({
    lanes: lanes.data ?? [],
    streams: sync.data?.streams ?? [],
    connections: connections.map((q, i) => ({ practice: practices[i], items: q.data ?? [] })),
    errorQueueOpened,
  })
  const count = STEPS.filter((s) => done[s.key]).length
  return (
    <Card withBorder data-testid="first-run-guide" component="section" aria-labelledby="first-run-title">
      <Group justify="space-between" align="flex-start" mb="xs">
        <Title order={4} id="first-run-title">
          Getting started with the built-in sandbox
        </Title>
        <Button variant="subtle" size="xs" onClick={dismiss}>
          Dismiss guide
        </Button>
      </Group>
      <Text size="sm" mb="sm">
        The Sandbox Practice runs entirely on this computer: a simulated athenaNet (REST API and FHIR R4, with its own test patients and
        appointments) and an HL7 listener you can send messages to. No credentials are needed and nothing leaves this machine, so try
        anything here.
      </Text>
      <Text size="sm" fw={600} mb={4}>
        {count} of {STEPS.length} done
      </Text>
      <List spacing="xs" size="sm" center>
        {STEPS.map((s) => (
          <List.Item
            key={s.key}
            data-testid={`guide-${s.key}`}
            data-done={done[s.key] ? 'true' : 'false'}
            icon={
              <ThemeIcon variant="transparent" size={22} color={done[s.key] ? 'teal' : 'gray'} aria-hidden>
                {done[s.key] ? <IconCircleCheck size={20} /> : <IconCircleDashed size={20} />}
              </ThemeIcon>
            }
          >
            <Anchor component={Link} href={s.href}>
              {s.label}
            </Anchor>{' '}
            <Text span size="sm" c="dimmed">
              {s.how}
            </Text>
            <VisuallyHidden>{done[s.key] ? ' (done)' : ' (not done yet)'}</VisuallyHidden>
          </List.Item>
        ))}
      </List>
    </Card>
  )
}
