// The admin token strength estimate: generated secrets always pass, typed ones and placeholders
// never do, and a reason never quotes the token.
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { estimatedBits, MIN_TOKEN_BITS, tokenWeakness } from '../../src/token-strength.js'

describe('tokenWeakness', () => {
  it('passes what openssl rand -hex makes, at 16 and 32 bytes, every time', () => {
    for (let i = 0; i < 2_000; i++) {
      expect(tokenWeakness(randomBytes(16).toString('hex'))).toBeNull()
      expect(tokenWeakness(randomBytes(32).toString('hex'))).toBeNull()
    }
    expect(estimatedBits(randomBytes(32).toString('hex'))).toBeGreaterThan(300)
  })

  it.each([
    ['short', /too weak/],
    ['abc', /too weak/],
    ['REPLACE_WITH_ADMIN_TOKEN', /placeholder/],
    ['change_me_0123456789ABCDEFGHIJ', /placeholder/],
    ['my-example-0123456789abcdefghij', /placeholder/],
    ['Password123456789012345678901234', /placeholder/],
    ['correct horse battery staple', /whitespace/],
    ['a'.repeat(200), /too weak/],
    ['0123456789'.repeat(10), /too weak/],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', /too weak/],
    ['abababababababababacabababababababababababababababababababab', /different characters/],
  ])('refuses %s', (token, reason) => {
    expect(tokenWeakness(token)).toMatch(reason)
  })

  it('never quotes the token: every reason is one of its fixed sentences', () => {
    const FIXED = [
      /^looks like a placeholder or a chosen word, not a random secret$/,
      /^contains whitespace: a phrase, not a random secret$/,
      new RegExp(
        `^too weak: about \\d+ bits of apparent strength, at least ${MIN_TOKEN_BITS} needed$`,
      ),
      /^uses fewer than 8 different characters: a pattern, not a random secret$/,
    ]
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (token) => {
        const reason = tokenWeakness(token)
        return reason === null || FIXED.some((re) => re.test(reason))
      }),
      { numRuns: 2_000 },
    )
  })

  it('never scores a text higher for repeating it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 2, max: 8 }),
        (unit, n) => {
          return estimatedBits(unit.repeat(n)) <= estimatedBits(unit) || unit.length === 0
        },
      ),
    )
  })
})
