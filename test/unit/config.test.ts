import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyidOf } from '../../src/attest/keys.js'
import { ENV_VARS, loadConfig, parseManifest, parseReadTokens } from '../../src/config.js'
import { AppError } from '../../src/errors.js'
import { parseDuration, parseSize } from '../../src/units.js'

const dir = mkdtempSync(join(tmpdir(), 'asset-cache-config-'))
const ADMIN_TOKEN = randomBytes(32).toString('hex')

function configError(env: Record<string, string>): AppError {
  try {
    loadConfig(env, dir)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('CONFIG_INVALID')
    return err as AppError
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('environment', () => {
  it('has the defaults of docs/configuration.md', () => {
    const c = loadConfig({}, dir)
    expect(c.dataDir).toBe(join(dir, 'data'))
    expect(c.host).toBe('127.0.0.1')
    expect(c.port).toBe(8080)
    expect(c.reconcileIntervalMs).toBe(5 * 60_000)
    expect(c.allowAnonymousReads).toBe(false)
    expect(c.storeBudgetBytes).toBe(2 * 1024 ** 3)
    expect(c.templates).toEqual([])
    expect(c.gitea).toBeNull()
    expect(c.fetchOff).toMatch(/GITEA_BASE_URL and GITEA_TOKEN/)
    expect(c.webhookSecret).toBeNull()
    expect(c.limits).toEqual({
      maxCompressedBytes: 16 * 1024 ** 2,
      maxUnpackedBytes: 64 * 1024 ** 2,
      maxEntries: 10_000,
      maxFileBytes: 16 * 1024 ** 2,
    })
  })

  it('takes the MOLECULE_* aliases, the primary name winning', () => {
    const c = loadConfig(
      { MOLECULE_GITEA_BASE_URL: 'https://git.example.com', MOLECULE_TEMPLATE_REPO_TOKEN: 'tok' },
      dir,
    )
    expect(c.gitea?.baseUrl.href).toBe('https://git.example.com/')
    expect(c.gitea?.token.reveal()).toBe('tok')
    const both = loadConfig(
      {
        GITEA_BASE_URL: 'https://primary.example.com',
        MOLECULE_GITEA_BASE_URL: 'https://alias.example.com',
        GITEA_TOKEN: 'primary',
        MOLECULE_TEMPLATE_REPO_TOKEN: 'alias',
      },
      dir,
    )
    expect(both.gitea?.baseUrl.host).toBe('primary.example.com')
    expect(both.gitea?.token.reveal()).toBe('primary')
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ ASSET_CACHE_PORT: '', GITEA_TOKEN: '' }, dir).port).toBe(8080)
  })

  it.each([
    ['ASSET_CACHE_PORT', 'eighty'],
    ['ASSET_CACHE_PORT', '70000'],
    ['ASSET_CACHE_RECONCILE_INTERVAL', '5 minutes'],
    ['ASSET_CACHE_RECONCILE_INTERVAL', '0s'],
    ['ASSET_CACHE_STORE_BUDGET', 'lots'],
    ['ASSET_CACHE_ALLOW_ANONYMOUS_READS', 'maybe'],
    ['GITEA_BASE_URL', 'ftp://git.example.com'],
    ['ASSET_CACHE_WORKERS', '0'],
  ])('refuses %s=%s naming the field', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(`environment: ${name}:`)
  })

  it('refuses a weak or placeholder admin token, saying how to make one and never quoting it', () => {
    for (const token of [
      'short',
      'abc',
      'REPLACE_WITH_ADMIN_TOKEN',
      'changeme-please-0123456789abcdef',
      'admin-e2e-7c41d2',
      'x'.repeat(64),
      'abcd'.repeat(16),
      'correct horse battery staple',
    ]) {
      const err = configError({ ASSET_CACHE_ADMIN_TOKEN: token })
      expect(err.code, token).toBe('CONFIG_INVALID')
      expect(err.message).toMatch(/^environment: ASSET_CACHE_ADMIN_TOKEN: /)
      expect(err.message).toContain('openssl rand -hex 32')
      expect(err.message).not.toContain(token)
    }
    expect(loadConfig({ ASSET_CACHE_ADMIN_TOKEN: ADMIN_TOKEN }, dir).adminToken).not.toBeNull()
  })

  it('refuses a short or weak URL key and never prints one', () => {
    for (const key of [
      'tiny',
      randomBytes(15).toString('hex'),
      'x'.repeat(64),
      'secret'.repeat(8),
    ]) {
      const err = configError({ ASSET_CACHE_URL_KEY: key })
      expect(err.message).toMatch(/^environment: ASSET_CACHE_URL_KEY: /)
      expect(err.message).toContain('openssl rand -hex 32')
      expect(err.message).not.toContain(key)
    }
    const key = randomBytes(32).toString('hex')
    const c = loadConfig({ ASSET_CACHE_URL_KEY: key }, dir)
    expect(c.urlKey?.reveal()).toBe(key)
    expect(JSON.stringify(c) + inspect(c, { depth: 10 }) + String(c.urlKey)).not.toContain(key)
    expect(loadConfig({}, dir).urlKey).toBeNull()
  })

  it('names an alias by its primary field', () => {
    expect(configError({ MOLECULE_GITEA_BASE_URL: 'not a url' }).message).toContain(
      'GITEA_BASE_URL',
    )
  })

  it('never prints a secret', () => {
    const c = loadConfig(
      {
        GITEA_BASE_URL: 'https://git.example.com',
        GITEA_TOKEN: 'gitea-secret-token',
        ASSET_CACHE_WEBHOOK_SECRET: 'hook-secret-value',
        ASSET_CACHE_ADMIN_TOKEN: ADMIN_TOKEN,
        ASSET_CACHE_READ_TOKENS: 'read-secret-value',
      },
      dir,
    )
    const shown = JSON.stringify(c) + inspect(c, { depth: 10 }) + String(c.webhookSecret)
    for (const s of ['gitea-secret-token', 'hook-secret-value', ADMIN_TOKEN, 'read-secret-value']) {
      expect(shown).not.toContain(s)
    }
  })

  it('lists every variable it reads', () => {
    expect(ENV_VARS).toEqual(
      expect.arrayContaining([
        'ASSET_CACHE_DATA_DIR',
        'ASSET_CACHE_HOST',
        'ASSET_CACHE_PORT',
        'ASSET_CACHE_TEMPLATES',
        'GITEA_BASE_URL',
        'MOLECULE_GITEA_BASE_URL',
        'GITEA_TOKEN',
        'MOLECULE_TEMPLATE_REPO_TOKEN',
        'ASSET_CACHE_WEBHOOK_SECRET',
        'ASSET_CACHE_READ_TOKENS',
        'ASSET_CACHE_ADMIN_TOKEN',
        'ASSET_CACHE_URL_KEY',
        'ASSET_CACHE_RECONCILE_INTERVAL',
        'ASSET_CACHE_ALLOW_ANONYMOUS_READS',
        'ASSET_CACHE_STORE_BUDGET',
      ]),
    )
  })
})

describe('templates manifest', () => {
  const fleet = {
    workspace_templates: [{ name: 'seo-agent', repo: 'acme/agent-template-seo', ref: 'main' }],
  }

  it('accepts the JSON a fleet already has, with defaults for allow and require', () => {
    const file = join(dir, 'templates.json')
    writeFileSync(file, JSON.stringify({ ...fleet, other_key: true }))
    const c = loadConfig({ ASSET_CACHE_TEMPLATES: 'templates.json' }, dir)
    expect(c.templatesFile).toBe(file)
    expect(c.templates).toEqual([
      {
        name: 'seo-agent',
        repo: 'acme/agent-template-seo',
        ref: 'main',
        allow: ['config.yaml', 'prompts/**', 'agent-skills/**'],
        require: ['config.yaml'],
      },
    ])
  })

  it('accepts YAML of the same shape with allow and require', () => {
    const specs = parseManifest(
      'workspace_templates:\n  - name: docs\n    repo: Acme/Docs\n    ref: release/1.x\n    allow: ["config.yaml", "docs/**"]\n    require: ["config.yaml", "docs/index.md"]\n',
      'templates.yaml',
    )
    expect(specs[0]).toMatchObject({
      name: 'docs',
      ref: 'release/1.x',
      require: ['config.yaml', 'docs/index.md'],
    })
  })

  it.each([
    [
      '{"workspace_templates":[{"name":"x","repo":"no-slash","ref":"main"}]}',
      'workspace_templates[0].repo',
    ],
    [
      '{"workspace_templates":[{"name":"Bad Name","repo":"a/b","ref":"main"}]}',
      'workspace_templates[0].name',
    ],
    [
      '{"workspace_templates":[{"name":"x","repo":"a/b","ref":"a..b"}]}',
      'workspace_templates[0].ref',
    ],
    [
      '{"workspace_templates":[{"name":"x","repo":"a/b"},{"name":"x","repo":"a/c"}]}',
      'workspace_templates[1].name',
    ],
    [
      '{"workspace_templates":[{"name":"x","repo":"a/b","allow":"prompts/**"}]}',
      'workspace_templates[0].allow',
    ],
    ['{"templates":[]}', 'workspace_templates'],
    ['{"workspace_templates":', '(root)'],
  ])('refuses %s naming %s and the file', (text, field) => {
    const file = join(dir, 'bad.json')
    writeFileSync(file, text)
    const err = configError({ ASSET_CACHE_TEMPLATES: file })
    expect(err.message).toContain(file)
    if (field !== '(root)') expect(err.message).toContain(field)
  })

  it('names a manifest it cannot read', () => {
    expect(configError({ ASSET_CACHE_TEMPLATES: 'missing.yaml' }).message).toMatch(
      /ASSET_CACHE_TEMPLATES.*ENOENT/,
    )
  })

  it('refuses a YAML alias bomb', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 0; i < 10; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      )
    expect(() => parseManifest(bomb.join('\n'), 'bomb.yaml')).toThrow(AppError)
  })
})

describe('read tokens', () => {
  it('parses plain, hashed and scoped entries', () => {
    const hex = 'ab'.repeat(32)
    const tokens = parseReadTokens(`plain, sha256:${hex} ,scoped@seo-agent+docs`)
    expect(tokens).toHaveLength(3)
    expect(tokens[1]!.sha256.toString('hex')).toBe(hex)
    expect(tokens[0]!.scope).toBeNull()
    expect(tokens[2]!.scope).toEqual(['seo-agent', 'docs'])
  })

  it.each(['sha256:ABC', 'tok@', '@scope', 'tok@Bad Scope'])('refuses %s', (text) => {
    expect(() => parseReadTokens(text)).toThrow(AppError)
  })
})

describe('units', () => {
  it('parses durations and sizes', () => {
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('5')).toBeNull()
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2)
    expect(parseSize('1.5GB')).toBe(1.5e9)
    expect(parseSize('-1')).toBeNull()
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const d = parseDuration(text)
        const s = parseSize(text)
        return (d === null || Number.isSafeInteger(d)) && (s === null || Number.isSafeInteger(s))
      }),
    )
  })
})

describe('ASSET_CACHE_SIGNING_KEY', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const body = pem.split('\n')[1]!

  it('takes a path relative to the working directory, or the PEM itself, and never prints it', () => {
    const base = mkdtempSync(join(tmpdir(), 'asset-cache-key-'))
    writeFileSync(join(base, 'signing.pem'), pem)
    const byPath = loadConfig({ ASSET_CACHE_SIGNING_KEY: 'signing.pem' }, base)
    const inline = loadConfig({ ASSET_CACHE_SIGNING_KEY: pem }, base)
    const keyid = keyidOf(publicKey)
    expect([byPath.signingKey?.keyid, inline.signingKey?.keyid]).toEqual([keyid, keyid])
    expect(loadConfig({}, base).signingKey).toBeNull()
    const shown = JSON.stringify(byPath) + inspect(byPath, { depth: 10 })
    expect(shown).not.toContain(body)
    expect(shown).not.toContain(body.slice(16, 40))
  })

  it('refuses a missing file, a public key, an RSA key, naming the variable and not the key', () => {
    const base = mkdtempSync(join(tmpdir(), 'asset-cache-key-'))
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    for (const value of [
      'absent.pem',
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      rsa.export({ type: 'pkcs8', format: 'pem' }).toString(),
      pem.replace(body, body.replace(/[A-Z]/g, 'x')),
    ]) {
      let err: unknown
      try {
        loadConfig({ ASSET_CACHE_SIGNING_KEY: value }, base)
      } catch (e) {
        err = e
      }
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' })
      expect((err as Error).message).toContain('ASSET_CACHE_SIGNING_KEY')
      expect((err as Error).message).not.toContain(body.slice(16, 40))
    }
  })
})
