import { describe, expect, it } from 'vitest'
import { EMPTY_FILTER, type LogFilter } from '../../../renderer/src/pages/transactions/log-filter'
import { filterToSearch, neighbours, searchToFilter } from '../../../renderer/src/pages/transactions/filter-url'

describe('transaction search in the URL', () => {
  it('round-trips every part of the filter', () => {
    const f: LogFilter = { q: 'MRN 12', statuses: ['error', 'filtered'], connector: 'hl7', channel: 'adt-in', direction: 'in', messageType: 'ADT^A04', range: { preset: 'custom', from: 1000, to: 2000 } }
    const s = filterToSearch(f)
    expect(s).toBe('q=MRN+12&status=error%2Cfiltered&connector=hl7&channel=adt-in&dir=in&type=ADT%5EA04&range=custom&from=1000&to=2000')
    expect(searchToFilter(s)).toEqual(f)
    expect(searchToFilter(filterToSearch({ ...EMPTY_FILTER, range: { preset: '24h' } }))).toEqual({ ...EMPTY_FILTER, range: { preset: '24h' } })
  })

  it('says "no search" for an empty query, and drops what it does not know', () => {
    expect(filterToSearch(EMPTY_FILTER)).toBe('')
    expect(searchToFilter('')).toBeNull()
    expect(searchToFilter('foo=1')).toBeNull()
    expect(searchToFilter('status=error,bogus&dir=sideways&range=99y')).toEqual({ ...EMPTY_FILTER, statuses: ['error'] })
  })

  it('finds the neighbours in a newest-first page', () => {
    expect(neighbours([9, 7, 4], 7)).toEqual({ index: 1, prev: 9, next: 4 })
    expect(neighbours([9, 7, 4], 9)).toEqual({ index: 0, prev: null, next: 7 })
    expect(neighbours([9, 7, 4], 4)).toEqual({ index: 2, prev: 7, next: null })
    expect(neighbours([9, 7, 4], 5)).toEqual({ index: -1, prev: null, next: null })
  })
})
