// The admin UI in a real browser (Debian chromium via playwright-core) against a real server and
// the fake Gitea: sign in, read the overview, find a rejected version and its reason, pin an older
// version and see provisioners get it, unpin. Screenshots go to test-artifacts/browser/.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import type { FakeGitea, GitRepo } from '../support/gitea/index.js'
import { createRepo, push, sendWebhook, startFakeGitea } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { QUICK_RETRIES, TEMPLATE_FILES } from '../support/stack.js'
import { until } from '../support/wait.js'

const CHROMIUM = '/usr/bin/chromium'
const HAS_CHROMIUM = existsSync(CHROMIUM)
if (!HAS_CHROMIUM) {
  console.warn(`skipping the admin UI browser test: ${CHROMIUM} does not exist (CI installs it)`)
}

const ADMIN = randomBytes(32).toString('hex')
const GITEA_TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url))

const FILES = { ...TEMPLATE_FILES, 'prompts/style.md': 'Be brief.\n' }

let gitea: FakeGitea
let repo: GitRepo
let server: RunningServer
let browser: Browser
let first: { commit: string; digest: string }
let second: { commit: string; digest: string }
let rejectedCommit: string

const index = () => server.runtime.index
const versionOf = (commit: string) => index().versions.byCommit('seo', commit)

async function pushAndDeliver(files: Parameters<typeof push>[1], deliveryId: string) {
  const payload = await push(repo, files)
  const res = await sendWebhook(`${server.url}/hooks/gitea`, {
    secret: SECRET,
    event: 'push',
    payload,
    deliveryId,
  })
  expect(res.status).toBe(202)
  await until(() => versionOf(payload.after) !== null)
  return payload.after
}

async function shot(page: Page, name: string): Promise<string> {
  const path = `${ARTIFACTS}${name}.png`
  await page.screenshot({ path, fullPage: true })
  console.log(`screenshot: ${path}`)
  return path
}

interface DigestBox {
  text: string
  left: number
  right: number
  width: number
  viewport: number
  /** Its scroll box is narrower than its content and the digest lies outside what it shows. */
  hiddenInBox: boolean
}

/** Where each digest (`.digest`) of the page is drawn. */
async function digestsOnScreen(page: Page): Promise<DigestBox[]> {
  // A string, not a function: the test's tsconfig has no DOM lib.
  return (await page.evaluate(`[...document.querySelectorAll('.digest')].map((el) => {
    const r = el.getBoundingClientRect()
    const box = el.closest('.scroll')
    const b = box ? box.getBoundingClientRect() : null
    return {
      text: el.textContent.trim(),
      left: r.left,
      right: r.right,
      width: r.width,
      viewport: document.documentElement.clientWidth,
      hiddenInBox: b !== null && (r.right > b.right + 0.5 || r.left < b.left - 0.5),
    }
  })`)) as DigestBox[]
}

async function provisionerView(): Promise<{ digest: string; pinned: boolean }> {
  const res = await fetch(`${server.url}/v1/templates/seo`)
  expect(res.status).toBe(200)
  return (await res.json()) as { digest: string; pinned: boolean }
}

describe.skipIf(!HAS_CHROMIUM)('admin UI in chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    gitea = await startFakeGitea({ tokens: [GITEA_TOKEN] })
    repo = gitea.addRepo(
      await createRepo({ owner: 'acme', name: 'agent-template-seo', files: FILES }),
    )
    const config = testConfig([{ name: 'seo', repo: repo.fullName, ref: 'main' }], {
      GITEA_BASE_URL: gitea.url,
      GITEA_TOKEN,
      ASSET_CACHE_WEBHOOK_SECRET: SECRET,
      ASSET_CACHE_ADMIN_TOKEN: ADMIN,
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
    })
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    server = await startServer(config, {
      logger: silentLogger,
      ...QUICK_RETRIES,
    })
    // The start-up reconcile brings the first commit in.
    const head = await repo.head()
    await until(() => versionOf(head)?.status === 'ready')
    first = { commit: head, digest: versionOf(head)!.digest! }
    const c2 = await pushAndDeliver(
      { 'prompts/system.md': 'You are very helpful.\n' },
      'delivery-2',
    )
    await until(() => versionOf(c2)?.status === 'ready')
    second = { commit: c2, digest: versionOf(c2)!.digest! }
    rejectedCommit = await pushAndDeliver({ 'config.yaml': '- just\n- a list\n' }, 'delivery-3')
    expect(versionOf(rejectedCommit)).toMatchObject({
      status: 'rejected',
      reasonCode: 'CONFIG_NOT_MAPPING',
    })
    await until(() => index().jobs.depth().queued + index().jobs.depth().running === 0)
    browser = await launching
  }, 45_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close(1_000)
    await gitea?.stop()
  })

  it('signs in, finds the rejected version, pins an older version and unpins it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    page.setDefaultTimeout(10_000)

    // Not signed in: the sign-in page.
    await page.goto(`${server.url}/admin`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    await page.fill('input[name="token"]', 'not-the-token')
    await page.click('button[type="submit"]')
    await page.getByText('That token is not valid.').waitFor()
    await page.fill('input[name="token"]', ADMIN)
    await page.click('button[type="submit"]')
    await page.waitForURL(`${server.url}/admin`)
    const cookies = await context.cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' })
    expect(cookies[0]!.value).not.toContain(ADMIN)

    // Overview: the template row, stale (serving the last good bundle; the newest is rejected).
    const row = page.locator('#templates tr[data-template="seo"]')
    await row.waitFor()
    expect(await row.locator('.pill').textContent()).toBe('stale')
    expect(await row.textContent()).toContain('CONFIG_NOT_MAPPING')
    expect(await row.locator(`code[title="${second.digest}"]`).count()).toBe(1)
    expect(await row.locator('.badge.pinned').count()).toBe(0)
    await shot(page, 'overview')

    // Template page: the rejected version with its reason code.
    await row.locator('a[href="/admin/templates/seo"]').click()
    await page.waitForURL(`${server.url}/admin/templates/seo`)
    const rejected = page.locator('#versions li.rejected')
    expect(await rejected.count()).toBe(1)
    expect(await rejected.locator('.reason').textContent()).toContain('CONFIG_NOT_MAPPING')
    expect(await rejected.textContent()).toContain('delivery-3')
    expect(await page.locator('#versions li').count()).toBe(3)
    expect(await page.locator('#files tbody tr').count()).toBe(4)

    // Pin the older ready version.
    const older = page.locator(`#versions li[data-digest="${first.digest}"]`)
    await older.getByRole('button', { name: 'Pin this version' }).click()
    await page.waitForURL(/\/admin\/templates\/seo\?done=pinned$/)
    await page.getByText('Pinned. Provisioners now get this version').waitFor()
    expect(await older.locator('.badge.pinned').count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Unpin' }).count()).toBe(1)
    await shot(page, 'template')
    expect(await provisionerView()).toMatchObject({ digest: first.digest, pinned: true })

    await page.click('nav a[href="/admin"]')
    await page.waitForURL(`${server.url}/admin`)
    expect(await row.locator('.badge.pinned').count()).toBe(1)
    expect(await row.locator(`code[title="${first.digest}"]`).count()).toBe(1)

    // Phone viewport: the same pages stay readable, and every digest in them is on screen (not
    // scrolled away inside a table box), not squeezed to nothing, with a readable prefix.
    await page.setViewportSize({ width: 390, height: 844 })
    await shot(page, 'overview-phone')
    // A string, not a function: the test's tsconfig has no DOM lib.
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number
    expect(overflow).toBeLessThanOrEqual(0)
    const overviewDigests = await digestsOnScreen(page)
    expect(overviewDigests.length).toBeGreaterThan(0)
    await page.goto(`${server.url}/admin/templates/seo`)
    await shot(page, 'template-phone')
    const templateDigests = await digestsOnScreen(page)
    // The served digest, each version's, and one sha256 per file of the served bundle.
    expect(templateDigests.length).toBeGreaterThanOrEqual(4 + 2)
    for (const d of [...overviewDigests, ...templateDigests]) {
      expect(d.text, JSON.stringify(d)).toMatch(/^(sha256:)?[0-9a-f]{12}/)
      expect(d.width, JSON.stringify(d)).toBeGreaterThan(40)
      expect(d.left, JSON.stringify(d)).toBeGreaterThanOrEqual(0)
      expect(d.right, JSON.stringify(d)).toBeLessThanOrEqual(d.viewport)
      expect(d.hiddenInBox, JSON.stringify(d)).toBe(false)
    }
    await page.setViewportSize({ width: 1280, height: 900 })

    // Unpin: provisioners get the current version again and the badge is gone.
    await page.getByRole('button', { name: 'Unpin' }).click()
    await page.waitForURL(/\/admin\/templates\/seo\?done=unpinned$/)
    expect(await provisionerView()).toMatchObject({ digest: second.digest, pinned: false })
    await page.goto(`${server.url}/admin`)
    expect(await row.locator('.badge.pinned').count()).toBe(0)

    // Queue page lists the deliveries.
    await page.click('nav a[href="/admin/queue"]')
    await page.waitForURL(`${server.url}/admin/queue`)
    expect(await page.textContent('main')).toContain('delivery-3')
    await shot(page, 'queue')

    // Store page: a GC dry run shows its report and removes nothing.
    await page.click('nav a[href="/admin/store"]')
    await page.getByRole('button', { name: 'GC dry run' }).click()
    await page.locator('#report').waitFor()
    expect(await page.textContent('#report')).toContain('Would free')
    expect(index().bundles.all()).toHaveLength(2)
    await shot(page, 'store')

    // Sign out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${server.url}/admin/login`)
    await page.goto(`${server.url}/admin`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    await context.close()
  }, 45_000)
})
