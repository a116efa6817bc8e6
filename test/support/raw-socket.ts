// A raw TCP client for tests that play a misbehaving HTTP client: trickle headers or a body, stop
// reading, hang up half way. Everything the server sends is kept; `closed` resolves when the
// connection is gone, whoever closed it.
import { connect, type Socket } from 'node:net'

export interface RawClient {
  socket: Socket
  /** Bytes received so far. */
  received(): Buffer
  /** Resolves once the connection is closed (by either side). */
  closed: Promise<void>
  /** Writes `text` a piece at a time, `everyMs` apart, until it is all sent or the connection closes. */
  trickle(text: string, everyMs: number, piece?: number): Promise<void>
}

/** Connects to the host and port of `url`; `read: false` leaves the socket paused (never reads). */
export async function rawClient(url: string, options: { read?: boolean } = {}): Promise<RawClient> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  // Errors (a reset, a write after the server closed) end the connection like any close.
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    closed.then(() => reject(new Error('closed before it connected')))
  })
  if (options.read === false) socket.pause()
  else socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  let open = true
  void closed.then(() => {
    open = false
  })
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed,
    async trickle(text, everyMs, piece = 1) {
      for (let at = 0; at < text.length && open; at += piece) {
        socket.write(text.slice(at, at + piece))
        await new Promise((r) => setTimeout(r, everyMs))
      }
    },
  }
}

/** The status code of the first response in `bytes`, or null when none arrived. */
export function statusOf(bytes: Buffer): number | null {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(bytes.toString('latin1'))
  return m ? Number(m[1]) : null
}

/** The body of the first response in `bytes` (after the blank line). */
export function bodyOf(bytes: Buffer): string {
  const text = bytes.toString('utf8')
  const at = text.indexOf('\r\n\r\n')
  return at === -1 ? '' : text.slice(at + 4)
}
