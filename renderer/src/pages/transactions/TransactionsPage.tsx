import { Alert, Badge, Button, Group, Loader, Paper, Switch, Text, Tooltip } from '@mantine/core'
import { useVirtualizer } from '@tanstack/react-virtual'
import { IconArrowUp } from '@tabler/icons-react'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useSearch } from 'wouter'
import type { TxSummary } from '../../../../shared/api/transactions'
import { useCan } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { StatusBadge } from '../../components/console/StatusBadge'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { ExportButton } from './ExportButton'
import { FilterBar } from './FilterBar'
import { loadFilter, storeFilter } from './filter-storage'
import { toTxFilter, type LogFilter } from './log-filter'
import { filterToSearch, searchToFilter } from './filter-url'
import { SavedSearchesMenu } from './SavedSearchesMenu'
import { useTxLog } from './use-tx-log'

const COLUMNS = '170px 90px 130px 70px 90px minmax(200px, 1fr) 100px 70px 80px'
const ROW_HEIGHT = 40

export function TransactionsPage() {
  const { practiceId, practices, setPracticeId } = usePractice()
  const mayExport = useCan('msg.export', practiceId)
  const [filter, setFilterState] = useState<LogFilter | null>(null)
  const [live, setLive] = useState(true)
  const [now, setNow] = useState(() => Date.now())
  // Re-read when a link is followed while this page is open (the notification bell).
  const search = useSearch()

  useEffect(() => {
    if (!practiceId) return
    // An alert's link names its practice: switch to it first, so the search below is kept for that practice.
    const linkedPractice = new URLSearchParams(window.location.search).get('practiceId')
    if (linkedPractice && linkedPractice !== practiceId && practices.some((p) => p.id === linkedPractice)) return setPracticeId(linkedPractice)
    // A link from elsewhere (a listener's counters, an alert) carries its search in the query: it wins once.
    const linked = searchToFilter(window.location.search)
    if (linked) {
      storeFilter(practiceId, linked)
      history.replaceState(history.state, '', window.location.pathname + window.location.hash)
    }
    setFilterState(linked ?? loadFilter(practiceId))
  }, [practiceId, practices, setPracticeId, search])
  const setFilter = (f: LogFilter) => {
    if (!practiceId) return
    storeFilter(practiceId, f)
    setNow(Date.now())
    setFilterState(f)
  }
  const txFilter = useMemo(() => (practiceId && filter ? toTxFilter(practiceId, filter, now) : null), [practiceId, filter, now])
  const log = useTxLog(txFilter, live)

  return (
    <>
      <PageHeader
        title="Transactions"
        description="Everything the engines received and sent, newest first. Search by MRN, patient, appointment or control id, or any text in the message."
        actions={
          <>
            {practiceId && filter ? <SavedSearchesMenu practiceId={practiceId} current={filter} onApply={setFilter} /> : null}
            {txFilter && mayExport ? <ExportButton filter={txFilter} /> : null}
          </>
        }
      />
      {filter ? <FilterBar practiceId={practiceId!} value={filter} onChange={setFilter} /> : null}
      <Group justify="space-between" my="xs">
        <Group gap="xs">
          <Switch label="Live tail" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} data-testid="live-tail" />
          {log.newRows > 0 ? (
            <Button size="compact-sm" variant="light" leftSection={<IconArrowUp size={14} />} onClick={log.showNew}>
              {log.newRows} new
            </Button>
          ) : null}
        </Group>
        <Text size="sm" c="dimmed" data-testid="tx-loaded">
          {log.rows.length} shown{log.done ? '' : ', more as you scroll'}
          {log.loading ? ' · loading…' : ''}
        </Text>
      </Group>
      <ErrorAlert error={log.error} />
      <TxTable rows={log.rows} loading={log.loading} done={log.done} onNeedMore={log.loadMore} search={filter ? filterToSearch(filter) : ''} />
    </>
  )
}

/** `search`: the filter as URL query, carried to the inspector for previous / next. */
function TxTable({ rows, loading, done, onNeedMore, search }: { rows: TxSummary[]; loading: boolean; done: boolean; onNeedMore(): void; search: string }) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const [, navigate] = useLocation()
  // eslint-disable-next-line react-hooks/incompatible-library
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 })
  const items = v.getVirtualItems()
  const last = items[items.length - 1]
  useEffect(() => {
    if (last && last.index >= rows.length - 40 && !done && !loading) onNeedMore()
  }, [last, rows.length, done, loading, onNeedMore])

  return (
    <Paper withBorder role="table" aria-label="Transactions" aria-rowcount={rows.length} data-testid="tx-table">
      <div role="rowgroup">
        <div role="row" style={{ display: 'grid', gridTemplateColumns: COLUMNS, padding: '6px 8px', fontWeight: 600, fontSize: 13, borderBottom: '1px solid var(--mantine-color-default-border)' }}>
          {['Received', 'Status', 'Connector / interface', 'Dir', 'Type', 'Business keys', 'Attempts', 'ms', ''].map((h, i) => (
            <div role="columnheader" key={i}>
              {h}
            </div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} style={{ height: 'calc(100vh - 330px)', minHeight: 360, overflow: 'auto' }} data-testid="tx-scroll">
        <div role="rowgroup" style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const t = rows[it.index]!
            return (
              <div
                role="row"
                key={t.id}
                data-testid={`tx-row-${t.id}`}
                onClick={() => navigate(`/transactions/${t.id}?${search}`)}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${it.start}px)`,
                  display: 'grid',
                  gridTemplateColumns: COLUMNS,
                  alignItems: 'center',
                  padding: '0 8px',
                  fontSize: 13,
                  cursor: 'pointer',
                  borderBottom: '1px solid var(--mantine-color-default-border)',
                }}
              >
                <div role="cell"><Time value={t.receivedAt} /></div>
                <div role="cell">
                  <StatusBadge status={t.status} />
                </div>
                <div role="cell" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={`${t.connector} / ${t.channel}`}>
                  {t.connector} / {t.channel}
                </div>
                <div role="cell">{t.direction === 'in' ? 'in' : 'out'}</div>
                <div role="cell" style={{ fontFamily: 'var(--mantine-font-family-monospace)' }}>
                  {t.messageType ?? '—'}
                </div>
                <div role="cell" style={{ overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis' }}>
                  <Keys t={t} />
                </div>
                <div role="cell">{t.attempts}</div>
                <div role="cell">{t.durationMs ?? '—'}</div>
                <div role="cell">
                  <Link href={`/transactions/${t.id}?${search}`} onClick={(e) => e.stopPropagation()} aria-label={`Open transaction ${t.id}`}>
                    #{t.id}
                  </Link>
                </div>
              </div>
            )
          })}
        </div>
        {rows.length === 0 && !loading ? (
          <Alert color="gray" m="md" data-testid="tx-empty">
            No transactions match.
          </Alert>
        ) : null}
        {loading ? (
          <Group justify="center" p="sm">
            <Loader size="sm" />
          </Group>
        ) : null}
      </div>
    </Paper>
  )
}

function Keys({ t }: { t: TxSummary }) {
  const keys: [string, string | null][] = [
    ['MRN', t.mrn],
    ['patient', t.patientId],
    ['appt', t.appointmentId],
    ['ctl', t.controlId],
  ]
  return (
    <Group gap={4} wrap="nowrap">
      {keys
        .filter(([, v]) => v)
        .map(([k, v]) => (
          <Tooltip key={k} label={`${k}: ${v}`}>
            <Badge size="sm" variant="outline" color="gray" tt="none">
              {k} {v}
            </Badge>
          </Tooltip>
        ))}
      {t.errorCode ? (
        <Text size="xs" c="red" truncate>
          {t.errorCode}: {t.errorMessage}
        </Text>
      ) : null}
    </Group>
  )
}
