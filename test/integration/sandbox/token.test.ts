import { afterEach, describe, expect, it } from 'vitest'
import { basicAuth, MDP, requestToken, start, type Started } from './helpers'

let s: Started | undefined
afterEach(async () => {
  await s?.sb.close()
  s = undefined
})

const form = (o: Record<string, string>) => new URLSearchParams(o)

describe('POST /oauth2/v1/token', () => {
  it('issues a bearer token with HTTP Basic client auth (client_secret_basic)', async () => {
    s = await start()
    const res = await requestToken(s.sb)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.token_type).toBe('Bearer')
    expect(body.expires_in).toBe(3600)
    expect(body.scope).toBe(MDP)
    expect(typeof body.access_token).toBe('string')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('accepts credentials in the form body (client_secret_post) and FHIR system scopes alongside MDP', async () => {
    s = await start()
    const res = await fetch(`${s.sb.url}/oauth2/v1/token`, {
      method: 'POST',
      body: form({ grant_type: 'client_credentials', scope: `${MDP} system/Patient.read`, client_id: s.sb.clientId, client_secret: s.sb.clientSecret }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { scope: string }).scope).toBe(`${MDP} system/Patient.read`)
  })

  it('rejects a wrong secret with 401 invalid_client', async () => {
    s = await start()
    const res = await fetch(`${s.sb.url}/oauth2/v1/token`, {
      method: 'POST',
      headers: { Authorization: basicAuth(s.sb.clientId, 'not-the-secret') },
      body: form({ grant_type: 'client_credentials', scope: MDP }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client')
    expect(s.sb.stats().tokens.rejected).toBe(1)
  })

  it('rejects a missing or MDP-less scope and an unknown grant type', async () => {
    s = await start()
    const call = (body: Record<string, string>) =>
      fetch(`${s!.sb.url}/oauth2/v1/token`, { method: 'POST', headers: { Authorization: basicAuth(s!.sb.clientId, s!.sb.clientSecret) }, body: form(body) })
    const noScope = await call({ grant_type: 'client_credentials' })
    expect(noScope.status).toBe(400)
    expect(((await noScope.json()) as { error: string }).error).toBe('invalid_scope')
    const fhirOnly = await call({ grant_type: 'client_credentials', scope: 'system/Patient.read' })
    expect(fhirOnly.status).toBe(400)
    const bogus = await call({ grant_type: 'client_credentials', scope: `${MDP} athena/nope` })
    expect(bogus.status).toBe(400)
    const grant = await call({ grant_type: 'password', scope: MDP })
    expect(grant.status).toBe(400)
    expect(((await grant.json()) as { error: string }).error).toBe('unsupported_grant_type')
  })

  it('limits token requests per minute: 429 for the rest of the minute, then allowed again', async () => {
    s = await start({ tokenRequestsPerMinute: 5, retryAfter: true })
    // Start at second 10 of a minute so the rest-of-minute arithmetic is visible.
    s.clock.set(Math.floor(s.clock.now() / 60_000) * 60_000 + 10_000)
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 7; i++) {
      last = await requestToken(s.sb)
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
    expect(last!.headers.get('retry-after')).toBe('50')
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0')
    s.clock.advance(45_000)
    expect((await requestToken(s.sb)).status).toBe(429)
    s.clock.advance(5_000)
    expect((await requestToken(s.sb)).status).toBe(200)
    expect(s.sb.stats().tokens.throttled).toBe(3)
  })

  it('can send expires_in as a string, as athena sometimes does', async () => {
    s = await start({ tokenExpiresInAsString: true, tokenLifetimeSeconds: 600 })
    const body = (await (await requestToken(s.sb)).json()) as { expires_in: unknown }
    expect(body.expires_in).toBe('600')
  })
})
