// deploy/compose.yaml: Gitea and asset-cache wired together, secrets only as required
// placeholders read from deploy/.env, named volumes declared, health checked.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseManifest } from '../../src/config.js'
import { DEPLOY, expectEachBreaks, read, yamlDocs } from './files.js'

interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  environment?: Record<string, string>
  volumes?: string[]
  healthcheck?: { test: string[] | string }
  depends_on?: Record<string, unknown>
}
interface Compose {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}

const SECRETS = [
  'GITEA_TOKEN',
  'ASSET_CACHE_WEBHOOK_SECRET',
  'ASSET_CACHE_READ_TOKENS',
  'ASSET_CACHE_ADMIN_TOKEN',
]

const TEXT = read('deploy/compose.yaml')
const parse = (text: string) => yamlDocs(text, 'compose.yaml')[0] as Compose

function problems(c: Compose): string[] {
  const out: string[] = []
  const gitea = c.services.gitea
  const cache = c.services['asset-cache']
  if (!gitea?.image?.startsWith('gitea/gitea')) out.push('no gitea service on gitea/gitea')
  if (!cache) return [...out, 'no asset-cache service']

  const build = cache.build
  if (!build || !existsSync(join(DEPLOY, build.context, build.dockerfile))) {
    out.push('asset-cache is not built from deploy/Dockerfile')
  }
  const env = cache.environment ?? {}
  for (const name of SECRETS) {
    if (!new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`).test(env[name] ?? '')) {
      out.push(`${name} is not a required \${${name}:?…} placeholder: ${env[name]}`)
    }
  }
  const base = /^http:\/\/([^:/]+):(\d+)$/.exec(env.GITEA_BASE_URL ?? '')
  if (!base || !(base[1]! in c.services) || base[2] !== '3000') {
    out.push(`GITEA_BASE_URL ${env.GITEA_BASE_URL} is not the gitea service`)
  }

  // Volumes: named ones declared; the data dir and the manifest mounted where the env says.
  const mounts = Object.values(c.services).flatMap((s) => s.volumes ?? [])
  for (const m of mounts) {
    const source = m.split(':')[0]!
    if (!/^[./]/.test(source) && !(source in (c.volumes ?? {}))) {
      out.push(`volume ${source} is not declared`)
    }
  }
  const target = (path: string | undefined) =>
    cache.volumes?.find((v) => v.split(':')[1] === path)?.split(':')[0]
  const data = target(env.ASSET_CACHE_DATA_DIR)
  if (!data || !(data in (c.volumes ?? {}))) out.push('no named volume at ASSET_CACHE_DATA_DIR')
  if (target(env.ASSET_CACHE_TEMPLATES) !== './templates.json') {
    out.push('ASSET_CACHE_TEMPLATES is not the mounted ./templates.json')
  }
  if (!gitea?.volumes?.some((v) => v.endsWith(':/data'))) out.push('gitea has no data volume')

  const health = [cache.healthcheck?.test ?? []].flat().join(' ')
  if (!health.includes('/healthz')) out.push('asset-cache healthcheck does not ask /healthz')
  return out
}

describe('compose', () => {
  it('runs gitea and asset-cache, wired together, secrets as placeholders, volumes declared', () => {
    expect(problems(parse(TEXT))).toEqual([])
  })

  it('ships an example manifest and an env file without secrets', () => {
    parseManifest(read('deploy/templates.example.json'), 'templates.example.json')
    const env = read('deploy/env.example')
    for (const name of SECRETS) expect(env).toMatch(new RegExp(`^${name}=`, 'm'))
    for (const name of SECRETS.slice(1)) expect(env).toMatch(new RegExp(`^${name}=$`, 'm'))
    expect(env).not.toMatch(/[0-9a-f]{20,}/i)
  })

  it('the check catches each broken rule', () => {
    expectEachBreaks(
      TEXT,
      [
        [
          'ASSET_CACHE_WEBHOOK_SECRET: ${ASSET_CACHE_WEBHOOK_SECRET:?',
          'ASSET_CACHE_WEBHOOK_SECRET: s3cr3t #',
        ],
        [
          'ASSET_CACHE_ADMIN_TOKEN: ${ASSET_CACHE_ADMIN_TOKEN:?',
          'ASSET_CACHE_ADMIN_TOKEN: ${ASSET_CACHE_ADMIN_TOKEN:-',
        ],
        ['GITEA_BASE_URL: http://gitea:3000', 'GITEA_BASE_URL: http://git.example.com:3000'],
        ['\n  asset-cache-data:\n', '\n'],
        ['- asset-cache-data:/data', '- asset-cache-data:/var/data'],
        ['  gitea:\n    image: gitea/gitea', '  forge:\n    image: gitea/gitea'],
        ["fetch('http://127.0.0.1:8080/healthz')", "fetch('http://127.0.0.1:8080/')"],
        ['dockerfile: deploy/Dockerfile', 'dockerfile: Dockerfile'],
      ],
      (changed) => problems(parse(changed)),
    )
  })
})
