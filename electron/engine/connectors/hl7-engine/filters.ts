/**
 * Interface filter rules, as data (shared/config.ts hl7FilterRuleSchema). Rules are tried in
 * order and the first whose criteria all hold decides: `accept` processes the message, `reject`
 * records it as `filtered` with the rule's name. When no rule matches, the message is accepted,
 * unless the interface has accept rules, which make it a whitelist: then it is filtered by
 * `no-accept-rule-matched`. A rule's empty criteria lists match anything.
 */
import type { Hl7FilterRule } from '../../../../shared/config'
import type { FilterDecision } from '../../pipeline/connector-handler'
import type { Hl7Message } from '../hl7'

export const NO_ACCEPT_RULE = 'no-accept-rule-matched'

function typeMatches(list: readonly string[], msg: Hl7Message): boolean {
  if (list.length === 0) return true
  const code = msg.code.toUpperCase()
  const full = `${code}^${msg.trigger.toUpperCase()}`
  return list.some((e) => {
    const x = e.trim().toUpperCase()
    return x === code || x === full
  })
}

function facilityMatches(list: readonly string[], msg: Hl7Message): boolean {
  if (list.length === 0) return true
  const hd1 = msg.get('MSH-4.1') ?? ''
  const raw = msg.getRaw('MSH-4') ?? ''
  return list.some((f) => f === hd1 || f === raw)
}

function processingMatches(list: readonly string[], msg: Hl7Message): boolean {
  if (list.length === 0) return true
  const p = (msg.processingId ?? '').trim().toUpperCase()
  return list.includes(p)
}

type Cond = Hl7FilterRule['conditions'][number]

const regexCache = new Map<string, RegExp | null>()
function regex(pattern: string): RegExp | null {
  let re = regexCache.get(pattern)
  if (re === undefined) {
    try {
      re = new RegExp(pattern)
    } catch {
      re = null
    }
    if (regexCache.size > 200) regexCache.clear()
    regexCache.set(pattern, re)
  }
  return re
}

function conditionHolds(c: Cond, msg: Hl7Message): boolean {
  let v: string | undefined
  try {
    v = msg.get(c.path)
  } catch {
    return false // a malformed path never matches
  }
  const values = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value]
  switch (c.op) {
    case 'empty':
      return v === undefined || v.trim() === ''
    case 'not_empty':
      return v !== undefined && v.trim() !== ''
    case 'equals':
      return v !== undefined && values.length > 0 && v === values[0]
    case 'not_equals':
      return !(v !== undefined && values.length > 0 && v === values[0])
    case 'in':
      return v !== undefined && values.includes(v)
    case 'matches': {
      const re = values[0] === undefined ? null : regex(values[0])
      return v !== undefined && re !== null && re.test(v)
    }
  }
}

export function ruleMatches(rule: Hl7FilterRule, msg: Hl7Message): boolean {
  return (
    typeMatches(rule.messageTypes, msg) &&
    facilityMatches(rule.sendingFacilities, msg) &&
    processingMatches(rule.processingIds, msg) &&
    rule.conditions.every((c) => conditionHolds(c, msg))
  )
}

export function evaluateFilters(rules: readonly Hl7FilterRule[], msg: Hl7Message): FilterDecision {
  for (const rule of rules) {
    if (!ruleMatches(rule, msg)) continue
    if (rule.action === 'accept') return { accept: true }
    return { accept: false, rule: rule.name, reason: `rule "${rule.name}" rejects ${msg.messageType}` }
  }
  if (rules.some((r) => r.action === 'accept')) {
    return { accept: false, rule: NO_ACCEPT_RULE, reason: `no accept rule matched ${msg.messageType}` }
  }
  return { accept: true }
}
