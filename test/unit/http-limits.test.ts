// The connection limits and delivery retention read from the environment: defaults, units, and a
// headers timeout longer than the whole-request one refused with the field named.
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'

describe('connection limits and delivery retention in the environment', () => {
  it('has defaults that suit a cache', () => {
    const { http, deliveries } = loadConfig({}, '/srv')
    expect(http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
      bodyTimeoutMs: 10_000,
      maxConnections: 1024,
    })
    expect(deliveries).toEqual({ retentionMs: 30 * 86_400_000, maxRows: 100_000 })
  })

  it('reads durations and counts', () => {
    const { http, deliveries } = loadConfig(
      {
        ASSET_CACHE_HEADERS_TIMEOUT: '2s',
        ASSET_CACHE_REQUEST_TIMEOUT: '1m',
        ASSET_CACHE_IDLE_TIMEOUT: '500ms',
        ASSET_CACHE_MAX_CONNECTIONS: '64',
        ASSET_CACHE_DELIVERY_RETENTION: '7d',
        ASSET_CACHE_DELIVERY_MAX_ROWS: '5000',
      },
      '/srv',
    )
    expect(http).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 500,
      maxConnections: 64,
    })
    expect(deliveries).toEqual({ retentionMs: 7 * 86_400_000, maxRows: 5000 })
  })

  it.each([
    [
      { ASSET_CACHE_HEADERS_TIMEOUT: '1m', ASSET_CACHE_REQUEST_TIMEOUT: '30s' },
      'ASSET_CACHE_HEADERS_TIMEOUT',
    ],
    [{ ASSET_CACHE_IDLE_TIMEOUT: '0s' }, 'ASSET_CACHE_IDLE_TIMEOUT'],
    [{ ASSET_CACHE_MAX_CONNECTIONS: '0' }, 'ASSET_CACHE_MAX_CONNECTIONS'],
    [{ ASSET_CACHE_DELIVERY_RETENTION: 'forever' }, 'ASSET_CACHE_DELIVERY_RETENTION'],
    [{ ASSET_CACHE_DELIVERY_MAX_ROWS: '-1' }, 'ASSET_CACHE_DELIVERY_MAX_ROWS'],
  ])('refuses %o naming %s', (env, field) => {
    expect(() => loadConfig(env, '/srv')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(field) }),
    )
  })
})
