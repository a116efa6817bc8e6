// WWW-Authenticate parsing for the OCI pull client: the challenge lists registries send (one per
// line, or several on one line), quoted values with commas and escapes, token68; never throws.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseChallenges } from '../../src/oci/challenge.js'

describe('parseChallenges', () => {
  it('reads a Docker Hub style Bearer challenge', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/x:pull,push',
        },
      },
    ])
  })

  it('reads several challenges on one line, in order', () => {
    expect(
      parseChallenges(
        'Bearer realm="http://h/v2/token",service="asset-cache", Basic realm="asset-cache"',
      ),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'http://h/v2/token', service: 'asset-cache' } },
      { scheme: 'basic', params: { realm: 'asset-cache' } },
    ])
    expect(parseChallenges('Basic realm="a", Bearer realm="b"').map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ])
  })

  it('unescapes quoted values, lower-cases names, keeps token values and token68', () => {
    expect(parseChallenges('BASIC Realm = "a \\"b\\" c", charset=UTF-8')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b" c', charset: 'UTF-8' } },
    ])
    expect(parseChallenges('Negotiate abc==, Basic realm=x')).toEqual([
      { scheme: 'negotiate', params: { token68: 'abc==' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ])
  })

  it('stops at what does not parse', () => {
    expect(parseChallenges('')).toEqual([])
    expect(parseChallenges('"quoted"')).toEqual([])
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([
      { scheme: 'bearer', params: {} },
    ])
  })

  it('never throws and always ends (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const out = parseChallenges(s)
        for (const c of out) expect(c.scheme).toMatch(/^[!#$%&'*+.^_`|~0-9a-z-]+$/)
      }),
      { numRuns: 3000 },
    )
  })
})
