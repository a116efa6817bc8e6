// OCI names: every template name maps to exactly one valid repository name and back; every ref
// maps to a valid tag (or none, when it would take a reserved one); paths and references parse
// by allowlist and never throw.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { basicPassword } from '../../src/oci/auth.js'
import {
  commitTag,
  isValidName,
  isValidTag,
  parseReference,
  parseRoute,
  refTag,
  repositoryOf,
  templateOf,
} from '../../src/oci/naming.js'
import { accepts, manifestChoice, tagsPage } from '../../src/oci/negotiate.js'

const TEMPLATE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789._-'.split('')
/** Names as the manifest allows them: `[a-z0-9][a-z0-9._-]{0,127}`. */
const templateName = fc
  .tuple(
    fc.constantFrom(...TEMPLATE_CHARS.slice(0, 36)),
    fc.array(fc.constantFrom(...TEMPLATE_CHARS), { maxLength: 127 }),
  )
  .map(([first, rest]) => first + rest.join(''))

describe('repository names', () => {
  it('maps plain names to templates/<name> and back', () => {
    expect(repositoryOf('seo-agent')).toBe('templates/seo-agent')
    expect(templateOf('templates/seo-agent')).toBe('seo-agent')
    expect(templateOf('templates/seo__a.b---c')).toBe('seo__a.b---c')
  })

  it('encodes names that are not one valid component, and decodes them back', () => {
    expect(repositoryOf('seo-')).toBe('templates-b32/onsw6li')
    for (const name of ['seo-', 'a..b', 'a._b', 'x___y', 'a-_b', '9.']) {
      const repo = repositoryOf(name)
      expect(repo.startsWith('templates-b32/'), name).toBe(true)
      expect(isValidName(repo)).toBe(true)
      expect(templateOf(repo)).toBe(name)
    }
  })

  it('is a bijection onto valid names for every template name (property)', () => {
    fc.assert(
      fc.property(templateName, templateName, (a, b) => {
        const ra = repositoryOf(a)
        expect(isValidName(ra)).toBe(true)
        expect(`127.0.0.1:65535/${ra}`.length).toBeLessThanOrEqual(255)
        expect(templateOf(ra)).toBe(a)
        if (a !== b) expect(repositoryOf(b)).not.toBe(ra)
      }),
      { numRuns: 2000 },
    )
  })

  it('names no template for anything else: other prefixes, aliases, padding, bad base32', () => {
    for (const repo of [
      'seo',
      'templates',
      'templates/',
      'templates/a/b',
      'other/seo',
      'templates-b32/',
      'templates-b32/onsw6', // base32 of "seo": a plain name has only its plain form
      'templates-b32/onsw6lj', // "seo-" with trailing bits that are not zero
      'templates-b32/onsw6lia', // "seo-" with a character too many
      'templates-b32/01',
      'templates/Seo',
    ]) {
      expect(templateOf(repo), repo).toBeNull()
    }
  })

  it('never throws on any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const t = templateOf(s)
        if (t !== null) expect(repositoryOf(t)).toBe(s)
        isValidName(s)
      }),
    )
  })
})

describe('tags', () => {
  it('maps refs into the tag grammar', () => {
    for (const [ref, tag] of [
      ['main', 'main'],
      ['release/1.0', 'release-1.0'],
      ['.hidden', '_.hidden'],
      ['-x', '_-x'],
      ['fix/ü', 'fix--'],
    ] as const) {
      expect(refTag(ref), ref).toBe(tag)
    }
    expect(refTag('x'.repeat(200))).toHaveLength(128)
  })

  it('gives no tag to a ref that would take a reserved one', () => {
    expect(refTag('latest')).toBeNull()
    expect(refTag('a'.repeat(40))).toBeNull()
    expect(refTag('a'.repeat(64))).toBeNull()
    expect(refTag('a'.repeat(41))).toBe('a'.repeat(41))
  })

  it('maps every ref to a valid tag (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }), (ref) => {
        const tag = refTag(ref)
        if (tag !== null) expect(isValidTag(tag)).toBe(true)
      }),
    )
  })

  it('tags commits by their full sha only', () => {
    expect(commitTag('a'.repeat(40))).toBe('a'.repeat(40))
    expect(commitTag('b'.repeat(64))).toBe('b'.repeat(64))
    expect(commitTag(null)).toBeNull()
    expect(commitTag('abc')).toBeNull()
  })
})

describe('references and routes', () => {
  it('tells tags, digests, foreign and invalid digests apart', () => {
    const hex = 'a'.repeat(64)
    expect(parseReference('latest')).toEqual({ kind: 'tag', tag: 'latest' })
    expect(parseReference(`sha256:${hex}`)).toEqual({ kind: 'digest', digest: `sha256:${hex}` })
    expect(parseReference(`sha512:${'a'.repeat(128)}`)).toEqual({ kind: 'foreign' })
    expect(parseReference('sha256:ABC')).toEqual({ kind: 'invalid-digest' })
    expect(parseReference(`sha256:${hex.toUpperCase()}`)).toEqual({ kind: 'invalid-digest' })
    expect(parseReference('-bad')).toEqual({ kind: 'invalid' })
  })

  it('parses routes from the end', () => {
    expect(parseRoute('/v2/templates/seo/manifests/latest')).toEqual({
      kind: 'manifest',
      name: 'templates/seo',
      reference: 'latest',
    })
    expect(parseRoute('/v2/templates/tags/tags/list')).toEqual({
      kind: 'tags',
      name: 'templates/tags',
    })
    expect(parseRoute('/v2/a/blobs/sha256:x')).toEqual({
      kind: 'blob',
      name: 'a',
      digest: 'sha256:x',
    })
    expect(parseRoute('/v2/a/referrers/d')).toEqual({ kind: 'referrers', name: 'a', digest: 'd' })
    expect(parseRoute('/v2/a/blobs/uploads/')).toBeNull()
    expect(parseRoute('/v2/a/other/x')).toBeNull()
    expect(parseRoute('/v3/a/manifests/x')).toBeNull()
  })

  it('never throws on any path or reference (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        parseRoute(`/v2/${s}`)
        parseReference(s)
      }),
    )
  })
})

describe('Accept and pagination', () => {
  it('serves the index unless the client takes only an image manifest', () => {
    expect(manifestChoice(undefined)).toBe('index')
    expect(manifestChoice('*/*')).toBe('index')
    expect(manifestChoice('application/vnd.oci.image.index.v1+json')).toBe('index')
    expect(manifestChoice('application/vnd.oci.image.manifest.v1+json')).toBe('manifest')
    expect(
      manifestChoice(
        'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json;q=0',
      ),
    ).toBe('manifest')
    expect(manifestChoice('application/vnd.docker.distribution.manifest.v2+json')).toBe('index')
    expect(accepts('application/*;q=0.5', 'application/json')).toBe(true)
    expect(accepts('text/plain', 'application/json')).toBe(false)
  })

  it('pages tags in byte order with n and last', () => {
    const tags = ['main', 'latest', 'b', 'a', 'C']
    expect(tagsPage(tags, undefined, undefined)).toEqual({
      tags: ['C', 'a', 'b', 'latest', 'main'],
      next: null,
    })
    expect(tagsPage(tags, '2', undefined)).toEqual({ tags: ['C', 'a'], next: { n: 2, last: 'a' } })
    expect(tagsPage(tags, '2', 'a')).toEqual({
      tags: ['b', 'latest'],
      next: { n: 2, last: 'latest' },
    })
    expect(tagsPage(tags, '2', 'latest')).toEqual({ tags: ['main'], next: null })
    expect(tagsPage(tags, '0', undefined)).toEqual({ tags: [], next: null })
    expect(tagsPage(tags, '-1', undefined)).toHaveProperty('error')
    expect(tagsPage(tags, 'x', undefined)).toHaveProperty('error')
  })
})

describe('Basic credentials', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`
  it('takes the password after the first colon, any user name', () => {
    expect(basicPassword(basic('x:tok'))).toBe('tok')
    expect(basicPassword(basic(':tok:with:colons'))).toBe('tok:with:colons')
    expect(basicPassword(`basic  ${Buffer.from('u:p').toString('base64')}`)).toBe('p')
  })

  it('refuses anything that is not one canonical credential', () => {
    for (const h of [
      basic('nocolon'),
      basic('u:'),
      basic('u:has space'),
      basic('u:ctl\x01'),
      'Basic',
      'Basic !!!!',
      'Basic a',
      `Basic ${Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64')}`,
      `Basic ${'A'.repeat(5000)}`,
    ]) {
      expect(basicPassword(h), h.slice(0, 40)).toBeNull()
    }
  })
})
