// End to end: a Gitea with `[repository] PREFIX_ARCHIVE_FILES=false` serves archives with no
// top-level directory. GITEA_ARCHIVE_PREFIX=false ingests them to the same digest a prefixed
// archive of the same files gives; left at its default, each is refused with a code that names
// Gitea's setting.
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { FakeGitea, GitRepo } from '../support/gitea/index.js'
import { BRIEF_FILES, type Stack, seoRepo, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'

let stack: Stack
let gitea: FakeGitea
let repo: GitRepo
let head = ''

beforeEach(async () => {
  stack = await startStack({
    repos: [seoRepo(BRIEF_FILES, 'Agent-Template-SEO')],
    tokens: { gitea: TOKEN },
    serve: false,
  })
  ;({ gitea, repo } = stack)
  head = await repo.head('main')
})

afterEach(async () => {
  await stack.stop()
})

/** A cache on its own data directory; resolves with its version of the head once settled. */
async function versionWith(env: Record<string, string>) {
  const { server } = await stack.serve({ env, fresh: true })
  const version = () => server!.runtime.index.versions.byCommit('seo', head)
  await until(() => version()?.status === 'ready' || version()?.status === 'rejected')
  return version()!
}

it('ingests unprefixed archives with GITEA_ARCHIVE_PREFIX=false, to the same digest', async () => {
  const prefixed = await versionWith({})
  expect(prefixed.status).toBe('ready')
  gitea.setPrefixArchiveFiles(false)
  const bare = await versionWith({ GITEA_ARCHIVE_PREFIX: 'false' })
  expect(bare.status).toBe('ready')
  expect(prefixed.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  expect(bare.digest).toBe(prefixed.digest)
})

it('refuses archives whose shape contradicts the setting, naming PREFIX_ARCHIVE_FILES', async () => {
  gitea.setPrefixArchiveFiles(false)
  const bare = await versionWith({})
  expect(bare).toMatchObject({ status: 'rejected', reasonCode: 'ARCHIVE_PREFIX_MISMATCH' })
  expect(bare.reasonDetail).toMatch(/PREFIX_ARCHIVE_FILES=false/)
  gitea.setPrefixArchiveFiles(true)
  const prefixed = await versionWith({ GITEA_ARCHIVE_PREFIX: 'false' })
  expect(prefixed).toMatchObject({ status: 'rejected', reasonCode: 'ARCHIVE_PREFIX_MISMATCH' })
  expect(prefixed.reasonDetail).toMatch(/PREFIX_ARCHIVE_FILES=true/)
})
