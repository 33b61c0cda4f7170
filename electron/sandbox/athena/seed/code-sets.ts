/**
 * Small realistic subsets of athena's demographic code lists (H: CDC race & ethnicity codes,
 * ISO 639-2 languages). Shapes follow captured responses (M): `{name, raceid}`,
 * `{ethnicityid, name}`, `{name, iso6392code}`, each with a code-less "Patient Declined" entry.
 */

export const RACES: ReadonlyArray<{ name: string; raceid?: string }> = [
  { name: 'American Indian or Alaska Native', raceid: '1002-5' },
  { name: 'Cherokee', raceid: '1088-4' },
  { name: 'Alamo Navajo', raceid: '1383-9' },
  { name: 'Asian', raceid: '2028-9' },
  { name: 'Asian Indian', raceid: '2029-7' },
  { name: 'Chinese', raceid: '2034-7' },
  { name: 'Filipino', raceid: '2036-2' },
  { name: 'Japanese', raceid: '2039-6' },
  { name: 'Korean', raceid: '2040-4' },
  { name: 'Vietnamese', raceid: '2047-9' },
  { name: 'Black or African American', raceid: '2054-5' },
  { name: 'African', raceid: '2060-2' },
  { name: 'Nigerian', raceid: '2065-1' },
  { name: 'Haitian', raceid: '2071-9' },
  { name: 'Native Hawaiian or Other Pacific Islander', raceid: '2076-8' },
  { name: 'Native Hawaiian', raceid: '2079-2' },
  { name: 'Samoan', raceid: '2080-0' },
  { name: 'White', raceid: '2106-3' },
  { name: 'European', raceid: '2108-9' },
  { name: 'Middle Eastern or North African', raceid: '2118-8' },
  { name: 'Other Race', raceid: '2131-1' },
  { name: 'Patient Declined' },
]

export const ETHNICITIES: ReadonlyArray<{ ethnicityid?: string; name: string }> = [
  { ethnicityid: '2135-2', name: 'Hispanic or Latino/Spanish' },
  { ethnicityid: '2148-5', name: 'Mexican' },
  { ethnicityid: '2155-0', name: 'Central American' },
  { ethnicityid: '2165-9', name: 'South American' },
  { ethnicityid: '2180-8', name: 'Puerto Rican' },
  { ethnicityid: '2182-4', name: 'Cuban' },
  { ethnicityid: '2184-0', name: 'Dominican' },
  { ethnicityid: '2186-5', name: 'Not Hispanic or Latino' },
  { name: 'Patient Declined' },
]

export const LANGUAGES: ReadonlyArray<{ name: string; iso6392code?: string }> = [
  { name: 'English', iso6392code: 'eng' },
  { name: 'Spanish', iso6392code: 'spa' },
  { name: 'Chinese', iso6392code: 'zho' },
  { name: 'Vietnamese', iso6392code: 'vie' },
  { name: 'Tagalog', iso6392code: 'tgl' },
  { name: 'Arabic', iso6392code: 'ara' },
  { name: 'French', iso6392code: 'fra' },
  { name: 'Haitian; Haitian Creole', iso6392code: 'hat' },
  { name: 'Korean', iso6392code: 'kor' },
  { name: 'Russian', iso6392code: 'rus' },
  { name: 'Portuguese', iso6392code: 'por' },
  { name: 'Hindi', iso6392code: 'hin' },
  { name: 'Somali', iso6392code: 'som' },
  { name: 'Navajo; Navaho', iso6392code: 'nav' },
  { name: 'Japanese', iso6392code: 'jpn' },
  { name: 'Sign Languages', iso6392code: 'sgn' },
  { name: 'Undetermined', iso6392code: 'und' },
  { name: 'Patient Declined' },
]

export const RACE_NAMES: ReadonlyMap<string, string> = new Map(
  RACES.filter((r) => r.raceid).map((r) => [r.raceid!, r.name]),
)

export const MARITAL_STATUS_NAMES: Readonly<Record<string, string>> = {
  D: 'DIVORCED',
  M: 'MARRIED',
  P: 'PARTNER',
  S: 'SINGLE',
  U: 'UNKNOWN',
  W: 'WIDOWED',
  X: 'SEPARATED',
}
