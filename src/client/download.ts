// `GET /v1/bundles/{digest}`: the bundle's bytes, hashed and counted while they stream. Nothing
// the server says is trusted: the body must hash to the digest we asked for and be exactly as long
// as Content-Length (and as the size resolve reported, when given).
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { digestHex } from '../digest.js'
import { IntegrityError } from '../errors.js'
import { ClientError } from './errors.js'
import {
  discard,
  endpoint,
  failOnStatus,
  get,
  type RequestOptions,
  transportError,
} from './http.js'

export interface DownloadOptions extends Omit<RequestOptions, 'headers'> {
  /** The size the caller expects (from resolve); a different Content-Length fails at once. */
  size?: number | undefined
  /** Called as bytes arrive, with the total when known. */
  onProgress?: ((received: number, total: number | undefined) => void) | undefined
}

export interface Download {
  /** The verified bytes: errors with EINTEGRITY/EBADSIZE at its end when they are not the bundle. */
  body: Transform
  /** Content-Length, when the server sent one. */
  size: number | undefined
}

/**
 * A stream that passes bytes through, hashing and counting them; it fails before ending (so no
 * consumer ever sees a clean end) when they do not hash to `digest` or are not `size` long.
 */
export function verifyingStream(digest: string, size?: number): Transform {
  const hex = digestHex(digest)
  if (hex === null) throw new ClientError('INVALID_TARGET', `invalid digest ${digest}`)
  const hash = createHash('sha256')
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length
      if (size !== undefined && seen > size) return done(new IntegrityError('EBADSIZE', size, seen))
      hash.update(chunk)
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      if (size !== undefined && seen !== size)
        return done(new IntegrityError('EBADSIZE', size, seen))
      const found = hash.digest('hex')
      if (found !== hex) return done(new IntegrityError('EINTEGRITY', digest, `sha256:${found}`))
      done()
    },
  })
}

/**
 * Starts downloading the bundle `digest` from `server`.
 *
 * @returns the body as a verifying stream: consume it to its end (materialize does) and treat the
 *   content as good only if it ends without error.
 * @throws ClientError (`BUNDLE_NOT_FOUND`, `UNAUTHORIZED`, `BAD_RESPONSE`, ...) before any byte;
 *   the stream then errors with IntegrityError on a digest or size mismatch, or ClientError on a
 *   transport failure (a truncated body).
 */
export async function download(
  server: string,
  digest: string,
  options: DownloadOptions = {},
): Promise<Download> {
  if (digestHex(digest) === null) {
    throw new ClientError('INVALID_TARGET', `invalid digest ${JSON.stringify(digest)}`)
  }
  // Always our own URL for the digest, never the server's bundleUrl: the token stays on `server`.
  const url = endpoint(server, `/v1/bundles/${digest}`)
  const res = await get(url, { ...options, headers: { accept: 'application/x-tar' } })
  await failOnStatus(res, url, 'BUNDLE_NOT_FOUND')
  const fail = (message: string) => {
    discard(res)
    return new ClientError('BAD_RESPONSE', `${url.href}: ${message}`)
  }
  if (res.statusCode !== 200) throw fail(`status ${res.statusCode}`)
  if (res.headers['content-encoding'] !== undefined) throw fail('unexpected Content-Encoding')
  const lengthHeader = res.headers['content-length']
  let length: number | undefined
  if (typeof lengthHeader === 'string') {
    length = /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : Number.NaN
    if (!Number.isSafeInteger(length)) throw fail(`bad Content-Length ${lengthHeader}`)
    if (options.size !== undefined && length !== options.size) {
      discard(res)
      throw new IntegrityError('EBADSIZE', options.size, length)
    }
  }
  const expected = length ?? options.size
  const body = verifyingStream(digest, expected)
  // Until the caller attaches its own listener (pipeline, for await), an error must not be
  // uncaught: the caller still sees it, as an error or as a stream that never ends cleanly.
  body.on('error', () => undefined)
  let received = 0
  res.body.on('data', (chunk: Buffer) => {
    received += chunk.length
    options.onProgress?.(received, expected)
  })
  // A body cut short is a size mismatch whatever undici calls it; anything else is transport
  // (or the caller's abort: the signal's reason).
  res.body.on('error', (err) => {
    const short = expected !== undefined && received < expected && !options.signal?.aborted
    body.destroy(
      short
        ? new IntegrityError('EBADSIZE', expected, received)
        : (transportError(err, url, options.signal) as Error),
    )
  })
  body.on('close', () => {
    if (!res.body.destroyed) res.body.destroy()
  })
  res.body.pipe(body)
  return { body, size: expected }
}
