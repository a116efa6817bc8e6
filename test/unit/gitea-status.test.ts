// How a Gitea answer other than 200 is classified; the Location header is the sender's text.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { movedTo, statusError } from '../../src/gitea/status.js'

const BASE = new URL('https://git.example.com/')
const SUB = new URL('https://git.example.com/gitea/')

describe('statusError', () => {
  it('gives 401, 403, 404 and a rename their own codes, never retried', () => {
    const codes = [401, 403, 404].map((s) => statusError('branch', s, {}, BASE, Date.now()))
    expect(codes.map((e) => [e.code, e.retryable])).toEqual([
      ['GITEA_TOKEN_REJECTED', false],
      ['GITEA_FORBIDDEN', false],
      ['GITEA_NOT_FOUND', false],
    ])
    for (const status of [301, 307, 308]) {
      const moved = statusError(
        'archive',
        status,
        { location: '/api/v1/repos/new.owner/New-Name/archive/x.tar.gz' },
        BASE,
        Date.now(),
      )
      expect(moved.code).toBe('GITEA_REPO_MOVED')
      expect(moved.message).toContain(
        'repository moved to new.owner/New-Name — update the manifest',
      )
    }
  })

  it('refuses a redirect that is not a rename on Gitea’s own origin', () => {
    for (const location of [
      'https://elsewhere.example/api/v1/repos/a/b/branches/main',
      '/login',
      '/api/v1/repos/a%2Fb/c/branches/main',
      '/api/v1/repos/a/%1b[31m/branches/main',
      undefined,
    ]) {
      const err = statusError('branch', 301, location ? { location } : {}, BASE, Date.now())
      expect(err.code).toBe('GITEA_REFUSED')
    }
    expect(
      statusError('branch', 302, { location: '/api/v1/repos/a/b/x' }, BASE, Date.now()).code,
    ).toBe('GITEA_REFUSED')
  })
})

describe('movedTo', () => {
  it('reads owner/name after the server’s sub-path', () => {
    expect(movedTo('/gitea/api/v1/repos/o/n/branches/main', SUB)).toBe('o/n')
    expect(movedTo('/api/v1/repos/o/n/branches/main', SUB)).toBeNull()
  })

  it('never throws, and names a repository only on Gitea’s origin (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.webPath()), (location) => {
        const moved = movedTo(location, BASE)
        if (moved !== null) {
          expect(new URL(location, BASE).origin).toBe(BASE.origin)
          expect(moved).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/)
        }
      }),
    )
  })
})
