// ASSET_CACHE_PEERS: parsing (a list of base URLs, or one DNS name with a port), leaving this
// replica out, and a DNS name looked up on each use.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { isSelf, parsePeers, peerUrls } from '../../src/peers/peer-list.js'

describe('parsePeers', () => {
  it('takes base URLs, trailing slashes dropped, or one DNS name with a port', () => {
    expect(parsePeers('http://a:8080/, https://b.example/prefix')).toEqual({
      kind: 'urls',
      urls: [new URL('http://a:8080'), new URL('https://b.example/prefix')],
    })
    expect(parsePeers('asset-cache-headless:8080')).toEqual({
      kind: 'dns',
      name: 'asset-cache-headless',
      port: 8080,
      protocol: 'http:',
    })
  })

  it('refuses credentials, queries, other schemes, a DNS name without a port, an IP as a name', () => {
    for (const bad of [
      'http://user:pw@a:8080',
      'http://a:8080/?x=1',
      'http://a:8080/#f',
      'ftp://a',
      'asset-cache-headless',
      '10.0.0.1:8080',
      'name:0',
      'name:70000',
      ' , ',
      'a:1,b:2',
    ]) {
      expect('error' in parsePeers(bad), bad).toBe(true)
    }
  })

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const parsed = parsePeers(text)
        if ('error' in parsed) return typeof parsed.error === 'string'
        if (parsed.kind === 'urls') return parsed.urls.every((u) => /^https?:$/.test(u.protocol))
        return parsed.port >= 1 && parsed.port <= 65535
      }),
    )
  })

  it('a bad value stops start-up naming the variable', () => {
    expect(() => loadConfig({ ASSET_CACHE_PEERS: 'http://u:p@a:1' }, '/tmp')).toThrow(
      /ASSET_CACHE_PEERS/,
    )
    expect(loadConfig({}, '/tmp').peers).toBeNull()
  })
})

describe('peerUrls', () => {
  it('leaves out this replica: one of its addresses with its own port', async () => {
    const spec = parsePeers('http://127.0.0.1:8080,http://localhost:8081,http://10.9.9.9:8080')
    if ('error' in spec) throw new Error(spec.error)
    const urls = await peerUrls(spec, 8080)
    expect(urls.map((u) => u.href)).toEqual(['http://localhost:8081/', 'http://10.9.9.9:8080/'])
    expect(isSelf(new URL('http://[::1]:8080'), 8080)).toBe(true)
    expect(isSelf(new URL('http://[::1]:8081'), 8080)).toBe(false)
  })

  it('looks a DNS name up on each use, every address a peer, none when it does not resolve', async () => {
    const spec = parsePeers('peers.example:8080')
    if ('error' in spec) throw new Error(spec.error)
    let answer = ['10.1.0.1', '10.1.0.2', '127.0.0.1', 'fd00::5']
    const lookup = async () => answer
    expect((await peerUrls(spec, 8080, lookup)).map((u) => u.href)).toEqual([
      'http://10.1.0.1:8080/',
      'http://10.1.0.2:8080/',
      'http://[fd00::5]:8080/',
    ])
    answer = ['10.1.0.3']
    expect((await peerUrls(spec, 8080, lookup)).map((u) => u.href)).toEqual([
      'http://10.1.0.3:8080/',
    ])
    const failing = async () => {
      throw new Error('ENOTFOUND')
    }
    expect(await peerUrls(spec, 8080, failing)).toEqual([])
  })
})
