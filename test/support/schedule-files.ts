/** Schedule (appointment batch) files as text, shared by the integration and end-to-end suites. */

export const HEADER = 'AppointmentID,PatientID,ProviderID,DepartmentID,AppointmentType,Date,StartTime,Duration,Status,Reason,Notes,RescheduledFrom'

export interface Row {
  id: string
  patient?: string
  provider?: string
  dept?: string
  type?: string
  date?: string
  time: string
  duration?: number | string
  status?: string
  reason?: string
  notes?: string
  from?: string
}

export function csv(rows: Row[]): string {
  return [HEADER, ...rows.map((r) => [r.id, r.patient ?? '501', r.provider ?? '71', r.dept ?? '2', r.type ?? 'OFFICE', r.date ?? '2026-07-01', r.time, r.duration ?? 30, r.status ?? 'Booked', r.reason ?? 'Follow-up', r.notes ?? '', r.from ?? ''].join(','))].join('\r\n') + '\r\n'
}
