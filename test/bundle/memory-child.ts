// Child process for memory.test.ts: canonicalizes the archive at argv[2] (spooling in argv[3]),
// streams the canonical tar once, and prints RSS figures as JSON. Run with `node --import tsx`;
// with `--expose-gc` and argv[4] = 'gc' it collects every 50 ms, so that peak RSS shows what the
// pipeline holds rather than the garbage V8 lets pile up before it collects. The wire and unpacked
// limits are raised so that archives larger than the defaults allow can show how memory scales.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { canonicalize } from '../../src/bundle/index.js'

const MIB = 1024 * 1024
const [archivePath, spoolDir, mode] = process.argv.slice(2) as [string, string, string?]
const maxRss = () => process.resourceUsage().maxRSS * 1024
const gc = (globalThis as { gc?: () => void }).gc
if (mode === 'gc' && gc) setInterval(gc, 50).unref()

const before = maxRss()
const limits = { maxCompressedBytes: 256 * MIB, maxUnpackedBytes: 1024 * MIB }
const bundle = await canonicalize(createReadStream(archivePath), { spoolDir, limits })
const hash = createHash('sha256')
for await (const chunk of bundle.stream()) hash.update(chunk as Buffer)
await bundle.dispose()

process.stdout.write(
  JSON.stringify({
    before,
    peak: maxRss(),
    unpackedBytes: bundle.unpackedBytes,
    compressedBytes: bundle.compressedBytes,
    files: bundle.files.length,
  }),
)
