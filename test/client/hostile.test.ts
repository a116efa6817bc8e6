import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pull } from '../../src/client/index.js'
import { END, file, pax } from '../bundle/helpers/tar.js'
import { snapshot } from './snapshot.js'
import { bundleOf, digestOfBytes, publish, type RawEntry, rawTar, TOKEN } from './stub-server.js'
import { pullCli, stubSuite } from './stub-suite.js'

const GOOD = [
  { path: 'config.yaml', body: 'name: seo\n' },
  { path: 'prompts/a.md', body: 'A\n' },
]

const ctx = stubSuite('pull-hostile-', {
  // DIR already holds a pulled version and files of the agent's own.
  each: async ({ stub, dir }) => {
    publish(stub, 'seo', await bundleOf(GOOD))
    await pull(stub.url, 'seo', { into: dir, token: TOKEN })
    await writeFile(join(dir, 'MEMORY.md'), 'agent memory')
    await mkdir(join(dir, 'workspace'))
    await writeFile(join(dir, 'workspace/a'), 'agent work')
  },
})

async function expectRefused(code: string | RegExp): Promise<void> {
  const before = await snapshot(ctx.dir)
  let caught: (Error & { code?: string }) | undefined
  try {
    await pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN })
  } catch (err) {
    caught = err as Error & { code?: string }
  }
  expect(caught, 'the pull must fail').toBeDefined()
  expect(caught!.code).toMatch(code)
  expect(await snapshot(ctx.dir)).toEqual(before)
}

/** A hostile tar served under its true digest: only the entry rules can stop it. */
function serveRaw(entries: RawEntry[]): void {
  const good: RawEntry[] = [{ name: 'config.yaml', body: 'name: evil\n' }]
  publish(ctx.stub, 'seo', rawTar([...good, ...entries]))
}

/** Serves `entry` beside a good config.yaml, under its true digest; pull refuses it with `code`. */
async function expectEntryRefused(entry: RawEntry, code: string | RegExp): Promise<void> {
  serveRaw([entry])
  await expectRefused(code)
}

describe('lying server', () => {
  it('bytes that do not hash to the digest: EINTEGRITY', async () => {
    const real = await bundleOf([{ path: 'config.yaml', body: 'name: evil\n' }])
    const claimed = digestOfBytes(await bundleOf([{ path: 'config.yaml', body: 'other\n' }]))
    ctx.stub.templates.set('seo', { digest: claimed, commit: 'b'.repeat(40), tar: real })
    ctx.stub.bundles.set(claimed, real)
    await expectRefused('EINTEGRITY')
  })

  it('a truncated body: EBADSIZE', async () => {
    publish(ctx.stub, 'seo', await bundleOf([{ path: 'config.yaml', body: 'x'.repeat(5000) }]))
    ctx.stub.truncateAt = 2048
    await expectRefused('EBADSIZE')
  })

  for (const name of ['CLAUDE.md', 'claude.md', 'USER.md', '.claude/sessions/x', 'workspace/a']) {
    it(`an agent-owned file ${name}: AGENT_OWNED_PATH`, async () => {
      await expectEntryRefused({ name, body: 'pwned' }, 'AGENT_OWNED_PATH')
    })
  }

  it('an agent-owned name spelled with a letter that folds into it: AGENT_OWNED_PATH', async () => {
    await expectEntryRefused({ name: 'uſer.md', body: 'pwned' }, 'AGENT_OWNED_PATH')
    await expectEntryRefused({ name: 'workſpace/a', body: 'pwned' }, 'AGENT_OWNED_PATH')
  })

  it('a line separator under an agent-owned directory: PATH_BAD_CHARACTER', async () => {
    await expectEntryRefused({ name: 'workspace/a\u2028b', body: 'pwned' }, 'PATH_BAD_CHARACTER')
    await expectEntryRefused(
      { name: '.claude/sessions/s\u2029.json', body: 'pwned' },
      'PATH_BAD_CHARACTER',
    )
  })

  it('a traversal ../evil: PATH_TRAVERSAL', async () => {
    await expectEntryRefused({ name: '../evil', body: 'pwned' }, 'PATH_TRAVERSAL')
  })

  it('a traversal in the ustar name a pax path replaces: PATH_TRAVERSAL', async () => {
    // Under its true digest: only the entry rules, applied to every name an entry carries, stop it.
    const good = rawTar([{ name: 'config.yaml', body: 'name: evil\n' }])
    const shadowed = [pax([['path', 'prompts/a.md']]), file('../evil', 'pwned')]
    publish(ctx.stub, 'seo', Buffer.concat([good.subarray(0, -1024), ...shadowed, END]))
    await expectRefused('PATH_TRAVERSAL')
  })

  it('an absolute path: PATH_ABSOLUTE', async () => {
    await expectEntryRefused({ name: '/tmp/evil', body: 'pwned' }, 'PATH_ABSOLUTE')
  })

  it('a symlink entry: LINK_IN_ALLOWED_PATH', async () => {
    await expectEntryRefused(
      { name: 'prompts/link', type: '2', linkname: '/etc/passwd' },
      'LINK_IN_ALLOWED_PATH',
    )
  })

  it('a hard link or a device: refused', async () => {
    await expectEntryRefused(
      { name: 'prompts/hard', type: '1', linkname: 'config.yaml' },
      /LINK_IN_ALLOWED_PATH|ENTRY_TYPE_FORBIDDEN/,
    )
    await expectEntryRefused({ name: 'prompts/dev', type: '3' }, 'ENTRY_TYPE_FORBIDDEN')
  })

  it('a non-NFC name and a control character: refused', async () => {
    await expectEntryRefused({ name: 'prompts/cafe\u0301.md', body: 'x' }, 'PATH_NOT_NFC')
    await expectEntryRefused({ name: 'prompts/a\u0007.md', body: 'x' }, 'PATH_BAD_CHARACTER')
  })

  it("the client's own names, in any case: RESERVED_PATH", async () => {
    for (const name of ['.asset-cache.json', '.ASSET-CACHE.json', '.asset-cache-staging-x/a']) {
      await expectEntryRefused({ name, body: '{}' }, 'RESERVED_PATH')
    }
  })

  it('a symlinked directory inside DIR is never written through', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'pull-outside-'))
    try {
      await symlink(outside, join(ctx.dir, 'agent-skills'))
      publish(ctx.stub, 'seo', await bundleOf([...GOOD, { path: 'agent-skills/x.sh', body: 'x' }]))
      await expectRefused('UNSAFE_DESTINATION')
      expect(await snapshot(outside)).toEqual({})
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })
})

describe('CLI on a lying server', () => {
  // The stub runs in this process and keeps answering while the CLI runs.
  const cliAsync = (...args: string[]) =>
    pullCli(args, { ASSET_CACHE_SERVER: ctx.stub.url, ASSET_CACHE_TOKEN: TOKEN })

  it('pulls, then reports unchanged', async () => {
    const digest = publish(ctx.stub, 'seo', await bundleOf([{ path: 'config.yaml', body: 'v2\n' }]))
    const first = await cliAsync('seo', '--into', ctx.dir)
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    expect(first.stdout).toBe(
      `pulled ${digest} (1 files) into ${ctx.dir}; removed 1 file the previous version wrote\n`,
    )
    const second = await cliAsync('seo', '--into', ctx.dir)
    expect(second.status).toBe(0)
    expect(second.stdout).toBe(`unchanged ${digest}\n`)
  })

  it('an agent-owned entry: exit 1, one line, DIR untouched', async () => {
    serveRaw([{ name: 'CLAUDE.md', body: 'pwned' }])
    const before = await snapshot(ctx.dir)
    const r = await cliAsync('seo', '--into', ctx.dir)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^asset-cache pull: AGENT_OWNED_PATH: .*CLAUDE\.md.*\n$/)
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a digest mismatch: exit 1, one line, DIR untouched', async () => {
    const real = await bundleOf([{ path: 'config.yaml', body: 'evil\n' }])
    const claimed = `sha256:${'1'.repeat(64)}`
    ctx.stub.bundles.set(claimed, real)
    const before = await snapshot(ctx.dir)
    const r = await cliAsync(claimed, '--into', ctx.dir)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^asset-cache pull: EINTEGRITY: digest mismatch\n$/)
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a Content-Encoding nobody asked for: exit 1, one line, no crash after the failure', async () => {
    const next = await bundleOf([{ path: 'config.yaml', body: 'v2\n' }])
    publish(ctx.stub, 'seo', next)
    ctx.stub.lie = (req, res) => {
      if (!req.url!.startsWith('/v1/bundles/')) return false
      res.writeHead(200, { 'content-length': String(next.length), 'content-encoding': 'gzip' })
      res.end(next)
      return true
    }
    const before = await snapshot(ctx.dir)
    const r = await cliAsync('seo', '--into', ctx.dir)
    expect([r.status, r.stderr]).toEqual([
      1,
      expect.stringMatching(/^asset-cache pull: BAD_RESPONSE: .*Content-Encoding\n$/),
    ])
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a bundle trickled past --timeout: exit 1, PULL_TIMEOUT, DIR untouched', async () => {
    const next = await bundleOf([{ path: 'config.yaml', body: 'v2\n' }])
    publish(ctx.stub, 'seo', next)
    const timers: NodeJS.Timeout[] = []
    ctx.stub.lie = (req, res) => {
      if (!req.url!.startsWith('/v1/bundles/')) return false
      res.writeHead(200, { 'content-length': String(next.length) })
      let sent = 0
      timers.push(setInterval(() => res.write(next.subarray(sent, ++sent)), 20))
      return true
    }
    const before = await snapshot(ctx.dir)
    try {
      const r = await cliAsync('seo', '--into', ctx.dir, '--timeout', '500ms')
      expect([r.status, r.stderr]).toEqual([
        1,
        'asset-cache pull: PULL_TIMEOUT: pull did not finish within 500ms\n',
      ])
    } finally {
      for (const t of timers) clearInterval(t)
    }
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('401, 404, 503 and an unreachable server: exit 1 with a clear line', async () => {
    publish(ctx.stub, 'seo', await bundleOf(GOOD))
    const bad = await cliAsync('seo', '--into', ctx.dir, '--token', 'wrong')
    expect([bad.status, bad.stderr]).toEqual([
      1,
      expect.stringMatching(/^asset-cache pull: UNAUTHORIZED: .*401.*\n$/),
    ])
    const missing = await cliAsync('nope', '--into', ctx.dir)
    expect(missing.stderr).toMatch(/^asset-cache pull: TEMPLATE_NOT_FOUND: /)
    ctx.stub.templates.set('seo', 'not-ready')
    const notReady = await cliAsync('seo', '--into', ctx.dir)
    expect([notReady.status, notReady.stderr]).toEqual([
      1,
      expect.stringMatching(/NOT_READY: .*retry after 30s/),
    ])
    const down = await cliAsync('seo', '--into', ctx.dir, '--server', 'http://127.0.0.1:1')
    expect([down.status, down.stderr]).toEqual([
      1,
      expect.stringMatching(/SERVER_UNREACHABLE: cannot reach/),
    ])
  })
})
