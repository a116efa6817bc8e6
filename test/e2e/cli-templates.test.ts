// Which commands may change the tracked templates (only `serve` and `templates sync`), and `ls`
// writing nothing at all: child processes over a real data directory.
import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { openIndex } from '../../src/db/index.js'
import { startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { AS_UNPRIVILEGED, cli } from '../support/cli.js'

const entry = (name: string, repo = `acme/${name}`) => ({ name, repo, ref: 'main' })

/** A data dir whose index tracks `names` (closed again: no -wal or -shm left), and a manifest. */
function dataDir(names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-tpl-'))
  chmodSync(dir, 0o755)
  const data = join(dir, 'data')
  const index = openIndex(join(data, 'index.db'))
  const config = loadConfig({ ASSET_CACHE_DATA_DIR: data })
  index.templates.sync(
    names.map((n) => ({ ...entry(n), allow: ['config.yaml'], require: ['config.yaml'] })),
    { now: Date.now() },
  )
  index.templates.ensureLocal('hand', { allow: ['config.yaml'], require: [] }, Date.now())
  index.close()
  const manifest = (file: string, templates: ReturnType<typeof entry>[]) => {
    const path = join(dir, file)
    writeFileSync(path, JSON.stringify({ workspace_templates: templates }))
    return path
  }
  return { dir, data, config, manifest }
}

function tracked(data: string): string[] {
  const index = openIndex(join(data, 'index.db'))
  try {
    return index.templates.tracked().map((t) => t.name)
  } finally {
    index.close()
  }
}

/** Every file under `dir` with its size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else {
        const st = statSync(p)
        const hash = createHash('sha256').update(readFileSync(p)).digest('hex')
        out[p.slice(dir.length)] = `${st.size} ${st.mtimeMs} ${hash}`
      }
    }
  }
  walk(dir)
  return out
}

function readOnly(dir: string) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) readOnly(p)
    else chmodSync(p, 0o444)
  }
  chmodSync(dir, 0o555)
}

describe('ls writes nothing', () => {
  it('leaves every file of the data directory as it was, and reads a read-only one', async () => {
    const { data, manifest } = dataDir(['seo', 'docs'])
    const before = snapshot(data)
    const env = { ASSET_CACHE_DATA_DIR: data }
    const ls = await cli(['ls'], env)
    expect(ls.code).toBe(0)
    expect(ls.stdout).toMatch(/^seo\s/m)
    expect(ls.stdout).toMatch(/^hand\s/m)
    expect((await cli(['ls', 'seo', '--json'], env)).code).toBe(0)
    const dry = await cli(['templates', 'sync', '--dry-run'], {
      ...env,
      ASSET_CACHE_TEMPLATES: manifest('one.json', [entry('seo')]),
    })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/^removed\s+docs$/m)
    expect(snapshot(data)).toEqual(before)
    expect(tracked(data)).toEqual(['docs', 'seo'])

    // A user who may not write there (a backup, a read-only mount, another account).
    readOnly(data)
    const ro = await cli(['ls'], env, AS_UNPRIVILEGED)
    expect(ro.stderr).toBe('')
    expect(ro.code).toBe(0)
    expect(ro.stdout).toMatch(/^docs\s/m)
    expect(snapshot(data)).toEqual(before)
  }, 60_000)

  it('reads a data directory with no index as empty, creating nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-none-'))
    const r = await cli(['ls'], { ASSET_CACHE_DATA_DIR: join(dir, 'data') })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('ASSET_CACHE_DATA_DIR')
    expect(readdirSync(dir)).toEqual([])
  }, 30_000)
})

describe('asset-cache templates sync', () => {
  it('applies the manifest; an empty one removes nothing unless --allow-empty', async () => {
    const { data, manifest } = dataDir(['seo', 'docs'])
    const env = { ASSET_CACHE_DATA_DIR: data }

    const none = await cli(['templates', 'sync'], env)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('ASSET_CACHE_TEMPLATES')

    const next = manifest('next.json', [entry('seo'), entry('new')])
    const applied = await cli(['templates', 'sync'], { ...env, ASSET_CACHE_TEMPLATES: next })
    expect(applied.code).toBe(0)
    expect(applied.stdout).toMatch(/^added\s+new$/m)
    expect(applied.stdout).toMatch(/^removed\s+docs$/m)
    expect(tracked(data)).toEqual(['new', 'seo'])

    const empty = manifest('empty.json', [])
    const kept = await cli(['templates', 'sync'], { ...env, ASSET_CACHE_TEMPLATES: empty })
    expect(kept.code).toBe(0)
    expect(kept.stdout).toContain('--allow-empty')
    expect(tracked(data)).toEqual(['new', 'seo'])

    const all = await cli(['templates', 'sync', '--allow-empty'], {
      ...env,
      ASSET_CACHE_TEMPLATES: empty,
    })
    expect(all.code).toBe(0)
    expect(tracked(data)).toEqual([])
    // Hand-ingested templates are not the manifest's to remove.
    const index = openIndex(join(data, 'index.db'))
    expect(index.templates.get('hand')?.removedAt).toBeNull()
    index.close()
  }, 60_000)
})

describe('serve and the manifest', () => {
  it('keeps every tracked template when started with an empty manifest or none', async () => {
    const { data, manifest } = dataDir(['seo', 'docs'])
    for (const templates of [manifest('empty.json', []), undefined]) {
      const config = loadConfig({
        ASSET_CACHE_DATA_DIR: data,
        ASSET_CACHE_PORT: '0',
        ASSET_CACHE_FETCH: 'off',
        ...(templates ? { ASSET_CACHE_TEMPLATES: templates } : {}),
      })
      const server = await startServer(config, { logger: silentLogger })
      expect(server.runtime.index.templates.tracked().map((t) => t.name)).toEqual(['docs', 'seo'])
      const list = (await (await fetch(`${server.url}/v1/templates`)).json()) as { name: string }[]
      expect(list.map((t) => t.name)).toEqual(['docs', 'hand', 'seo'])
      await server.close(1_000)
    }
    // A manifest with templates is applied: the ones it lacks are removed.
    const config = loadConfig({
      ASSET_CACHE_DATA_DIR: data,
      ASSET_CACHE_PORT: '0',
      ASSET_CACHE_FETCH: 'off',
      ASSET_CACHE_TEMPLATES: manifest('seo.json', [entry('seo')]),
    })
    const server = await startServer(config, { logger: silentLogger })
    expect(server.runtime.index.templates.tracked().map((t) => t.name)).toEqual(['seo'])
    await server.close(1_000)
  }, 60_000)
})
