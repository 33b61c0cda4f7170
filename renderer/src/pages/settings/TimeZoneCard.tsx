import { useState } from 'react'
import { Card, Radio, Stack, Text, Title } from '@mantine/core'
import { usePractice } from '../../app/practice-context'
import { useTimeFormat } from '../../app/time-format'
import { useZonePreference } from '../../app/zone-preference'
import { localZone, type ZoneChoice } from '../../components/time'

/** Which zone this person reads every time in (kept per browser until accounts arrive). */
export function TimeZoneCard() {
  const [choice, setChoice] = useZonePreference()
  const { practice } = usePractice()
  const fmt = useTimeFormat()
  const [now] = useState(() => Date.now())
  return (
    <Card withBorder data-testid="time-zone-card">
      <Title order={4} mb="xs">
        Times
      </Title>
      <Radio.Group value={choice} onChange={(v) => setChoice(v as ZoneChoice)} label="Show every time in" description="Each time is shown with its zone. This choice is kept for you on this computer.">
        <Stack gap={6} mt="xs">
          <Radio value="practice" label={`The practice's zone (${practice?.timeZone ?? 'not set'})`} />
          <Radio value="local" label={`This computer's zone (${localZone()})`} />
          <Radio value="utc" label="UTC" />
        </Stack>
      </Radio.Group>
      <Text size="sm" mt="sm" data-testid="time-zone-example">
        Opened at {fmt.format(now)}
      </Text>
    </Card>
  )
}
