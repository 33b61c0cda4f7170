/** Placeholder types; the matcher lands in the next commit. */
export interface MatchCandidate {
  recordId: number
  score: number
  grade: 'certain' | 'probable' | 'possible'
  reasons: string[]
  trap: string | null
}
export interface MatchOutcome {
  best: MatchCandidate | null
  candidates: MatchCandidate[]
}
export interface PatientMatcher {
  match(practiceId: string, data: Record<string, unknown>): MatchOutcome
  observe(practiceId: string, recordId: number, data: Record<string, unknown>): void
  propose(practiceId: string, recordId: number, c: MatchCandidate, origin: { txId: number | null; line: number | null; origin: string }): void
}
