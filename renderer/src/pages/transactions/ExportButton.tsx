import { Button, Group, Menu, Modal, Progress, Stack, Text } from '@mantine/core'
import { IconDownload } from '@tabler/icons-react'
import { useRef, useState } from 'react'
import type { TxFilter } from '../../../../shared/api/transactions'
import { api, ApiError } from '../../api/client'
import { csvHeader, csvRows, exportFileName, jsonChunk, jsonEnd } from '../../components/console/export-format'
import { ErrorAlert } from '../../components/ErrorAlert'

const PAGE = 500

interface Run {
  format: 'csv' | 'json'
  total: number
  done: number
  finished: boolean
  cancelled: boolean
}

/**
 * Exports the filtered log. The engine counts the rows and audits the export; the console then
 * pages through them (never all at once) and hands the file to the browser.
 */
export function ExportButton({ filter }: { filter: TxFilter & { practiceId: string } }) {
  const [run, setRun] = useState<Run | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const cancel = useRef(false)

  const start = async (format: 'csv' | 'json') => {
    cancel.current = false
    setError(null)
    try {
      const { count } = await api('dashboard.beginExport', { filter, format })
      setRun({ format, total: count, done: 0, finished: false, cancelled: false })
      const parts: string[] = [format === 'csv' ? csvHeader() : '']
      let before: number | undefined
      let done = 0
      for (;;) {
        if (cancel.current) {
          setRun((r) => r && { ...r, cancelled: true })
          return
        }
        const page = await api('transactions.list', { ...filter, limit: PAGE, ...(before !== undefined ? { before } : {}) })
        parts.push(format === 'csv' ? csvRows(page.items) : jsonChunk(page.items, done === 0))
        done += page.items.length
        setRun((r) => r && { ...r, done })
        if (page.nextCursor === null) break
        before = page.nextCursor
      }
      if (format === 'json') parts.push(jsonEnd(done === 0))
      const blob = new Blob(parts, { type: format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json' })
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = exportFileName(filter.practiceId, format, new Date())
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setRun((r) => r && { ...r, finished: true })
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ code: 'internal', message: String(e), retryable: false }))
    }
  }

  const pct = run && run.total > 0 ? Math.min(100, (run.done / run.total) * 100) : run?.finished ? 100 : 0
  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default" leftSection={<IconDownload size={16} />}>
            Export
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>The filtered log</Menu.Label>
          <Menu.Item onClick={() => void start('csv')}>CSV</Menu.Item>
          <Menu.Item onClick={() => void start('json')}>JSON</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={run !== null || error !== null} onClose={() => ((cancel.current = true), setRun(null), setError(null))} title="Export transactions">
        <Stack>
          <ErrorAlert error={error} />
          {run ? (
            <>
              <Text size="sm">
                {run.format.toUpperCase()}: {run.done.toLocaleString()} of {run.total.toLocaleString()} transactions
                {run.finished ? ' — done, the file was downloaded.' : run.cancelled ? ' — cancelled.' : '…'}
              </Text>
              <Progress value={pct} animated={!run.finished && !run.cancelled} aria-label="Export progress" data-testid="export-progress" />
              <Text size="xs" c="dimmed">
                The export holds business keys (MRN, patient ids). It was recorded in the audit trail.
              </Text>
            </>
          ) : null}
          <Group justify="flex-end">
            {run && !run.finished && !run.cancelled ? (
              <Button variant="default" onClick={() => (cancel.current = true)}>
                Cancel
              </Button>
            ) : null}
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
