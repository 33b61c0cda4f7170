/**
 * What the console shows about each transform and validation: a title, what it does, its
 * parameters and one worked example. The examples are run by the unit tests through the real
 * engine, so the help text cannot drift from the behaviour.
 */
import type { CodeMap, Transform, TransformOp, Validation } from './mapping'

export interface CatalogParam {
  name: string
  type: 'string' | 'number' | 'boolean' | 'scalar' | 'enum' | 'path' | 'paths' | 'zone' | 'condition' | 'chain' | 'string[]'
  required: boolean
  description: string
  options?: readonly string[]
}

export interface TransformExample {
  transform: Transform
  /** The value entering the transform. */
  input: unknown
  output: unknown
  /** A source record for transforms that read other paths (concat, add_minutes, datetime zones). */
  source?: Record<string, unknown>
  codeMap?: CodeMap
  departmentTimeZones?: Record<string, string>
}

export interface TransformCatalogEntry {
  op: TransformOp
  title: string
  category: 'text' | 'value' | 'date' | 'phone' | 'code' | 'logic'
  description: string
  params: CatalogParam[]
  example: TransformExample
}

const ZONE_HELP =
  "Where the zone comes from: { from: 'department', source: <department id path> } (looked up in the practice's department settings), { from: 'field', source: <path> } (an IANA zone, athena timezonename like US/Eastern, or an hour offset), { from: 'constant', zone: 'America/Chicago' }, or { from: 'default' } (the practice zone)."

export const TRANSFORM_CATALOG: Record<TransformOp, TransformCatalogEntry> = {
  trim: {
    op: 'trim', title: 'Trim', category: 'text',
    description: 'Removes spaces, tabs and line breaks at both ends.',
    params: [],
    example: { transform: { op: 'trim' }, input: '  Ana  ', output: 'Ana' },
  },
  upper: {
    op: 'upper', title: 'Upper case', category: 'text',
    description: 'Converts the text to upper case.',
    params: [],
    example: { transform: { op: 'upper' }, input: 'ma', output: 'MA' },
  },
  lower: {
    op: 'lower', title: 'Lower case', category: 'text',
    description: 'Converts the text to lower case.',
    params: [],
    example: { transform: { op: 'lower' }, input: 'ENG', output: 'eng' },
  },
  title_case: {
    op: 'title_case', title: 'Title case', category: 'text',
    description: "Lower-cases the text, then capitalises each word, including after a hyphen or apostrophe. Prefixes such as Mc/Mac are not special-cased.",
    params: [],
    example: { transform: { op: 'title_case' }, input: "o'BRIEN-SMITH", output: "O'Brien-Smith" },
  },
  to_string: {
    op: 'to_string', title: 'To text', category: 'value',
    description: 'Turns a number or true/false into text. athenaNet sends ids as numbers on some endpoints and as text on others; records store text.',
    params: [],
    example: { transform: { op: 'to_string' }, input: 880101, output: '880101' },
  },
  number: {
    op: 'number', title: 'To number', category: 'value',
    description: 'Reads a number from text ("25.00" → 25). Anything else is an invalid_number error.',
    params: [{ name: 'integer', type: 'boolean', required: false, description: 'Reject numbers with a fractional part.' }],
    example: { transform: { op: 'number', integer: true }, input: '15', output: 15 },
  },
  substring: {
    op: 'substring', title: 'Substring', category: 'text',
    description: 'Keeps part of the text, counted in characters from 0. A negative start counts from the end.',
    params: [
      { name: 'start', type: 'number', required: true, description: 'First character kept (0-based; negative = from the end).' },
      { name: 'length', type: 'number', required: false, description: 'How many characters to keep (default: to the end).' },
    ],
    example: { transform: { op: 'substring', start: 0, length: 5 }, input: '02110-1234', output: '02110' },
  },
  regex_replace: {
    op: 'regex_replace', title: 'Regex replace', category: 'text',
    description: 'Replaces every match of a regular expression (JavaScript syntax). $1, $2 in the replacement insert captured groups.',
    params: [
      { name: 'pattern', type: 'string', required: true, description: 'Regular expression.' },
      { name: 'replacement', type: 'string', required: true, description: 'Replacement text.' },
      { name: 'flags', type: 'string', required: false, description: "Regex flags (default 'g': every match)." },
    ],
    example: { transform: { op: 'regex_replace', pattern: '\\D', replacement: '' }, input: '(617) 253-1000', output: '6172531000' },
  },
  split: {
    op: 'split', title: 'Split', category: 'text',
    description: 'Splits the text on a separator and keeps one part; a part that does not exist gives an empty value.',
    params: [
      { name: 'separator', type: 'string', required: true, description: 'Literal separator text.' },
      { name: 'index', type: 'number', required: true, description: 'Part to keep (0-based; -1 = last).' },
    ],
    example: { transform: { op: 'split', separator: '^', index: 1 }, input: 'RIVERA^ANA^M', output: 'ANA' },
  },
  concat: {
    op: 'concat', title: 'Concatenate', category: 'text',
    description: "Joins the values of several source paths with a separator; every value of a repeated path is included. Without sources it joins the row's own sources. Empty parts are skipped unless keepEmpty.",
    params: [
      { name: 'sources', type: 'paths', required: false, description: "Paths to join (default: the row's sources)." },
      { name: 'separator', type: 'string', required: true, description: 'Text between parts.' },
      { name: 'keepEmpty', type: 'boolean', required: false, description: 'Keep empty parts (default false).' },
    ],
    example: {
      transform: { op: 'concat', sources: ['firstname', 'lastname'], separator: ' ' },
      input: null,
      source: { firstname: 'Ana', lastname: 'Rivera' },
      output: 'Ana Rivera',
    },
  },
  constant: {
    op: 'constant', title: 'Constant', category: 'value',
    description: 'Replaces the value with a fixed one, whatever came in.',
    params: [{ name: 'value', type: 'scalar', required: true, description: 'Text, number, true/false or null.' }],
    example: { transform: { op: 'constant', value: 'US' }, input: 'anything', output: 'US' },
  },
  default: {
    op: 'default', title: 'Default when empty', category: 'value',
    description: 'Uses a fixed value when the current one is empty (missing, null, blank text or an empty list).',
    params: [{ name: 'value', type: 'scalar', required: true, description: 'Value used when empty.' }],
    example: { transform: { op: 'default', value: 'U' }, input: '', output: 'U' },
  },
  date: {
    op: 'date', title: 'Date', category: 'date',
    description:
      'Reads a calendar date and writes it in another format. Accepts MM/DD/YYYY (also escaped MM\\/DD\\/YYYY and unpadded 6/18/1987, with or without a time), YYYY-MM-DD, HL7 TS YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ] and ISO 8601. Impossible dates (02/30/2020) are an invalid_date error; so is an HL7 value with only a year or month. A date-time keeps its calendar date as written (no zone conversion: use UTC → local date-time for that).',
    params: [
      { name: 'from', type: 'enum', required: false, description: 'Accepted input formats, tried in order (default: all).', options: ['MM/DD/YYYY', 'YYYY-MM-DD', 'HL7', 'ISO'] },
      { name: 'to', type: 'enum', required: true, description: 'Output format.', options: ['YYYY-MM-DD', 'MM/DD/YYYY', 'YYYYMMDD'] },
    ],
    example: { transform: { op: 'date', to: 'YYYY-MM-DD' }, input: '6/18/1987', output: '1987-06-18' },
  },
  datetime_utc: {
    op: 'datetime_utc', title: 'Local date-time → UTC', category: 'date',
    description:
      "Reads a wall-clock date-time in a time zone and writes the UTC instant (ISO 8601, e.g. 2025-06-03T13:00:00Z). The time can come from another path (athena date + starttime). A value that carries its own offset keeps it. DST: a time that occurs twice takes the first; a skipped time moves forward by the gap; both leave a warning. An unknown zone falls back to the practice zone (with a warning) unless onUnknownZone is 'error'.",
    params: [
      { name: 'zone', type: 'zone', required: true, description: ZONE_HELP },
      { name: 'timeSource', type: 'path', required: false, description: 'Path of the time of day (HH:MM, 24 h) to combine with the date.' },
      { name: 'from', type: 'enum', required: false, description: 'Accepted input formats (default: all).', options: ['MM/DD/YYYY', 'YYYY-MM-DD', 'HL7', 'ISO'] },
      { name: 'onUnknownZone', type: 'enum', required: false, description: 'What to do when the zone is unknown.', options: ['default', 'error'] },
    ],
    example: {
      transform: { op: 'datetime_utc', zone: { from: 'department', source: 'departmentid' }, timeSource: 'starttime' },
      input: '06/03/2025',
      source: { date: '06/03/2025', starttime: '09:00', departmentid: '1' },
      departmentTimeZones: { '1': 'US/Eastern' },
      output: '2025-06-03T13:00:00Z',
    },
  },
  datetime_local: {
    op: 'datetime_local', title: 'UTC → local date-time', category: 'date',
    description: 'Reads an instant (ISO 8601 or HL7 TS; without an offset it is taken as UTC) and writes it as wall-clock date and/or time in a zone: how appointments go back to athenaNet (appointmentdate, appointmenttime).',
    params: [
      { name: 'zone', type: 'zone', required: true, description: ZONE_HELP },
      { name: 'format', type: 'enum', required: true, description: 'Output format.', options: ['MM/DD/YYYY', 'YYYY-MM-DD', 'HH:mm', 'MM/DD/YYYY HH:mm:ss', 'YYYY-MM-DDTHH:mm:ss', 'ISO', 'HL7', 'HL7_OFFSET'] },
      { name: 'onUnknownZone', type: 'enum', required: false, description: 'What to do when the zone is unknown.', options: ['default', 'error'] },
    ],
    example: {
      transform: { op: 'datetime_local', zone: { from: 'constant', zone: 'America/Chicago' }, format: 'HH:mm' },
      input: '2025-06-03T14:00:00Z',
      output: '09:00',
    },
  },
  add_minutes: {
    op: 'add_minutes', title: 'Add minutes (start + duration → end)', category: 'date',
    description: 'Adds minutes to an instant and writes the UTC result; the minutes come from another path (athena duration) or a fixed number. No minutes leaves the value empty.',
    params: [
      { name: 'source', type: 'path', required: false, description: 'Path holding the minutes.' },
      { name: 'minutes', type: 'number', required: false, description: 'Fixed minutes, used when the source is empty or absent.' },
    ],
    example: { transform: { op: 'add_minutes', source: 'duration' }, input: '2025-06-03T13:00:00Z', source: { duration: 15 }, output: '2025-06-03T13:15:00Z' },
  },
  phone: {
    op: 'phone', title: 'Phone number', category: 'phone',
    description:
      "Parses a phone number (libphonenumber) and writes it as E.164 (+16172531000), national digits (6172531000, what athenaNet takes), national or international format. 'valid' checks the real numbering plan (rejects e.g. the 555 area code used in test data); 'possible' only checks the length. Invalid numbers: error, keep as written, or drop (both with a warning).",
    params: [
      { name: 'defaultCountry', type: 'string', required: true, description: 'ISO country for numbers without a +country code, e.g. US.' },
      { name: 'format', type: 'enum', required: true, description: 'Output format.', options: ['E164', 'NATIONAL_DIGITS', 'NATIONAL', 'INTERNATIONAL'] },
      { name: 'validity', type: 'enum', required: false, description: "Strictness (default 'valid').", options: ['valid', 'possible'] },
      { name: 'invalid', type: 'enum', required: true, description: 'What to do with an invalid number.', options: ['error', 'keep', 'drop'] },
    ],
    example: { transform: { op: 'phone', defaultCountry: 'US', format: 'E164', invalid: 'error' }, input: '(617) 253-1000', output: '+16172531000' },
  },
  code_map: {
    op: 'code_map', title: 'Code map', category: 'code',
    description: "Looks the value up in one of the set's code maps. On a miss the map's onMiss decides: use its default, fail the field (code_map_miss), or pass the code through. Every miss is listed in the result for the unmapped-codes worklist, even when a default applied.",
    params: [{ name: 'map', type: 'string', required: true, description: 'Name of a code map in this set.' }],
    example: {
      transform: { op: 'code_map', map: 'sex' },
      input: 'N',
      codeMap: {
        name: 'sex', onMiss: 'default', default: 'U', caseInsensitive: true,
        entries: [{ from: 'M', to: 'M' }, { from: 'F', to: 'F' }, { from: 'N', to: 'U', note: 'chose not to disclose' }],
      },
      output: 'U',
    },
  },
  if: {
    op: 'if', title: 'If / else', category: 'logic',
    description: 'Runs one chain of transforms when a condition holds and another (optional) when it does not. The condition tests the current value or a source path: equals, in a list, empty, or matches a regular expression; negate inverts it.',
    params: [
      { name: 'when', type: 'condition', required: true, description: "{ test: 'equals' | 'in' | 'empty' | 'matches', source?, value | values | pattern, caseInsensitive?, negate? }" },
      { name: 'then', type: 'chain', required: true, description: 'Transforms when the condition holds.' },
      { name: 'else', type: 'chain', required: false, description: 'Transforms otherwise (default: value unchanged).' },
    ],
    example: {
      transform: {
        op: 'if',
        when: { test: 'matches', pattern: '^\\d{5}-?\\d{4}$' },
        then: [{ op: 'substring', start: 0, length: 5 }],
        else: [{ op: 'trim' }],
      },
      input: '021101234',
      output: '02110',
    },
  },
}

export interface ValidationCatalogEntry {
  rule: Validation['rule']
  title: string
  description: string
  params: CatalogParam[]
}

const MESSAGE: CatalogParam = { name: 'message', type: 'string', required: false, description: 'Message shown instead of the default (never include patient data).' }

export const VALIDATION_CATALOG: Record<Validation['rule'], ValidationCatalogEntry> = {
  required: { rule: 'required', title: 'Required', description: 'The final value must not be empty.', params: [MESSAGE] },
  regex: {
    rule: 'regex', title: 'Matches pattern', description: 'The final value must match a regular expression (empty values are not checked).',
    params: [{ name: 'pattern', type: 'string', required: true, description: 'Regular expression.' }, { name: 'flags', type: 'string', required: false, description: 'Regex flags.' }, MESSAGE],
  },
  one_of: {
    rule: 'one_of', title: 'One of', description: 'The final value must be one of a list.',
    params: [{ name: 'values', type: 'string[]', required: true, description: 'Allowed values.' }, { name: 'caseInsensitive', type: 'boolean', required: false, description: 'Ignore case.' }, MESSAGE],
  },
  max_length: {
    rule: 'max_length', title: 'Maximum length', description: 'The final value must have at most this many characters.',
    params: [{ name: 'max', type: 'number', required: true, description: 'Maximum characters.' }, MESSAGE],
  },
  date: {
    rule: 'date', title: 'Valid date', description: "The final value must be a real calendar date written YYYY-MM-DD; with notFuture it must not be after today in the practice's zone (dates of birth).",
    params: [{ name: 'notFuture', type: 'boolean', required: false, description: 'Reject dates after today.' }, MESSAGE],
  },
  e164: { rule: 'e164', title: 'E.164 phone', description: 'The final value must be an E.164 phone number (+ country code and up to 15 digits).', params: [MESSAGE] },
}
