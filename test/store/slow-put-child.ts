// Child process for crash.test.ts: starts a large, slow put and says "ready" once bytes are on disk.
// It never finishes on its own; the test SIGKILLs it mid-write.
import { setTimeout as sleep } from 'node:timers/promises'
import { ContentStore } from '../../src/store/index.js'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: slow-put-child.ts <store dir>')
const store = await ContentStore.open(dir)

const CHUNK = 64 * 1024
const CHUNKS = 1024 // 64 MiB if it ever ran to the end

async function* slowSource(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < CHUNKS; i++) {
    // The consumer pulls chunk i only after chunk i-1 is written, so by now some bytes are on disk.
    if (i === 4) process.stdout.write('ready\n')
    if (i >= 4) await sleep(20)
    yield Buffer.alloc(CHUNK, i % 256)
  }
}

await store.put(slowSource())
process.stdout.write('finished\n')
