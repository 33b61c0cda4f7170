import { Stack, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { ConnectionFormFooter, ScratchFolderField, configErrors, type ConnectionFormProps } from './ConnectionFormParts'

/** A local or mounted folder as a location: its absolute path on the machine the engine runs on. No secrets. */
export function FolderLocationForm({ initial, onSubmit, onCancel, error, busy }: ConnectionFormProps) {
  const cfg = (initial?.config ?? {}) as Record<string, unknown>
  const [name, setName] = useState(initial?.name ?? 'folder')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [path, setPath] = useState(String(cfg.path ?? ''))
  const [scratch, setScratch] = useState(String(cfg.scratchFolder ?? '.psc-probe'))
  const { fe, err, unplaced } = configErrors(error, ['path', 'scratchFolder'])
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSubmit({ name, enabled, config: { path, scratchFolder: scratch } })
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label="Folder path"
          description="Absolute path on the machine the engine runs on (a local folder or a mounted share)."
          required
          value={path}
          error={err('path')}
          onChange={(e) => setPath(e.currentTarget.value)}
        />
        <ScratchFolderField value={scratch} error={err('scratchFolder')} onChange={setScratch} />
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}
