/**
 * The WHERE clause of a list query: each `[condition, value]` counts only when its value is given
 * (absent, empty or 0 = no filter), and a practice scope (`practiceIds`, from withinScope; an empty
 * list matches nothing) narrows to those practices. One place for what every paged list repeats.
 */
export function listWhere(conditions: readonly (readonly [sql: string, value: unknown])[], practiceIds?: readonly string[], practiceColumn = 'practice_id'): { where: string; args: unknown[] } {
  const parts: string[] = []
  const args: unknown[] = []
  for (const [sql, value] of conditions) {
    if (value === undefined || value === null || value === '' || value === 0) continue
    parts.push(sql)
    args.push(value)
  }
  if (practiceIds) {
    parts.push(`${practiceColumn} IN (${practiceIds.map(() => '?').join(',') || "''"})`)
    args.push(...practiceIds)
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args }
}
