// Byte counters between pipeline stages (a limit checked at the first byte over) and the total and
// idle deadlines of one read.
import { Transform, type TransformCallback } from 'node:stream'
import { type RejectCode, RejectError } from '../errors.js'
import type { BundleLimits } from './limits.js'

export interface ByteMeterOptions {
  limit: number
  code: RejectCode
  /** Bytes went through. */
  onData?: () => void
  /** The input ended. */
  onEnd?: () => void
}

export class ByteMeter extends Transform {
  bytes = 0
  readonly #options: ByteMeterOptions

  constructor(options: ByteMeterOptions) {
    super()
    this.#options = options
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback) {
    if (!(chunk instanceof Uint8Array)) {
      callback(new TypeError('archive stream must yield bytes'))
      return
    }
    const { limit, code, onData } = this.#options
    this.bytes += chunk.length
    if (this.bytes > limit) {
      callback(new RejectError(code, `more than ${limit} bytes`))
      return
    }
    onData?.()
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback) {
    this.#options.onEnd?.()
    callback()
  }
}

/** Raises TIMEOUT past the total time, or when the source sends nothing for the idle time. */
export class Deadlines {
  readonly #total: NodeJS.Timeout
  #idle: NodeJS.Timeout | null

  constructor(
    limits: Pick<BundleLimits, 'totalTimeoutMs' | 'idleTimeoutMs'>,
    onTimeout: (err: RejectError) => void,
  ) {
    this.#total = setTimeout(() => {
      onTimeout(new RejectError('TIMEOUT', `read took over ${limits.totalTimeoutMs} ms`))
    }, limits.totalTimeoutMs)
    this.#idle = setTimeout(() => {
      onTimeout(
        new RejectError('TIMEOUT', `no byte from the source for ${limits.idleTimeoutMs} ms`),
      )
    }, limits.idleTimeoutMs)
  }

  /** A byte arrived from the source. */
  touch() {
    this.#idle?.refresh()
  }

  /** The source ended: nothing more to wait for from it. */
  sourceEnded() {
    if (this.#idle) clearTimeout(this.#idle)
    this.#idle = null
  }

  clear() {
    this.sourceEnded()
    clearTimeout(this.#total)
  }
}
