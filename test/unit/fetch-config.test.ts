// ASSET_CACHE_FETCH: on (default) | off. Off means no Gitea client, whatever GITEA_* say.
import { describe, expect, it } from 'vitest'
import { ENV_VARS, loadConfig } from '../../src/config.js'
import { AppError } from '../../src/errors.js'

const GITEA = { GITEA_BASE_URL: 'https://git.example.com', GITEA_TOKEN: 'tok' }

describe('ASSET_CACHE_FETCH', () => {
  it('defaults to on: Gitea configured when both variables are set', () => {
    const c = loadConfig(GITEA, '/tmp')
    expect(c.fetchEnabled).toBe(true)
    expect(c.gitea?.baseUrl.href).toBe('https://git.example.com/')
    expect(c.fetchOff).toBeNull()
  })

  it('on without Gitea variables: fetching is off and the reason names what is missing', () => {
    const c = loadConfig({ ASSET_CACHE_FETCH: 'on', GITEA_TOKEN: 'tok' }, '/tmp')
    expect(c.fetchEnabled).toBe(true)
    expect(c.gitea).toBeNull()
    expect(c.fetchOff).toBe('fetching is off: GITEA_BASE_URL not set')
  })

  it('off: no Gitea config even with GITEA_* set, and the reason says it was asked for', () => {
    const c = loadConfig({ ...GITEA, ASSET_CACHE_FETCH: 'off' }, '/tmp')
    expect(c.fetchEnabled).toBe(false)
    expect(c.gitea).toBeNull()
    expect(c.fetchOff).toBe('fetching is off: ASSET_CACHE_FETCH=off')
  })

  it('refuses anything else, naming the variable', () => {
    for (const value of ['yes', 'OFF', 'false']) {
      let caught: unknown
      try {
        loadConfig({ ASSET_CACHE_FETCH: value }, '/tmp')
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(AppError)
      expect((caught as AppError).code).toBe('CONFIG_INVALID')
      expect((caught as AppError).message).toMatch(/ASSET_CACHE_FETCH/)
    }
  })

  it('is listed among the variables the service reads', () => {
    expect(ENV_VARS).toContain('ASSET_CACHE_FETCH')
  })
})
