// The signed URL check on its own: by construction, only the exact query it minted (either order)
// passes, and nothing it is given makes it throw.
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Secret } from '../../src/secret.js'
import { checkSigned, MAX_URL_TTL_SECONDS, signedPath } from '../../src/signed-url.js'

const key = new Secret(randomBytes(32).toString('hex'))
const digest = `sha256:${'ab'.repeat(32)}`
const NOW = 1_900_000_000_000
const expires = NOW / 1000 + 600
const query = signedPath(key, digest, expires).split('?')[1]!
const [e, s] = query.split('&') as [string, string]

describe('checkSigned', () => {
  it('accepts the minted query in either order until it expires', () => {
    expect(checkSigned(key, digest, query, NOW)).toEqual({ kind: 'valid', expires })
    expect(checkSigned(key, digest, `${s}&${e}`, NOW).kind).toBe('valid')
    expect(checkSigned(key, digest, query, expires * 1000 - 1).kind).toBe('valid')
    expect(checkSigned(key, digest, query, expires * 1000)).toMatchObject({ code: 'URL_EXPIRED' })
  })

  it('leaves requests without signed parameters, or without a key, to ordinary auth', () => {
    for (const q of [null, '', 'x=1', 'expiresx=1', 'a=expires']) {
      expect(checkSigned(key, digest, q, NOW).kind).toBe('none')
    }
    expect(checkSigned(null, digest, query, NOW).kind).toBe('none')
  })

  it('refuses another digest, another key, an altered or too distant expiry', () => {
    const other = new Secret(randomBytes(32).toString('hex'))
    const far = NOW / 1000 + MAX_URL_TTL_SECONDS + 1
    for (const [k, d, q] of [
      [key, `sha256:${'cd'.repeat(32)}`, query],
      [other, digest, query],
      [key, digest, `expires=${expires + 1}&${s}`],
      [key, digest, signedPath(key, digest, far).split('?')[1]!],
    ] as const) {
      expect(checkSigned(k, d, q, NOW)).toMatchObject({ code: 'URL_SIGNATURE_INVALID' })
    }
  })

  it('never throws, and passes only the minted parameters (random queries)', () => {
    const part = fc.oneof(
      fc.constantFrom(e, s, 'expires', 'signature=', `expires=0${expires}`, `${s}=`, '&', ''),
      fc.string({ maxLength: 60 }),
      fc.string({ maxLength: 8 }).map((t) => `expires=${t}`),
      fc.string({ maxLength: 50 }).map((t) => `signature=${t}`),
    )
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        const q = parts.join('&')
        const r = checkSigned(key, digest, q, NOW)
        if (r.kind === 'valid') expect([`${e}&${s}`, `${s}&${e}`]).toContain(q)
      }),
      { numRuns: 3000 },
    )
  })
})
