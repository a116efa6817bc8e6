// /metrics after a real flow: fake Gitea (real git) → webhooks → jobs → bundle downloads.
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { fault, push, sendWebhook, testDeliveryPayload } from '../support/gitea/index.js'
import { QUICK_RETRIES, seoRepo } from '../support/stack.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const TOKEN = 'metrics-gitea-token'
const SECRET = 'metrics-hook-secret'

const METRIC_NAMES = [
  'asset_cache_webhook_deliveries_total',
  'asset_cache_jobs_total',
  'asset_cache_job_phase_seconds',
  'asset_cache_archive_bytes_downloaded_total',
  'asset_cache_versions',
  'asset_cache_http_requests_total',
  'asset_cache_http_request_duration_seconds',
  'asset_cache_bundle_bytes_served_total',
  'asset_cache_hot_cache_hits_total',
  'asset_cache_hot_cache_misses_total',
  'asset_cache_hot_cache_bytes',
  'asset_cache_webhook_body_bytes',
  'asset_cache_queue_depth',
  'asset_cache_store_bytes',
  'asset_cache_store_budget_bytes',
  'asset_cache_gitea_request_errors_total',
  'asset_cache_reconcile_lag_seconds',
  'asset_cache_templates_not_ready',
  'asset_cache_gc_runs_total',
  'asset_cache_gc_freed_bytes_total',
  'asset_cache_gc_removed_bundles_total',
  'asset_cache_http_connections',
  'asset_cache_http_connections_refused_total',
  'asset_cache_http_connections_timed_out_total',
  'asset_cache_http_requests_aborted_total',
  'asset_cache_commit_status_posts_total',
  'asset_cache_commit_statuses_queued',
]

const fx = stackPerTest({
  repos: [
    seoRepo({ 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hello\n', Dockerfile: 'FROM x\n' }),
  ],
  tokens: { gitea: TOKEN, webhookSecret: SECRET },
  env: { ASSET_CACHE_STORE_BUDGET: '64MiB' },
  server: QUICK_RETRIES,
})

/** The value of one sample, e.g. `asset_cache_jobs_total{outcome="ready"}`; null when absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? null : Number(line.slice(series.length + 1))
}

const scrape = async (base: string) => {
  const res = await request(`${base}/metrics`)
  expect(res.statusCode).toBe(200)
  expect(String(res.headers['content-type'])).toMatch(/^text\/plain/)
  return res.body.text()
}

const idle = () => {
  const depth = fx.server.runtime.index.jobs.depth()
  return depth.queued + depth.running === 0
}
const currentCommit = () => {
  const index = fx.server.runtime.index
  const t = index.templates.get('seo')
  return t?.currentVersionId ? index.versions.get(t.currentVersionId)?.commit : null
}

describe('GET /metrics', () => {
  it('exposes every metric with values that match what happened', async () => {
    const { url } = await fx.start()
    await until(async () => currentCommit() === (await fx.repo.head()))
    await until(idle)

    // A push whose first archive request gets a 500 (retried), announced by webhook.
    fx.gitea.faults.inject('archive', fault.status500(), { times: 1 })
    const payload = await push(fx.repo, { 'prompts/a.md': 'hello again\n' })
    const hook = (body: object, secret = SECRET, deliveryId?: string) =>
      sendWebhook(`${url}/hooks/gitea`, {
        secret,
        event: 'push',
        payload: body,
        ...(deliveryId ? { deliveryId } : {}),
      })
    expect((await hook(payload, SECRET, 'd-1')).status).toBe(202)
    expect((await hook(payload, SECRET, 'd-2')).status).toBe(200) // duplicate push
    expect((await hook(payload, 'wrong-secret')).status).toBe(401)
    expect((await hook(await testDeliveryPayload(fx.repo))).status).toBe(200)
    await until(() => currentCommit() === payload.after)
    await until(idle)

    // Two full downloads: a hot-cache miss, then a hit. Then a range and a HEAD.
    const digest = fx.server.runtime.index.versions.byCommit('seo', payload.after)!.digest!
    let received = 0
    for (const headers of [{}, {}, { range: 'bytes=0-99' }, { 'accept-encoding': 'gzip' }]) {
      const res = await request(`${url}/v1/bundles/${digest}`, { headers })
      received += (await res.body.arrayBuffer()).byteLength
    }
    await (await request(`${url}/v1/bundles/${digest}`, { method: 'HEAD' })).body.dump()
    await (await request(`${url}/no/such/path`)).body.dump()

    const text = await scrape(url)
    for (const name of METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `)
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter')

    const deliveries = (outcome: string, event = 'push') =>
      sample(text, `asset_cache_webhook_deliveries_total{event="${event}",outcome="${outcome}"}`)
    expect(deliveries('queued')).toBe(1)
    expect(deliveries('duplicate')).toBe(1)
    expect(deliveries('unauthorized')).toBe(1)
    expect(deliveries('ok')).toBe(1)

    expect(sample(text, 'asset_cache_jobs_total{outcome="ready"}')).toBeGreaterThanOrEqual(2)
    for (const phase of ['head', 'fetch', 'validate', 'store', 'total']) {
      expect(
        sample(text, `asset_cache_job_phase_seconds_count{phase="${phase}"}`),
      ).toBeGreaterThanOrEqual(2)
    }
    expect(sample(text, 'asset_cache_archive_bytes_downloaded_total')).toBeGreaterThan(0)
    expect(sample(text, 'asset_cache_gitea_request_errors_total{kind="http_5xx"}')).toBe(1)

    expect(sample(text, 'asset_cache_versions{status="ready",reason=""}')).toBe(2)
    expect(sample(text, 'asset_cache_queue_depth{state="queued"}')).toBe(0)
    expect(sample(text, 'asset_cache_queue_depth{state="running"}')).toBe(0)
    expect(sample(text, 'asset_cache_templates_not_ready')).toBe(0)
    expect(sample(text, 'asset_cache_reconcile_lag_seconds')).toBe(0)
    expect(sample(text, 'asset_cache_store_budget_bytes')).toBe(64 * 1024 * 1024)
    const storeBytes = fx.server.runtime.index.bundles.all().reduce((n, b) => n + b.size, 0)
    expect(sample(text, 'asset_cache_store_bytes')).toBe(storeBytes)

    expect(sample(text, 'asset_cache_bundle_bytes_served_total')).toBe(received)
    expect(sample(text, 'asset_cache_hot_cache_misses_total')).toBe(1)
    expect(sample(text, 'asset_cache_hot_cache_hits_total')).toBe(4)
    expect(sample(text, 'asset_cache_hot_cache_bytes')).toBeGreaterThan(0)
    for (const name of ['gc_runs', 'gc_freed_bytes', 'gc_removed_bundles']) {
      expect(sample(text, `asset_cache_${name}_total`)).toBe(0)
    }

    // Route patterns, never raw paths.
    expect(
      sample(
        text,
        'asset_cache_http_requests_total{route="/v1/bundles/:digest",method="GET",status="200"}',
      ),
    ).toBe(3)
    expect(
      sample(
        text,
        'asset_cache_http_requests_total{route="/v1/bundles/:digest",method="GET",status="206"}',
      ),
    ).toBe(1)
    expect(
      sample(
        text,
        'asset_cache_http_requests_total{route="/hooks/gitea",method="POST",status="202"}',
      ),
    ).toBe(1)
    expect(text).not.toContain(digest.slice(7))
    expect(text).not.toContain('/no/such/path')
    expect(
      sample(
        text,
        'asset_cache_http_request_duration_seconds_count{route="/v1/bundles/:digest",method="GET"}',
      ),
    ).toBe(4)
  })

  it('reports templates behind their head and the lag while a job is queued', async () => {
    // Fetching off: nothing becomes ready, so the template stays behind since it was created.
    const { url } = await fx.start({ ASSET_CACHE_FETCH: 'off' })
    await new Promise((r) => setTimeout(r, 50))
    const text = await scrape(url)
    expect(sample(text, 'asset_cache_templates_not_ready')).toBe(1)
    expect(sample(text, 'asset_cache_reconcile_lag_seconds')).toBeGreaterThan(0)
    expect(sample(text, 'asset_cache_jobs_total{outcome="ready"}')).toBeNull()
  })
})

describe('separate metrics listener', () => {
  it('serves /metrics only on ASSET_CACHE_METRICS_PORT and closes it on shutdown', async () => {
    const running = await fx.start({ ASSET_CACHE_METRICS_PORT: '0' })
    expect(running.metricsUrl).not.toBeNull()
    expect(running.metricsUrl).not.toBe(running.url)
    const text = await scrape(running.metricsUrl!)
    expect(text).toContain('# TYPE asset_cache_jobs_total counter')
    const main = await request(`${running.url}/metrics`)
    expect(main.statusCode).toBe(404)
    await main.body.dump()
    const other = await request(`${running.metricsUrl}/readyz`, {
      headers: { 'x-request-id': 'scrape-9' },
    })
    expect(other.statusCode).toBe(404)
    expect(other.headers['x-request-id']).toBe('scrape-9')
    expect(await other.body.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no such route', requestId: 'scrape-9' },
    })
    const scraped = await request(`${running.metricsUrl}/metrics`)
    expect(scraped.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    await scraped.body.dump()
    await running.close(1_000)
    await expect(request(`${running.metricsUrl}/metrics`)).rejects.toThrow()
  })
})
