// zod's start-up check for eval support (new Function) is a CSP violation under script-src 'self': switch it off before any schema runs.
import { z } from 'zod'

z.config({ jitless: true })
