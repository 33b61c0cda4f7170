/**
 * Break-glass: the red banner with a countdown on every page while emergency access is open, and
 * the form that opens it (password and code again, a reason category and a written reason).
 */
import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Text, TextInput, Textarea } from '@mantine/core'
import { IconAlertTriangle } from '@tabler/icons-react'
import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { BREAKGLASS_REASONS } from '../../../shared/api/access'
import { api, type ApiError } from '../api/client'
import { useAuth } from '../app/auth'
import { ErrorAlert } from './ErrorAlert'

function left(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

export function BreakGlassBanner() {
  const { me, refresh } = useAuth()
  const qc = useQueryClient()
  const [now, setNow] = useState(() => Date.now())
  const open = me.breakGlass.filter((b) => b.expiresAt > now)
  useEffect(() => {
    if (!me.breakGlass.length) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [me.breakGlass.length])
  // When the time is up the engine has ended it: read who we are again.
  useEffect(() => {
    if (me.breakGlass.length && open.length < me.breakGlass.length) void refresh().then(() => qc.invalidateQueries())
  }, [open.length, me.breakGlass.length, refresh, qc])
  if (!open.length) return null
  return (
    <Stack gap={4} mb="sm">
      {open.map((b) => (
        <Alert key={b.id} color="red" variant="filled" icon={<IconAlertTriangle size={18} />} data-testid="breakglass-banner">
          <Group justify="space-between" wrap="nowrap">
            <Text size="sm" c="white">
              Emergency access to {b.practiceId} is open — every action is recorded for review. Ends in <b data-testid="breakglass-countdown">{left(b.expiresAt - now)}</b>.
            </Text>
            <Button
              size="xs"
              variant="white"
              color="red"
              onClick={async () => {
                await api('breakglass.stop', { id: b.id })
                await refresh()
                await qc.invalidateQueries()
              }}
            >
              End now
            </Button>
          </Group>
        </Alert>
      ))}
    </Stack>
  )
}

export function BreakGlassModal({ practiceId, opened, onClose }: { practiceId: string; opened: boolean; onClose: () => void }) {
  const { me, refresh } = useAuth()
  const qc = useQueryClient()
  const [category, setCategory] = useState<(typeof BREAKGLASS_REASONS)[number]>('treatment')
  const [reason, setReason] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Modal opened={opened} onClose={onClose} title={`Emergency access to ${practiceId}`} data-testid="breakglass-modal">
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          try {
            await api('breakglass.start', { practiceId, reasonCategory: category, reason, password, ...(code ? { code } : {}) })
            await refresh()
            await qc.invalidateQueries()
            onClose()
          } catch (err) {
            setError(err as ApiError)
          } finally {
            setBusy(false)
          }
        }}
      >
        <Stack>
          <Text size="sm">
            Opens PHI of this practice to you for a limited time. The practice's administrators are alerted at once, everything you do is recorded, and the session is reviewed afterwards.
          </Text>
          <Select label="Reason" data={BREAKGLASS_REASONS.map((r) => ({ value: r, label: r.replace('_', ' ') }))} value={category} onChange={(v) => v && setCategory(v as typeof category)} allowDeselect={false} />
          <Textarea label="What happened, and what do you need to see?" description="At least 20 characters." value={reason} onChange={(e) => setReason(e.currentTarget.value)} minRows={3} required />
          <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required />
          {me.secondFactor ? <TextInput label="Code from your authenticator app" value={code} onChange={(e) => setCode(e.currentTarget.value)} autoComplete="one-time-code" required /> : null}
          <ErrorAlert error={error} title="Not opened" />
          <Button color="red" type="submit" loading={busy}>
            Open emergency access
          </Button>
        </Stack>
      </form>
    </Modal>
  )
}
