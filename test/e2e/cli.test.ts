// The CLI as a user runs it: a child process over a real data dir and a real `git archive`.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openIndex } from '../../src/db/index.js'
import { createRepo } from '../support/gitea/index.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = join(ROOT, 'src/main.ts')

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

async function archiveOf(files: Parameters<typeof createRepo>[0]['files']) {
  const repo = await createRepo({ owner: 'acme', name: 'Template', files })
  const file = join(mkdtempSync(join(tmpdir(), 'asset-cache-cli-')), 'archive.tar.gz')
  await repo.git('archive', '--format=tar.gz', '--prefix=template/', '-o', file, 'HEAD')
  return { file, commit: await repo.head() }
}

const GOOD = {
  'config.yaml': 'name: seo\n',
  'prompts/a.md': 'hello\n',
  'agent-skills/x/run.sh': { content: '#!/bin/sh\n', mode: 0o755 as const },
  Dockerfile: 'FROM scratch\n',
}

describe('asset-cache CLI', () => {
  it('ingests a git archive, prints its digest, lists and verifies it', async () => {
    const env = { ASSET_CACHE_DATA_DIR: mkdtempSync(join(tmpdir(), 'asset-cache-data-')) }
    const { file, commit } = await archiveOf(GOOD)
    const ingest = cli(
      ['ingest', file, '--template', 'seo', '--untracked', '--commit', commit],
      env,
    )
    expect(ingest.stderr).toContain('ready')
    expect(ingest.code).toBe(0)
    const digest = ingest.stdout.trim()
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)

    const again = cli(['ingest', file, '--template', 'seo', '--untracked'], env)
    expect(again.stdout.trim()).toBe(digest)
    expect(again.stderr).toContain('digest reused')

    const ls = cli(['ls'], env)
    expect(ls.code).toBe(0)
    expect(ls.stdout).toContain('seo')
    expect(ls.stdout).toContain(digest.slice(0, 19))
    const history = cli(['ls', 'seo'], env)
    expect(history.stdout).toContain(commit.slice(0, 10))
    expect(history.stdout).toContain('ready')

    const verify = cli(['verify'], env)
    expect(verify.stdout).toContain('0 corrupt')
    expect(verify.code).toBe(0)
  })

  it('prints the rejection with its code and exits 1, keeping the current version', async () => {
    const env = { ASSET_CACHE_DATA_DIR: mkdtempSync(join(tmpdir(), 'asset-cache-data-')) }
    const good = await archiveOf(GOOD)
    expect(cli(['ingest', good.file, '--template', 'seo', '--untracked'], env).code).toBe(0)
    const bad = await archiveOf({ ...GOOD, 'prompts/link.md': { symlink: '../Dockerfile' } })
    const r = cli(['ingest', bad.file, '--template', 'seo', '--untracked'], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('LINK_IN_ALLOWED_PATH')
    expect(r.stderr).toContain('prompts/link.md')
    const mismatch = cli(
      ['ingest', good.file, '--template', 'seo', '--untracked', '--commit', 'f'.repeat(40)],
      env,
    )
    expect(mismatch.code).toBe(1)
    expect(mismatch.stderr).toContain('COMMIT_MISMATCH')
    const index = openIndex(join(env.ASSET_CACHE_DATA_DIR, 'index.db'))
    const t = index.templates.get('seo')!
    expect(index.versions.get(t.currentVersionId!)?.commit).toBe(good.commit)
    expect(index.versions.byCommit('seo', 'f'.repeat(40))).toMatchObject({
      status: 'rejected',
      reasonCode: 'COMMIT_MISMATCH',
    })
    // Without --commit the version has none: found by its reason.
    expect(index.versions.list('seo')).toContainEqual(
      expect.objectContaining({
        reasonCode: 'LINK_IN_ALLOWED_PATH',
        reasonEntry: 'prompts/link.md',
      }),
    )
    index.close()
    const history = cli(['ls', 'seo'], env)
    expect(history.stdout).toMatch(/LINK_IN_ALLOWED_PATH: .*\(entry: prompts\/link\.md\)/)
  })

  it('shows a hostile entry name escaped, never as terminal control', async () => {
    const env = { ASSET_CACHE_DATA_DIR: mkdtempSync(join(tmpdir(), 'asset-cache-data-')) }
    const bad = await archiveOf({ ...GOOD, 'prompts/\u001b[2J\u001b]0;pwned\u0007x\u2028.md': 'x' })
    const r = cli(['ingest', bad.file, '--template', 'seo', '--untracked'], env)
    expect(r.code).toBe(1)
    const shown = 'template/prompts/\\u{1B}[2J\\u{1B}]0;pwned\\u{7}x\\u{2028}.md'
    expect(r.stderr).toContain(`PATH_BAD_CHARACTER: entry path refused (entry: ${shown})`)
    const history = cli(['ls', 'seo'], env)
    expect(history.stdout).toContain(`PATH_BAD_CHARACTER: entry path refused (entry: ${shown})`)
    for (const out of [r.stderr, history.stdout])
      expect(out).not.toMatch(/[\u0000-\u0009\u001b\u2028]/)
  })

  it('refuses to ingest into a name the manifest does not track, listing the tracked ones', async () => {
    const data = mkdtempSync(join(tmpdir(), 'asset-cache-data-'))
    const index = openIndex(join(data, 'index.db'))
    index.templates.sync(
      ['seo-agent', 'docs-agent'].map((name) => ({
        name,
        repo: `acme/${name}`,
        ref: 'main',
        allow: ['config.yaml', 'prompts/**'],
        require: ['config.yaml'],
      })),
      { now: Date.now() },
    )
    index.close()
    const env = { ASSET_CACHE_DATA_DIR: data }
    const { file } = await archiveOf(GOOD)
    const typo = cli(['ingest', file, '--template', 'seo-agnet'], env)
    expect(typo.code).toBe(2)
    expect(typo.stderr).toMatch(/^asset-cache: UNTRACKED_TEMPLATE: .*seo-agnet.*/m)
    expect(typo.stderr).toContain('docs-agent, seo-agent')
    expect(typo.stderr).toContain('--untracked')
    expect(typo.stderr.trim().split('\n')).toHaveLength(1)
    // Named by a manifest that serve has not applied yet: says how to apply it.
    const manifest = join(data, 'next.json')
    writeFileSync(
      manifest,
      JSON.stringify({ workspace_templates: [{ name: 'new-agent', repo: 'acme/new' }] }),
    )
    const pending = cli(['ingest', file, '--template', 'new-agent'], {
      ...env,
      ASSET_CACHE_TEMPLATES: manifest,
    })
    expect(pending.code).toBe(2)
    expect(pending.stderr).toContain('templates sync')
    const badName = cli(['ingest', file, '--template', 'Not A Name', '--untracked'], env)
    expect(badName.code).toBe(2)
    expect(badName.stderr).toContain('INVALID_ARGUMENT')
    // Into a tracked name, no flag needed; nothing else was created.
    expect(cli(['ingest', file, '--template', 'seo-agent'], env).code).toBe(0)
    const after = openIndex(join(data, 'index.db'))
    expect(after.templates.all().map((t) => t.name)).toEqual(['docs-agent', 'seo-agent'])
    after.close()
  })

  it('forgets an untracked template and refuses a tracked one', async () => {
    const data = mkdtempSync(join(tmpdir(), 'asset-cache-data-'))
    const index = openIndex(join(data, 'index.db'))
    index.templates.sync(
      [{ name: 'seo', repo: 'acme/seo', ref: 'main', allow: ['config.yaml'], require: [] }],
      { now: Date.now() },
    )
    index.close()
    const env = { ASSET_CACHE_DATA_DIR: data }
    const { file } = await archiveOf(GOOD)
    expect(cli(['ingest', file, '--template', 'hand', '--untracked'], env).code).toBe(0)
    const ls = cli(['ls'], env)
    expect(ls.stdout).toMatch(/^hand \(untracked\)\s/m)
    const tracked = cli(['forget', 'seo'], env)
    expect(tracked.code).toBe(1)
    expect(tracked.stderr).toMatch(/^asset-cache forget: TEMPLATE_TRACKED: /)
    const unknown = cli(['forget', 'nope'], env)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('UNKNOWN_TEMPLATE')
    const forgot = cli(['forget', 'hand'], env)
    expect(forgot.code).toBe(0)
    expect(forgot.stdout).toContain('forgot hand: 1 version(s)')
    const after = openIndex(join(data, 'index.db'))
    expect(after.templates.all().map((t) => t.name)).toEqual(['seo'])
    after.close()
  })

  it('stops on a bad configuration with a message naming the field, exit 2', () => {
    const r = cli(['ls'], { ASSET_CACHE_PORT: 'eighty' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ASSET_CACHE_PORT')
  })

  it('refuses to serve with a placeholder admin token: exit 2, the variable named, never the token', () => {
    const data = mkdtempSync(join(tmpdir(), 'asset-cache-data-'))
    const r = cli(['serve'], {
      ASSET_CACHE_DATA_DIR: data,
      ASSET_CACHE_PORT: '0',
      ASSET_CACHE_ADMIN_TOKEN: 'REPLACE_WITH_ADMIN_TOKEN',
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ASSET_CACHE_ADMIN_TOKEN')
    expect(r.stderr).toContain('openssl rand -hex 32')
    expect(r.stderr).not.toContain('REPLACE_WITH')
    expect(readdirSync(data)).toEqual([])
  })

  it('has --help on every command', () => {
    for (const command of ['serve', 'ingest', 'ls', 'verify', 'migrate']) {
      const r = cli([command, '--help'], {})
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Usage: asset-cache ${command}`)
    }
  })

  it('leaves no blob and no index row when killed in the middle of an ingest', async () => {
    const data = mkdtempSync(join(tmpdir(), 'asset-cache-data-'))
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-fifo-'))
    const { file } = await archiveOf({
      ...GOOD,
      'prompts/big.md': randomBytes(2 * 1024 * 1024).toString('base64'),
    })
    const fifo = join(dir, 'archive.tar.gz')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'ingest', fifo, '--template', 'seo', '--untracked'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ASSET_CACHE_DATA_DIR: data },
        stdio: 'ignore',
      },
    )
    const exited = new Promise((r) => child.once('exit', r))
    // Feed half the archive, then kill the process while it waits for the rest.
    const bytes = readFileSync(file)
    const fd = openSync(fifo, 'w')
    writeSync(fd, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGKILL')
    await exited
    try {
      closeSync(fd)
    } catch {}
    const blobs = join(data, 'blobs', 'sha256')
    const listAll = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? listAll(join(d, e.name)) : [e.name],
      )
    expect(listAll(blobs)).toEqual([])
    const index = openIndex(join(data, 'index.db'))
    expect(index.versions.list('seo')).toEqual([])
    expect(index.bundles.all()).toEqual([])
    index.close()
  })
})
