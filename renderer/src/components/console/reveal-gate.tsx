/**
 * Before patient data is shown: asks for a reason when the installation's reveal policy says so
 * (Settings → Privacy; `inspector.settings`), then runs the reveal with it. The engine refuses a
 * reveal without a reason under a `required` policy, so this is a courtesy, not the guard.
 */
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core'
import { useCallback, useState, type ReactNode } from 'react'
import { useApi } from '../../api/client'

export interface RevealGate {
  /** Runs `reveal` at once (policy off) or after the person gave a reason (optional: may be empty). */
  gate(what: string, reveal: (reason: string | undefined) => void, onCancel?: () => void): void
  /** The policy is known (a reveal made before would not know whether to ask). */
  ready: boolean
  modal: ReactNode
}

export function useRevealGate(): RevealGate {
  const settings = useApi('inspector.settings', {}, { staleTime: 60_000 })
  const policy = settings.data?.revealReason ?? 'off'
  const [pending, setPending] = useState<{ what: string; run: (reason: string | undefined) => void; cancel?: () => void } | null>(null)
  const [reason, setReason] = useState('')
  const gate = useCallback(
    (what: string, run: (reason: string | undefined) => void, cancel?: () => void) => {
      if (policy === 'off') return run(undefined)
      setReason('')
      setPending({ what, run, ...(cancel ? { cancel } : {}) })
    },
    [policy],
  )
  const confirm = () => {
    if (!pending) return
    pending.run(reason.trim() || undefined)
    setPending(null)
  }
  const dismiss = () => {
    pending?.cancel?.()
    setPending(null)
  }
  const modal = (
    <Modal opened={pending !== null} onClose={dismiss} title="Reveal patient data">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          confirm()
        }}
      >
        <Stack>
          <Text size="sm">You are about to see {pending?.what}. The reveal and your reason are recorded in the audit trail.</Text>
          <TextInput label={policy === 'required' ? 'Reason (required)' : 'Reason (optional)'} value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-autofocus maxLength={500} />
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button type="submit" color="orange" disabled={policy === 'required' && !reason.trim()}>
              Reveal
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
  return { gate, ready: settings.isSuccess || settings.isError, modal }
}
