import { Button, Group, JsonInput, Stack, Switch, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import { ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

const TEMPLATES: Record<string, Record<string, unknown>> = {
  'hl7-inbound': { host: '127.0.0.1', port: 0, ackMode: 'commit' },
  'hl7-outbound': { host: '127.0.0.1', port: 2575, messageTypes: ['SIU^S12', 'SIU^S14', 'SIU^S15'] },
}

/** HL7 interfaces: their settings as JSON, validated by the engine (field errors come back by path). */
export function JsonConnectionForm({
  kind,
  initial,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  kind: 'hl7-inbound' | 'hl7-outbound'
  initial?: Connection
  onSubmit(v: { name: string; enabled: boolean; config: Record<string, unknown> }): void
  onCancel(): void
  error: ApiError | null
  busy: boolean
}) {
  const [name, setName] = useState(initial?.name ?? (kind === 'hl7-inbound' ? 'adt-in' : 'siu-out'))
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [text, setText] = useState(JSON.stringify(initial?.config ?? TEMPLATES[kind], null, 2))
  const [parseError, setParseError] = useState<string | null>(null)
  const fe = error instanceof ApiError ? error.fieldErrors() : {}
  const configErrors = Object.entries(fe).filter(([k]) => k.startsWith('config'))
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        try {
          const config = JSON.parse(text) as Record<string, unknown>
          // Formatted on submit, not on blur: a blur reformat grows the box under the pointer and
          // the click on "Create connection" that caused the blur lands on nothing.
          setText(JSON.stringify(config, null, 2))
          setParseError(null)
          onSubmit({ name, enabled, config })
        } catch {
          setParseError('Not valid JSON')
        }
      }}
    >
      <Stack>
        <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} />
        <JsonInput
          label="Settings"
          autosize
          minRows={8}
          value={text}
          onChange={setText}
          error={parseError ?? (configErrors.length ? configErrors.map(([k, m]) => `${k}: ${m}`).join('; ') : undefined)}
        />
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <ErrorAlert error={error && Object.keys(fe).length === 0 ? error : null} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {initial ? 'Save' : 'Create connection'}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
