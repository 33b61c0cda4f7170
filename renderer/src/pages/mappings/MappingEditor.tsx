import { Alert, Anchor, Badge, Button, Group, Loader, Stack, Tabs, Text, Tooltip } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { notifications } from '@mantine/notifications'
import { IconArrowLeft, IconBook, IconCloudCheck, IconCloudUpload, IconAlertTriangle, IconRocket, IconTrashX } from '@tabler/icons-react'
import { keepPreviousData } from '@tanstack/react-query'
import { useCallback, useEffect, useMemo, useState } from 'react'
import { Link } from 'wouter'
import type { MappingEditorState, TestRun } from '../../../../shared/api/mappings'
import type { FieldMap, MappingOverride } from '../../../../shared/mapping'
import { api, useApi, type ApiError } from '../../api/client'
import { useAuth } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { useTimeFormat } from '../../app/time-format'
import { FORMAT_LABELS } from './bits'
import { CodeMapsTab } from './CodeMapsTab'
import { CustomFieldsTab } from './CustomFieldsTab'
import { FieldsTab } from './FieldsTab'
import { effectiveRows, isEmptyOverride, newFieldId, removeField, revertField, sameJson, setCodeMapEntry, setField } from './override-model'
import { PreviewTab } from './PreviewTab'
import { PublishModal } from './PublishModal'
import { SampleBar, useSampleChoice } from './SampleBar'
import { TestsTab } from './TestsTab'
import { TransformLibrary } from './TransformLibrary'
import { UnmappedCodes } from './UnmappedCodes'
import { VersionsTab } from './VersionsTab'

export function MappingEditor({ setKey }: { setKey: string }) {
  const { practiceId } = usePractice()
  const [generation, setGeneration] = useState(0)
  const state = useApi('mappings.get', { practiceId: practiceId ?? '', key: setKey }, { enabled: Boolean(practiceId) })
  const reload = useCallback(async () => {
    await state.refetch()
    setGeneration((g) => g + 1)
  }, [state])
  if (!practiceId) return null
  if (state.error) {
    return (
      <>
        <BackLink />
        <ErrorAlert error={state.error} title="This mapping set cannot be opened" />
      </>
    )
  }
  if (!state.data) return <Loader />
  return <LoadedEditor key={`${practiceId}/${setKey}/${generation}`} practiceId={practiceId} state={state.data} reload={reload} />
}

function BackLink() {
  return (
    <Anchor component={Link} href="/" size="sm">
      <Group gap={4}>
        <IconArrowLeft size={14} /> All mapping sets
      </Group>
    </Anchor>
  )
}

type SaveState = { state: 'clean' | 'pending' | 'saving' | 'saved' | 'error'; at?: number; error?: ApiError }

function LoadedEditor({ practiceId, state, reload }: { practiceId: string; state: MappingEditorState; reload(): Promise<void> }) {
  const shipped = state.shipped
  const key = shipped.key
  const { can } = useAuth()
  const [override, setOverride] = useState<MappingOverride>(() => state.draft?.override ?? state.live?.override ?? { baseKey: key })
  const [dirty, setDirty] = useState(false)
  const [save, setSave] = useState<SaveState>(() => (state.draft ? { state: 'saved', at: state.draft.updatedAt } : { state: 'clean' }))
  const [hasDraft, setHasDraft] = useState(state.draft !== null)
  const [selected, setSelected] = useState<string | null>(null)
  const [tab, setTab] = useState<string | null>('fields')
  const [publishing, setPublishing] = useState(false)
  const [testRun, setTestRun] = useState<TestRun | null>(null)
  const [library, setLibrary] = useState(false)
  const [sample, setSample] = useSampleChoice(practiceId, key)

  const update = useCallback((o: MappingOverride) => {
    setOverride(o)
    setDirty(true)
  }, [])

  // Drafts save continuously (debounced); they are not live until published.
  useEffect(() => {
    if (!dirty) return
    setSave({ state: 'pending' })
    const t = setTimeout(() => {
      setSave({ state: 'saving' })
      api('mappings.saveDraft', { practiceId, key, override }).then(
        (r) => {
          setSave({ state: 'saved', at: r.updatedAt })
          setHasDraft(true)
        },
        (e: ApiError) => setSave({ state: 'error', error: e }),
      )
    }, 600)
    return () => clearTimeout(t)
  }, [override, dirty, practiceId, key])

  const [debounced] = useDebouncedValue(override, 200)
  const tree = useApi('mappings.samples.tree', { practiceId, key, sample: sample ?? { id: 0 } }, { enabled: sample !== null, placeholderData: keepPreviousData })
  const preview = useApi(
    'mappings.preview',
    { practiceId, key, override: debounced, sample: sample ?? { id: 0 }, ...(selected ? { traceFieldId: selected } : {}) },
    { enabled: sample !== null, placeholderData: keepPreviousData, staleTime: 60_000 },
  )
  const liveTree = sample ? tree.data : undefined
  const livePreview = sample ? preview.data : undefined

  const rows = useMemo(() => effectiveRows(shipped, override), [shipped, override])
  const effectiveSet = livePreview?.effective.set ?? shipped
  const codeMapNames = useMemo(() => [...new Set([...shipped.codeMaps.map((m) => m.name), ...(override.codeMaps ?? []).map((m) => m.name)])], [shipped, override])
  const setForEditor = useMemo(() => ({ ...effectiveSet, codeMaps: effectiveSet.codeMaps.filter((m) => codeMapNames.includes(m.name)) }), [effectiveSet, codeMapNames])

  const changeField = (f: FieldMap, previousId: string) => {
    update(setField(shipped, override, f, previousId))
    if (previousId !== f.id && selected === previousId) setSelected(f.id)
  }
  const addField = () => {
    const id = newFieldId(rows)
    const used = new Set(rows.map((r) => r.field.target))
    const target = shipped.direction === 'outbound' ? id.toUpperCase() : (state.targetPaths.find((t) => !used.has(t.path) && !t.repeated)?.path ?? `custom.${id}`)
    update(setField(shipped, override, { id, target, transforms: [{ op: 'trim' }] }))
    setSelected(id)
  }
  const discard = async () => {
    await api('mappings.discardDraft', { practiceId, key })
    notifications.show({ color: 'gray', title: 'Draft discarded', message: 'The editor shows the live version again.' })
    await reload()
  }

  const liveVersion = state.live?.version ?? null
  const stale = hasDraft && state.draft !== null && state.draft.basedOn !== liveVersion
  const differsFromLive = !sameJson(override, state.live?.override ?? { baseKey: key })
  const previewError = sample && preview.error ? preview.error.message : null
  const lint = livePreview?.effective.lint ?? []

  return (
    <Stack gap="sm">
      <BackLink />
      <PageHeader
        title={effectiveSet.name}
        description={
          <Group gap={6} component="span">
            <Text span ff="monospace" size="sm">
              {key}
            </Text>
            <Badge variant="outline" size="sm">
              {shipped.direction === 'inbound' ? `${FORMAT_LABELS[shipped.format]} → Practice Studio ${shipped.record}` : `Practice Studio ${shipped.record} → ${FORMAT_LABELS[shipped.format]}`}
            </Badge>
            <Badge variant="light" size="sm" color={liveVersion === null ? 'gray' : 'teal'} data-testid="live-version">
              {liveVersion === null ? 'live: shipped default' : `live: version ${liveVersion}`}
            </Badge>
          </Group>
        }
        actions={
          <>
            <DraftStatus save={save} hasDraft={hasDraft} />
            <Button variant="subtle" leftSection={<IconBook size={16} />} onClick={() => setLibrary(true)}>
              Transform library
            </Button>
            {hasDraft && can('mapping.edit', practiceId) ? (
              <Button variant="subtle" color="gray" leftSection={<IconTrashX size={16} />} onClick={() => void discard()}>
                Discard draft
              </Button>
            ) : null}
            {can('mapping.publish', practiceId) ? (
              <Button leftSection={<IconRocket size={16} />} onClick={() => setPublishing(true)} disabled={!differsFromLive && !hasDraft} data-testid="publish-button">
                Publish…
              </Button>
            ) : null}
          </>
        }
      />
      {stale ? (
        <Alert color="yellow" icon={<IconAlertTriangle size={16} />}>
          This draft started from {state.draft?.basedOn ? `version ${state.draft.basedOn}` : 'the shipped default'}; {liveVersion ? `version ${liveVersion}` : 'the shipped default'} is live now.
          Publishing the draft replaces it (entries added from the worklist were copied into the draft).
        </Alert>
      ) : null}
      {save.state === 'error' ? <ErrorAlert error={save.error} title="The draft was not saved" /> : null}
      {lint.some((l) => l.severity === 'error') ? (
        <Alert color="red" title="Definition errors (publishing is blocked until they are fixed)">
          {lint
            .filter((l) => l.severity === 'error')
            .map((l, i) => (
              <Text key={i} size="sm">
                {l.fieldId ? `${l.fieldId}: ` : ''}
                {l.message} ({l.path})
              </Text>
            ))}
        </Alert>
      ) : null}
      <SampleBar practiceId={practiceId} set={shipped} sample={sample} onSample={setSample} tree={liveTree} />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="fields">Fields ({rows.filter((r) => r.provenance !== 'removed').length})</Tabs.Tab>
          <Tabs.Tab value="codemaps">Code maps ({codeMapNames.length})</Tabs.Tab>
          <Tabs.Tab value="custom">Custom fields</Tabs.Tab>
          <Tabs.Tab value="tests" rightSection={testRun ? <Badge size="xs" color={testRun.failed ? 'red' : 'teal'}>{testRun.failed ? `${testRun.failed} failing` : 'pass'}</Badge> : null}>
            Tests ({effectiveSet.tests.length})
          </Tabs.Tab>
          <Tabs.Tab value="preview">Side by side</Tabs.Tab>
          <Tabs.Tab value="versions">Versions</Tabs.Tab>
          <Tabs.Tab value="misses" rightSection={state.openMisses ? <Badge size="xs" color="orange">{state.openMisses}</Badge> : null}>
            Unmapped codes
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="fields" pt="sm">
          <FieldsTab
            set={setForEditor}
            rows={rows}
            selected={selected}
            onSelect={setSelected}
            onChangeField={changeField}
            onRemove={(id) => {
              update(removeField(shipped, override, id))
              if (!shipped.fields.some((f) => f.id === id)) setSelected(null)
            }}
            onRevert={(id) => update(revertField(override, id))}
            onAdd={addField}
            preview={livePreview}
            previewError={previewError}
            tree={liveTree}
            targetPaths={state.targetPaths.concat(
              (livePreview?.effective.set.customFields ?? []).filter((c) => !state.targetPaths.some((t) => t.path === `custom.${c.key}`)).map((c) => ({ path: `custom.${c.key}`, type: 'string' as const, phi: c.phi ?? false, custom: true })),
            )}
          />
        </Tabs.Panel>
        <Tabs.Panel value="codemaps" pt="sm">
          <CodeMapsTab practiceId={practiceId} shipped={shipped} override={override} onOverride={update} whereUsed={state.whereUsed} />
        </Tabs.Panel>
        <Tabs.Panel value="custom" pt="sm">
          <CustomFieldsTab shipped={shipped} override={override} onOverride={update} />
        </Tabs.Panel>
        <Tabs.Panel value="tests" pt="sm">
          <TestsTab practiceId={practiceId} set={effectiveSet} override={override} onOverride={update} sample={sample} run={testRun} onRun={setTestRun} />
        </Tabs.Panel>
        <Tabs.Panel value="preview" pt="sm">
          <PreviewTab preview={livePreview} tree={liveTree} error={previewError} />
        </Tabs.Panel>
        <Tabs.Panel value="versions" pt="sm">
          <VersionsTab practiceId={practiceId} setKey={key} hasDraft={hasDraft} onChanged={() => void reload()} />
        </Tabs.Panel>
        <Tabs.Panel value="misses" pt="sm">
          <UnmappedCodes
            practiceId={practiceId}
            setKey={key}
            onEntryAdded={(k, map, entry) => {
              // The engine published the entry and copied it into the saved draft; keep the editor's copy in step.
              if (k !== key) return
              if (dirty || hasDraft) update(setCodeMapEntry(shipped, override, map, entry))
              else setOverride(setCodeMapEntry(shipped, override, map, entry))
            }}
          />
        </Tabs.Panel>
      </Tabs>
      <TransformLibrary opened={library} onClose={() => setLibrary(false)} />
      <PublishModal
        opened={publishing}
        practiceId={practiceId}
        setKey={key}
        override={override}
        onClose={() => setPublishing(false)}
        onPublished={(version, tests) => {
          setPublishing(false)
          setTestRun(tests)
          setDirty(false)
          notifications.show({ color: 'teal', title: `Version ${version} is live`, message: `${tests.passed} test${tests.passed === 1 ? '' : 's'} passed${tests.failed ? `, ${tests.failed} failed (accepted)` : ''}` })
          void reload()
        }}
      />
      {isEmptyOverride(override) && !hasDraft && liveVersion === null ? (
        <Text size="xs" c="dimmed">
          Everything here is the shipped default. Edits create a draft for this practice; nothing changes for other practices.
        </Text>
      ) : null}
    </Stack>
  )
}

function DraftStatus({ save, hasDraft }: { save: SaveState; hasDraft: boolean }) {
  const fmt = useTimeFormat()
  const label =
    save.state === 'pending' || save.state === 'saving'
      ? 'Saving draft…'
      : save.state === 'error'
        ? 'Draft not saved'
        : hasDraft
          ? `Draft saved${save.at ? ` ${fmt.format(save.at)}` : ''}`
          : 'No draft'
  return (
    <Tooltip label="Drafts save as you type and are not live until published">
      <Badge
        size="lg"
        variant="light"
        color={save.state === 'error' ? 'red' : save.state === 'saved' ? 'teal' : 'gray'}
        leftSection={save.state === 'saved' ? <IconCloudCheck size={14} /> : <IconCloudUpload size={14} />}
        data-testid="draft-status"
        data-state={save.state}
      >
        {label}
      </Badge>
    </Tooltip>
  )
}
