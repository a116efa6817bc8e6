// ASSET_CACHE_OCI_PUBLISH and its credentials: what parses, what stops start-up (naming the
// variable), and that no input makes the parser throw or yield a repository outside the grammar.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { isValidName } from '../../src/oci/naming.js'
import { parsePublishTarget, publishedRepository } from '../../src/oci/publish-target.js'

const load = (env: Record<string, string>) =>
  loadConfig({ ASSET_CACHE_DATA_DIR: '/tmp/x', ...env }, '/tmp')

function configError(env: Record<string, string>): string {
  try {
    load(env)
  } catch (err) {
    expect((err as { code: string }).code).toBe('CONFIG_INVALID')
    return (err as Error).message
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('ASSET_CACHE_OCI_PUBLISH', () => {
  it('is off by default', () => {
    expect(load({}).ociPublish).toBeNull()
  })

  it('reads registry, port and namespace; https unless http:// is written', () => {
    const t = parsePublishTarget('registry.example.com/platform/asset-cache')
    expect(t).toMatchObject({
      namespace: 'platform/asset-cache',
      key: 'registry.example.com/platform/asset-cache',
    })
    expect(!('error' in t) && t.origin.href).toBe('https://registry.example.com/')
    const plain = parsePublishTarget('http://127.0.0.1:5000/ns/')
    expect(!('error' in plain) && plain.origin.href).toBe('http://127.0.0.1:5000/')
    expect(!('error' in plain) && plain.key).toBe('127.0.0.1:5000/ns')
    expect(!('error' in plain) && publishedRepository(plain, 'seo')).toBe('ns/templates/seo')
    expect(!('error' in plain) && publishedRepository(plain, 'seo-')).toBe(
      'ns/templates-b32/onsw6li',
    )
  })

  it('refuses what is not host[:port]/namespace, naming the variable', () => {
    for (const bad of [
      'registry.example.com',
      'ftp://r/ns',
      'user:pass@r/ns',
      'r/NS',
      'r/ns//x',
      'r/-ns',
      'r:port/ns',
    ]) {
      expect(configError({ ASSET_CACHE_OCI_PUBLISH: bad }), bad).toContain(
        'ASSET_CACHE_OCI_PUBLISH',
      )
    }
  })

  it('refuses user:password@ in the target without ever repeating it', () => {
    const message = configError({
      ASSET_CACHE_OCI_PUBLISH: 'https://robot:s3cret@registry.example.com/ns',
    })
    expect(message).toContain('credentials do not belong in ASSET_CACHE_OCI_PUBLISH')
    expect(message).toContain('ASSET_CACHE_OCI_PUBLISH_USER/_PASSWORD')
    expect(message).not.toMatch(/s3cret|robot/)
    fc.assert(
      fc.property(
        fc.constantFrom('', 'http://', 'https://'),
        fc.stringMatching(/^[a-z]{3,8}$/),
        fc.stringMatching(/^[A-Za-z0-9!$%&/:;=?#]{8,24}$/),
        fc.constantFrom('r.example', '127.0.0.1:5000', '[::1]:5000'),
        (scheme, user, password, host) => {
          const secret = `Zq${password}`
          const text = `${scheme}${user}:${secret}@${host}/ns`
          const parsed = parsePublishTarget(text)
          expect('error' in parsed).toBe(true)
          const shown = configError({ ASSET_CACHE_OCI_PUBLISH: text })
          expect(shown).not.toContain(secret)
          expect(JSON.stringify(parsed)).not.toContain(secret)
        },
      ),
    )
  })

  it('takes credentials in pairs, and only with a target; the password is a Secret', () => {
    const c = load({
      ASSET_CACHE_OCI_PUBLISH: 'r.example/ns',
      ASSET_CACHE_OCI_PUBLISH_USER: 'robot',
      ASSET_CACHE_OCI_PUBLISH_PASSWORD: 'hunter2-password',
    }).ociPublish
    expect(c?.credentials?.user).toBe('robot')
    expect(c?.credentials?.password.reveal()).toBe('hunter2-password')
    expect(JSON.stringify(c)).not.toContain('hunter2-password')
    expect(
      configError({ ASSET_CACHE_OCI_PUBLISH: 'r/ns', ASSET_CACHE_OCI_PUBLISH_USER: 'robot' }),
    ).toContain('ASSET_CACHE_OCI_PUBLISH_PASSWORD')
    const message = configError({
      ASSET_CACHE_OCI_PUBLISH_USER: 'robot',
      ASSET_CACHE_OCI_PUBLISH_PASSWORD: 'hunter2-password',
    })
    expect(message).toContain('ASSET_CACHE_OCI_PUBLISH')
    expect(message).not.toContain('hunter2-password')
  })

  it('never throws; whatever it accepts names repositories inside the grammar', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-z0-9.-]{1,60}$/), (a, b) => {
        for (const text of [a, `${b}/${a}`, `http://${b}/${a}`]) {
          const t = parsePublishTarget(text)
          if ('error' in t) continue
          expect(t.origin.username + t.origin.password).toBe('')
          expect(isValidName(publishedRepository(t, 'a'))).toBe(true)
          expect(t.key.includes('@')).toBe(false)
        }
      }),
    )
  })
})
