// The webhook route parses only the fields of a push it reads (pushFields): on any JSON value,
// that must accept, refuse and word the first issue exactly as parsing the whole payload does.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pushFields, pushPayloadSchema } from '../../src/webhooks/payload.js'

const verdict = (value: unknown) => {
  const r = pushPayloadSchema.safeParse(value)
  if (!r.success) return { ok: false, issues: r.error.issues.map((i) => [i.path, i.message]) }
  const { ref, before, after, repository } = r.data
  return { ok: true, fields: { ref, before, after, fullName: repository.full_name } }
}

const sha = fc.stringMatching(/^[0-9a-f]{40}$/)
const anything = fc.jsonValue({ maxDepth: 2 })
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, anything, fc.constant(undefined))
const payload = fc.record(
  {
    ref: field(fc.constantFrom('refs/heads/main', 'refs/tags/v1', '', 'x'.repeat(1025))),
    before: field(sha),
    after: field(fc.oneof(sha, fc.constant('0'.repeat(40)), fc.constant('main'))),
    repository: field(
      fc.record(
        {
          full_name: field(fc.constantFrom('acme/seo', 'a b/c', 'x', 'acme/seo/extra')),
          id: anything,
        },
        { requiredKeys: [] },
      ),
    ),
    commits: anything,
    sender: anything,
  },
  { requiredKeys: [] },
)

describe('pushFields', () => {
  it('gives the verdict of the whole payload, on payloads near and far from valid', () => {
    fc.assert(
      fc.property(fc.oneof(payload, anything), (value) => {
        expect(verdict(pushFields(value))).toEqual(verdict(value))
      }),
      { numRuns: 2000 },
    )
  })
})
