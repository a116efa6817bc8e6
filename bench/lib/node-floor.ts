// The node:http floor for a static answer: a bare server (child process, like the server under
// test) that answers every request with the same status, headers and bytes, doing nothing else.
// What no Node.js server can beat on this machine; the serve rows report ours against it too.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { terminate } from '../../test/support/server-process.js'

const FLOOR = `
const http = require('node:http')
const body = require('node:fs').readFileSync(process.argv[1])
const headers = JSON.parse(process.argv[2])
const server = http.createServer((req, res) => {
  res.writeHead(200, headers)
  res.end(body)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
`

/** Per-connection or per-request headers the floor leaves to node. */
const DROP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'x-request-id'])

export interface NodeFloor {
  url: string
  close(): Promise<void>
}

/** Copies the answer of GET `url` (with `headers`) into a bare node:http server. */
export async function startNodeFloor(
  url: string,
  headers: Record<string, string>,
  dir: string,
): Promise<NodeFloor> {
  const res = await request(url, { headers })
  if (res.statusCode !== 200) throw new Error(`node floor: GET ${url} answered ${res.statusCode}`)
  const body = Buffer.from(await res.body.arrayBuffer())
  const sent: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.headers)) {
    if (!DROP.has(name) && typeof value === 'string') sent[name] = value
  }
  const file = join(dir, `node-floor-${body.length}.bin`)
  await writeFile(file, body)
  const child: ChildProcess = spawn(process.execPath, ['-e', FLOOR, file, JSON.stringify(sent)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [port] = (await once(child.stdout!, 'data')) as [Buffer]
  return {
    url: `http://127.0.0.1:${port.toString().trim()}/`,
    close: async () => {
      await terminate(child)
    },
  }
}
