// Memory does not grow with the archive: archives of 15 and 120 MiB (unpacked) are canonicalized
// in child processes, and the larger one raises peak RSS by far less than the extra bytes.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { createGzip } from 'node:zlib'
import tar from 'tar-stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { tempDir } from './helpers/run.js'

const MIB = 1024 * 1024
const FILE_BYTES = 15 * MIB // under the 16 MiB per-file limit
/** Kept files in the small and the large archive: 15 MiB and 120 MiB unpacked. */
const SMALL = 1
const LARGE = 8

let dir: string
const archives: Record<number, string> = {}

/**
 * Writes the archive without holding it in memory. Each 4 KiB block is 700 random bytes and
 * zeros, so it compresses to about 10 MiB: poorly enough to be realistic, under the wire limit.
 */
async function writeArchive(path: string, files: number) {
  const pack = tar.pack()
  const written = pipeline(pack, createGzip({ level: 1 }), createWriteStream(path))
  pack.entry({ name: 'tpl/', type: 'directory' })
  pack.entry({ name: 'tpl/config.yaml' }, 'name: big\n')
  for (let f = 0; f < files; f++) {
    const sink = pack.entry({ name: `tpl/prompts/big-${f}.bin`, size: FILE_BYTES })
    for (let at = 0; at < FILE_BYTES; at += 64 * 1024) {
      const chunk = Buffer.alloc(64 * 1024)
      for (let b = 0; b < chunk.length; b += 4096) randomBytes(700).copy(chunk, b)
      if (!sink.write(chunk))
        await new Promise<void>((resolve) => sink.once('drain', () => resolve()))
    }
    await new Promise((resolve) => sink.end(resolve))
  }
  pack.finalize()
  await written
}

beforeAll(async () => {
  dir = await tempDir('bundle-memory-')
  for (const files of [SMALL, LARGE]) {
    archives[files] = join(dir, `${files}.tar.gz`)
    await writeArchive(archives[files], files)
  }
}, 120_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

interface Report {
  before: number
  peak: number
  unpackedBytes: number
  compressedBytes: number
  files: number
}

/** Peak RSS growth of a child that canonicalizes the archive with `files` kept files. */
async function growth(files: number, gc: boolean): Promise<number> {
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url))
  const flags = gc ? ['--expose-gc'] : []
  const args = [...flags, '--import', 'tsx', child, archives[files] as string, dir]
  const proc = spawn(process.execPath, [...args, gc ? 'gc' : 'natural'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const code = await new Promise((resolve) => proc.on('close', resolve))
  expect(code).toBe(0)
  const report = JSON.parse(out) as Report
  expect(report.files).toBe(files + 1)
  expect(report.unpackedBytes).toBeGreaterThan(files * FILE_BYTES)
  const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`
  console.log(
    `memory (${gc ? 'GC every 50 ms' : 'natural GC'}): unpacked ${mib(report.unpackedBytes)}, ` +
      `compressed ${mib(report.compressedBytes)}, peak RSS ${mib(report.peak)} ` +
      `(+${mib(report.peak - report.before)} over ${mib(report.before)})`,
  )
  return report.peak - report.before
}

// Absolute RSS figures vary from machine to machine (allocator arenas, V8's lazy collection), so
// the tests compare two archives in the same run: growing the archive by 105 MiB must add far less
// than that to the peak. Holding the kept files (or the archive) in memory would add all of it.
const EXTRA = (LARGE - SMALL) * FILE_BYTES

it('canonicalizes an archive 8x larger without peak RSS growing with it', async () => {
  const small = await growth(SMALL, false)
  const large = await growth(LARGE, false)
  expect(large - small).toBeLessThan(EXTRA / 2)
}, 120_000)

it('holds far less than the archive while it reads it (GC forced, peak RSS = live memory)', async () => {
  const small = await growth(SMALL, true)
  const large = await growth(LARGE, true)
  expect(large - small).toBeLessThan(EXTRA / 4)
}, 120_000)
