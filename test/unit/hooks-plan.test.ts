// The webhook `hooks sync` wants: a branch filter that matches exactly the tracked refs (Gitea
// reads it as a gobwas/glob pattern), and which hooks count as ours.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ApiHook } from '../../src/gitea/hooks-api.js'
import { branchFilter, desiredHook, hookUrl, isOurs, planRepo } from '../../src/gitea/hooks-plan.js'
import { branchFilterMatches } from '../support/gitea/index.js'

const PUBLIC = new URL('https://cache.example.com/ac/')
const hook = (over: Partial<ApiHook> & { url: string }): ApiHook => ({
  id: 1,
  type: 'gitea',
  active: true,
  events: ['push'],
  branch_filter: 'main',
  config: { url: over.url, content_type: 'json' },
  ...over,
})

// Branch names with the characters a glob gives a meaning to.
const ref = fc
  .stringMatching(/^[a-z0-9{},!\]\-_/.]{1,12}$/)
  .filter((r) => !r.includes('//') && !r.startsWith('/') && !r.endsWith('/'))

describe('branch filter', () => {
  it('matches every tracked ref and nothing else, glob characters included', () => {
    fc.assert(
      fc.property(fc.uniqueArray(ref, { minLength: 1, maxLength: 4 }), ref, (refs, other) => {
        const filter = branchFilter(refs)
        for (const r of refs) expect(branchFilterMatches(filter, r)).toBe(true)
        expect(branchFilterMatches(filter, other)).toBe(refs.includes(other))
      }),
    )
  })

  it('is one ref as it is, several as {a,b}', () => {
    expect(branchFilter(['main'])).toBe('main')
    expect(branchFilter(['release/1.x', 'main', 'main'])).toBe('{main,release/1.x}')
    expect(branchFilter(['feat{1,2}'])).toBe('feat\\{1\\,2\\}')
  })
})

describe('our hook', () => {
  it('is recognised by its path on our host, whatever the scheme, port or prefix', () => {
    expect(hookUrl(PUBLIC)).toBe('https://cache.example.com/ac/hooks/gitea')
    expect(isOurs(hook({ url: 'http://CACHE.example.com:8080/hooks/gitea' }), PUBLIC)).toBe(true)
    expect(isOurs(hook({ url: 'https://cache.example.com/hooks/gitea/' }), PUBLIC)).toBe(true)
    expect(isOurs(hook({ url: 'https://replica.example.com/hooks/gitea' }), PUBLIC)).toBe(false)
    expect(isOurs(hook({ url: 'https://cache.example.com/ci/webhook' }), PUBLIC)).toBe(false)
    expect(isOurs(hook({ url: 'not a url' }), PUBLIC)).toBe(false)
  })

  it('is left unchanged when it matches, and re-sent its secret only when asked', () => {
    const want = desiredHook(PUBLIC, 's3cret', ['main'])
    const same = hook({ id: 7, url: 'https://cache.example.com/ac/hooks/gitea' })
    expect(planRepo([same], want, PUBLIC).plan).toEqual({ action: 'unchanged', id: 7 })
    expect(planRepo([same], want, PUBLIC, true).plan).toMatchObject({
      action: 'update',
      id: 7,
      changes: ['secret'],
      body: { config: { secret: 's3cret' }, active: true },
    })
  })
})
