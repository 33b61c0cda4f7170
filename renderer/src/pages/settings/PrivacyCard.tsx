import { Card, Radio, Stack, Title } from '@mantine/core'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import type { InspectorSettings } from '../../../../shared/api/inspector'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

/** The installation's reveal policy: does showing masked patient data ask why? (audited) */
export function PrivacyCard() {
  const settings = useApi('inspector.settings', {})
  const save = useApiMutation('inspector.saveSettings', ['inspector.settings', 'audit.list'])
  const maySave = useMayCall('inspector.saveSettings', ALL_PRACTICES)
  return (
    <Card withBorder data-testid="privacy-card">
      <Title order={4} mb="xs">
        Privacy
      </Title>
      <ErrorAlert error={settings.error ?? save.error} />
      <Radio.Group
        value={settings.data?.revealReason ?? 'off'}
        onChange={(v) => save.mutate({ revealReason: v as InspectorSettings['revealReason'] })}
        label="Revealing masked patient data"
        description="Every reveal is recorded in the audit trail; a reason, when asked for, is recorded with it. This applies to everyone on this installation."
      >
        <Stack gap={6} mt="xs">
          <Radio value="off" label="Does not ask for a reason" disabled={!maySave} />
          <Radio value="optional" label="Asks for a reason (optional)" disabled={!maySave} />
          <Radio value="required" label="Requires a reason" disabled={!maySave} />
        </Stack>
      </Radio.Group>
    </Card>
  )
}
