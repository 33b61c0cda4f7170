/**
 * A seeded, labelled synthetic patient population for measuring the matcher: `originals` people
 * (a few share a family phone and address, some are twins, some Jr/Sr pairs, a few newborns with
 * placeholder names) and `duplicates` corrupted copies of random originals (typos, adjacent
 * transpositions, nicknames, swapped first/last names, DOB digit transpositions or day/month swaps,
 * missing fields, moved addresses, new phones). `personOf` labels every record with its person,
 * so precision and recall can be counted over proposed pairs.
 */
import { mulberry32 } from './prng'

const FIRST_F = ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Nancy', 'Lisa', 'Margaret', 'Betty', 'Sandra', 'Ashley', 'Dorothy', 'Kimberly', 'Emily', 'Donna', 'Michelle', 'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Laura', 'Sharon', 'Cynthia', 'Kathleen', 'Amy', 'Shirley', 'Angela', 'Helen', 'Anna', 'Brenda', 'Pamela', 'Nicole', 'Samantha', 'Katherine', 'Christine', 'Debra', 'Rachel', 'Catherine', 'Carolyn', 'Janet', 'Ruth', 'Maria', 'Heather', 'Diane', 'Virginia', 'Julie', 'Joyce', 'Victoria', 'Olivia', 'Kelly', 'Christina', 'Lauren', 'Joan']
const FIRST_M = ['James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Charles', 'Christopher', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kenneth', 'Kevin', 'Brian', 'George', 'Timothy', 'Ronald', 'Edward', 'Jason', 'Jeffrey', 'Ryan', 'Jacob', 'Gary', 'Nicholas', 'Eric', 'Jonathan', 'Stephen', 'Larry', 'Justin', 'Scott', 'Brandon', 'Benjamin', 'Samuel', 'Gregory', 'Alexander', 'Frank', 'Patrick', 'Raymond', 'Jack', 'Dennis', 'Jerry', 'Tyler', 'Aaron', 'Jose', 'Adam', 'Nathan', 'Henry', 'Douglas', 'Zachary', 'Peter', 'Kyle']
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Okafor', 'Kowalski', 'Nakamura', 'Schneider', 'Fitzgerald', 'Delgado', 'Novak', 'Lindqvist', 'Haddad', 'Oyelaran', 'Brennan', 'Whitfield', 'Castellanos', 'Abernathy', 'Pemberton', 'Vasquez', 'Ferreira', 'Kaminski', 'Sorensen', 'Yamamoto']
const STREETS = ['Main Street', 'Oak Avenue', 'Maple Drive', 'Cedar Lane', 'Pine Road', 'Elm Street', 'Washington Boulevard', 'Lake Court', 'Hill Terrace', 'Park Place', 'River Road', 'Sunset Drive']
const NICK: Record<string, string> = { William: 'Bill', Robert: 'Bob', Richard: 'Rick', James: 'Jim', Joseph: 'Joe', Charles: 'Chuck', Thomas: 'Tom', Michael: 'Mike', Daniel: 'Dan', Elizabeth: 'Liz', Margaret: 'Peggy', Katherine: 'Kate', Jennifer: 'Jen', Patricia: 'Pat', Deborah: 'Debbie', Rebecca: 'Becky', Christopher: 'Chris', Steven: 'Steve', Edward: 'Ted', Anthony: 'Tony', Samantha: 'Sam', Nicholas: 'Nick' }

export interface SyntheticRecord {
  key: string
  person: number
  data: Record<string, unknown>
  corruption: string | null
}

export interface Population {
  records: SyntheticRecord[]
  /** Pairs of record indexes that are the same person. */
  truePairs: number
}

export function syntheticPopulation(opts: { seed: number; originals: number; duplicates: number }): Population {
  const rnd = mulberry32(opts.seed)
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1))
  const pad = (n: number, w: number): string => String(n).padStart(w, '0')
  const records: SyntheticRecord[] = []
  const people: Record<string, unknown>[] = []
  const phone = (): string => `+1217${int(200, 999)}${pad(int(0, 9999), 4)}`
  for (let i = 0; i < opts.originals; i++) {
    const sex = rnd() < 0.5 ? 'F' : 'M'
    const family = i > 0 && rnd() < 0.08 ? people[int(Math.max(0, i - 30), i - 1)]! : null
    const last = family ? (family.last_name as string) : pick(LAST)
    let first = pick(sex === 'F' ? FIRST_F : FIRST_M)
    let dob = `${int(1930, 2020)}-${pad(int(1, 12), 2)}-${pad(int(1, 28), 2)}`
    let suffix = ''
    const r = rnd()
    if (family && r < 0.25) {
      // A twin: same birth date and last name, another given name.
      dob = family.date_of_birth as string
      while (first === family.first_name) first = pick(sex === 'F' ? FIRST_F : FIRST_M)
    } else if (family && r < 0.4 && family.gender === 'M' && sex === 'M') {
      // Jr/Sr: same names, a generation apart.
      first = family.first_name as string
      suffix = ' Jr'
      dob = `${Number((family.date_of_birth as string).slice(0, 4)) + int(20, 35)}-${pad(int(1, 12), 2)}-${pad(int(1, 28), 2)}`
    } else if (rnd() < 0.01) {
      first = sex === 'F' ? 'Baby Girl' : 'Baby Boy'
      dob = `2026-${pad(int(1, 5), 2)}-${pad(int(1, 28), 2)}`
    }
    const addr = family ? (family.address as Record<string, unknown>) : { line1: `${int(1, 9999)} ${pick(STREETS)}`, city: 'Springfield', state: 'IL', postal_code: String(int(60000, 62999)) }
    const p = {
      first_name: first,
      last_name: last + suffix,
      date_of_birth: dob,
      gender: sex,
      address: addr,
      phone_home: family && rnd() < 0.7 ? family.phone_home : phone(),
      email: rnd() < 0.6 ? `${first.toLowerCase().replace(/ /g, '')}.${last.toLowerCase()}${int(1, 999)}@example.com` : undefined,
      insurance: rnd() < 0.7 ? [{ company_name: 'Acme Health', member_id: `AC${pad(int(0, 99_999_999), 8)}` }] : undefined,
    }
    people.push(p)
    records.push({ key: `o${i}`, person: i, data: p, corruption: null })
  }
  let truePairs = 0
  const perPerson = new Map<number, number>()
  for (let j = 0; j < opts.duplicates; j++) {
    const person = int(0, opts.originals - 1)
    const base = structuredClone(people[person]!) as Record<string, unknown>
    const kinds: string[] = []
    const n = int(1, 3)
    for (let k = 0; k < n; k++) {
      const c = pick(['typo-last', 'typo-first', 'transpose-first', 'nickname', 'swap-names', 'dob-transpose', 'dob-daymonth', 'drop-phone', 'drop-email', 'moved', 'new-phone', 'drop-insurance', 'case'])
      kinds.push(c)
      const s = (f: string): string => String(base[f] ?? '')
      const typo = (v: string): string => {
        if (v.length < 3) return v
        const i = int(1, v.length - 2)
        return v.slice(0, i) + String.fromCharCode(97 + int(0, 25)) + v.slice(i + 1)
      }
      switch (c) {
        case 'typo-last':
          base.last_name = typo(s('last_name'))
          break
        case 'typo-first':
          base.first_name = typo(s('first_name'))
          break
        case 'transpose-first': {
          const v = s('first_name')
          if (v.length > 3) base.first_name = v[0]! + v[2] + v[1] + v.slice(3)
          break
        }
        case 'nickname':
          if (NICK[s('first_name')]) base.first_name = NICK[s('first_name')]
          break
        case 'swap-names':
          ;[base.first_name, base.last_name] = [base.last_name, base.first_name]
          break
        case 'dob-transpose': {
          const d = s('date_of_birth').replace(/-/g, '')
          const i = int(4, 6)
          const t = d.slice(0, i) + d[i + 1] + d[i] + d.slice(i + 2)
          const iso = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`
          if (!Number.isNaN(Date.parse(iso))) base.date_of_birth = iso
          break
        }
        case 'dob-daymonth': {
          const [y, m, d] = s('date_of_birth').split('-')
          if (Number(d) <= 12) base.date_of_birth = `${y}-${d}-${m}`
          break
        }
        case 'drop-phone':
          delete base.phone_home
          break
        case 'drop-email':
          delete base.email
          break
        case 'moved':
          base.address = { line1: `${int(1, 9999)} ${pick(STREETS)}`, city: 'Springfield', state: 'IL', postal_code: String(int(60000, 62999)) }
          break
        case 'new-phone':
          base.phone_home = phone()
          break
        case 'drop-insurance':
          delete base.insurance
          break
        case 'case':
          base.last_name = s('last_name').toUpperCase()
          base.first_name = s('first_name').toUpperCase()
          break
      }
    }
    const before = perPerson.get(person) ?? 0
    truePairs += before + 1
    perPerson.set(person, before + 1)
    records.push({ key: `d${j}`, person, data: base, corruption: kinds.join('+') })
  }
  return { records, truePairs }
}
