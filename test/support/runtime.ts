// Test fixtures: a real config (through loadConfig), a real data dir and SQLite file in a temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Config, loadConfig } from '../../src/config.js'
import { openRuntime, type Runtime } from '../../src/runtime.js'

export interface TemplateFixture {
  name: string
  repo: string
  ref?: string
  allow?: string[]
  require?: string[]
}

/** Writes a templates manifest (`ref` defaults to main) to `manifest`; returns its path. */
export function writeTemplates(manifest: string, templates: TemplateFixture[]): string {
  writeFileSync(
    manifest,
    JSON.stringify({ workspace_templates: templates.map((t) => ({ ref: 'main', ...t })) }),
  )
  return manifest
}

/** A fresh temp dir with a templates manifest, and the environment of a server over it. */
export function testEnv(
  templates: TemplateFixture[] = [],
  env: Record<string, string> = {},
): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-test-'))
  return {
    dir,
    env: {
      ASSET_CACHE_DATA_DIR: join(dir, 'data'),
      ASSET_CACHE_TEMPLATES: writeTemplates(join(dir, 'templates.json'), templates),
      ASSET_CACHE_PORT: '0',
      ASSET_CACHE_LOG_LEVEL: 'silent',
      ...env,
    },
  }
}

/** A config over a fresh temp data dir; `env` adds or overrides variables. */
export function testConfig(
  templates: TemplateFixture[] = [],
  env: Record<string, string> = {},
): Config {
  const test = testEnv(templates, env)
  return loadConfig(test.env, test.dir)
}

export async function testRuntime(
  templates: TemplateFixture[] = [],
  env: Record<string, string> = {},
): Promise<Runtime> {
  const rt = await openRuntime(testConfig(templates, env))
  rt.index.templates.sync(rt.config.templates, { now: rt.now() })
  return rt
}
