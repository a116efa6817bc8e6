// Signing wired into serve: a push delivered by webhook to a real server (fake Gitea, real git)
// becomes a ready version with a signed attestation naming its delivery, counted in /metrics, and
// `pull` with the public key trusted writes it.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTrustedKey } from '../../src/attest/keys.js'
import { RULES_VERSION } from '../../src/attest/statement.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { pull } from '../../src/client/index.js'
import { opensslKeyPair } from '../attest/keys.js'
import { push, sendWebhook } from '../support/gitea/index.js'
import { type Stack, seoRepo, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const keys = opensslKeyPair()

let stack: Stack

beforeAll(async () => {
  stack = await startStack({
    repos: [seoRepo({ 'config.yaml': 'name: seo\n', 'prompts/a.md': 'a\n' })],
    tokens: { gitea: TOKEN, webhookSecret: SECRET },
    env: { ASSET_CACHE_SIGNING_KEY: keys.key },
    server: { jobBackoffBaseMs: 20 },
  })
})

afterAll(() => stack?.stop())

describe('serve with ASSET_CACHE_SIGNING_KEY', () => {
  it('signs the version a webhook made ready, naming the delivery; pull --trust writes it', async () => {
    const { server, repo } = stack
    const index = server.runtime.index
    const current = () => {
      const t = index.templates.get('seo')
      return t?.currentVersionId ? index.versions.get(t.currentVersionId) : null
    }
    await until(() => current() !== null)
    const payload = await push(repo, { 'prompts/a.md': 'b\n' })
    const res = await sendWebhook(`${server.url}/hooks/gitea`, {
      secret: SECRET,
      event: 'push',
      payload,
      deliveryId: 'delivery-77',
    })
    expect(res.status).toBe(202)
    await until(() => current()?.commit === payload.after)
    const digest = current()!.digest!

    const envelopes = await (await fetch(`${server.url}/v1/bundles/${digest}/attestations`)).json()
    const trusted = loadTrustedKey(keys.pub)
    const ok = verifyAttestations(envelopes, { keys: [trusted], digest, template: 'seo' })
    expect(ok.predicate).toMatchObject({
      template: 'seo',
      repository: repo.fullName,
      commit: payload.after,
      delivery: 'delivery-77',
      source: 'webhook',
      rulesVersion: RULES_VERSION,
      fileCount: 2,
    })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toContain('asset_cache_attestations_total{outcome="signed"} 2')

    const dir = await mkdtemp(join(tmpdir(), 'attest-pull-'))
    const pulled = await pull(server.url, 'seo', { into: dir, trust: [trusted] })
    expect(pulled).toMatchObject({ status: 'pulled', digest })
    expect(await readFile(join(dir, 'prompts/a.md'), 'utf8')).toBe('b\n')
  })
})
