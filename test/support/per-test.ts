// A value that lives for one test: opened before each test of the file, closed after it, and
// reached through a getter (or a live view) that throws outside a test.
import { afterEach, beforeEach } from 'vitest'

/** Registers the hooks; the answer returns the running test's value. */
export function perTest<T>(open: () => Promise<T>, close: (value: T) => unknown): () => T {
  let current: { value: T } | null = null
  beforeEach(async () => {
    current = { value: await open() }
  })
  afterEach(async () => {
    const done = current
    current = null
    if (done) await close(done.value)
  })
  return () => {
    if (!current) throw new Error('this value exists only while a test runs')
    return current.value
  }
}

/** A view whose every property read goes to the object `get()` answers at that moment. */
export function live<T extends object>(get: () => T): T {
  return new Proxy({} as T, { get: (_target, key) => Reflect.get(get(), key) })
}
