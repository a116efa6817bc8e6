// `pin`, `unpin`, `refresh` against a server that answers whatever the test says: the CLI reads a
// bounded answer and prints one line.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pinCommand, refreshCommand, unpinCommand } from '../../src/cli/admin.js'
import { capture } from './capture.js'

let server: Server
let url: string
let answer: (res: ServerResponse) => void

beforeAll(async () => {
  server = createServer((_req, res) => answer(res))
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})
beforeEach(() => {
  answer = (res) => res.end('{}')
})

const opts = () => ({ server: url, token: 'admin-token' })
const DIGEST = `sha256:${'a'.repeat(64)}`

describe('admin commands read a bounded answer', () => {
  it('an answer that never ends stops at 1 MiB: RESPONSE_TOO_LARGE, exit 1', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"digest":"${'x'.repeat(2 * 1024 * 1024)}`)
    }
    for (const run of [
      () => pinCommand('seo', DIGEST, opts()),
      () => unpinCommand('seo', opts()),
      () => refreshCommand('seo', opts()),
    ]) {
      const r = await capture(run)
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(/RESPONSE_TOO_LARGE/),
      })
    }
  })
})
