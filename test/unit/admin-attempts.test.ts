// The wrong-admin-token limiter (src/http/middleware/admin-attempts.ts) over random timelines: an address
// gets at most 10 compared wrong tokens per window (20 in any 60 s, the fixed window's edge), it is
// free again once its window ends, and other addresses are never locked by its failures.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ADMIN_FAILURES_MAX,
  ADMIN_WINDOW_MS,
  AdminAttempts,
  attemptKey,
} from '../../src/http/middleware/admin-attempts.js'

describe('AdminAttempts', () => {
  it('compares at most 10 wrong tokens per window from one address, and frees it after', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 300 }), (gaps) => {
        let now = 0
        const attempts = new AdminAttempts(() => now)
        const compared: number[] = []
        let until: number | null = null
        for (const gap of gaps) {
          now += gap
          const locked = attempts.lockedForMs('a')
          expect(locked).toBeGreaterThanOrEqual(0)
          expect(locked).toBeLessThanOrEqual(ADMIN_WINDOW_MS)
          // Free again once the lock it announced has run out.
          if (until !== null && now >= until) expect(locked).toBe(0)
          if (locked > 0) {
            until = now + locked
            continue
          }
          until = null
          compared.push(now)
          attempts.failed('a')
          expect(attempts.lockedForMs('b')).toBe(0)
        }
        for (const [i, t] of compared.entries()) {
          const inMinute = compared.slice(i).filter((u) => u - t < ADMIN_WINDOW_MS).length
          expect(inMinute).toBeLessThanOrEqual(2 * ADMIN_FAILURES_MAX)
        }
      }),
    )
  })

  it('locks after exactly 10 wrong tokens in a window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 10, maxLength: 10 }),
        (gaps) => {
          let now = 0
          const attempts = new AdminAttempts(() => now)
          for (const [i, gap] of gaps.entries()) {
            now += gap
            expect(attempts.lockedForMs('a'), `before failure ${i + 1}`).toBe(0)
            attempts.failed('a')
          }
          // 10 gaps of ≤ 5 s: all inside the first failure's minute.
          expect(attempts.lockedForMs('a')).toBeGreaterThan(0)
        },
      ),
    )
  })

  it('forgets the oldest address past its bound instead of growing', () => {
    const attempts = new AdminAttempts(() => 0)
    for (let i = 0; i < 10; i++) attempts.failed('first')
    expect(attempts.lockedForMs('first')).toBeGreaterThan(0)
    for (let i = 0; i < 10_000; i++) attempts.failed(`flood-${i}`)
    expect(attempts.lockedForMs('first')).toBe(0)
  })

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    expect(attemptKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(attemptKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64')
    expect(attemptKey('2001:0DB8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64')
    expect(attemptKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(attemptKey('::1')).toBe('0:0:0:0::/64')
    expect(attemptKey('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(attemptKey('10.1.2.3')).toBe('10.1.2.3')
    expect(attemptKey('local')).toBe('local')
  })
})
