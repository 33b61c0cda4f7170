/** Before anything else: change a temporary password, or enrol the second factor the installation requires. */
import { Center, Paper, Stack, Title } from '@mantine/core'
import type { Me } from '../../../../shared/api/access'
import { ChangePasswordForm, TotpEnrolment } from '../account/AccountPage'

export function AccountGate({ me, onDone }: { me: Me; onDone: () => Promise<void> }) {
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={480} radius="md">
        <Stack>
          <Title order={3}>{me.mustChangePassword ? 'Choose your password' : 'Set up your second factor'}</Title>
          {me.mustChangePassword ? <ChangePasswordForm temporary onDone={onDone} /> : <TotpEnrolment onDone={onDone} />}
        </Stack>
      </Paper>
    </Center>
  )
}
