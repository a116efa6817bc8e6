// State derived per Metrics object or per hot entry lives on that object: two Metrics in one
// process each register their own attestation and peer metrics once, and a hot bundle carries
// its own /v2 blob answers.
import { describe, expect, it } from 'vitest'
import { hotBundle } from '../../src/http/fast-path/hot-cache.js'
import { blobAnswer } from '../../src/http/fast-path/oci-blob.js'
import { createMetrics } from '../../src/metrics.js'

describe('metrics registered on first use, per Metrics object', () => {
  it('attestations() and peers() answer the same metrics on every call, each Metrics its own', async () => {
    const a = createMetrics()
    const b = createMetrics()
    expect(await a.text()).not.toContain('asset_cache_attestations_total')
    expect(a.attestations()).toBe(a.attestations())
    expect(a.peers()).toBe(a.peers())
    expect(b.attestations()).not.toBe(a.attestations())
    a.attestations().inc({ outcome: 'signed' })
    expect(await a.text()).toContain('asset_cache_attestations_total{outcome="signed"} 1')
    expect(await a.text()).toContain('asset_cache_peer_fills_total')
    expect(await b.text()).not.toContain('asset_cache_peer_fills_total')
  })
})

describe('a hot entry', () => {
  it('keeps its blob answers: made once, on the entry', () => {
    const metrics = createMetrics()
    const entry = hotBundle(`sha256:${'ab'.repeat(32)}`, Buffer.from('bytes'))
    expect(entry.blob).toBeUndefined()
    const first = blobAnswer(metrics, 'GET', () => undefined, entry)
    expect(entry.blob?.full.wire).toBe(first.wire)
    expect(first.headers['docker-content-digest']).toBe(entry.digest)
    const again = blobAnswer(metrics, 'GET', () => undefined, entry)
    expect(again.headers).toBe(first.headers)
  })
})
