// `tsx bench/profile.ts FILE.cpuprofile… [--top N]`: top self-time functions of CPU profiles.
import { renderSelfTime } from './lib/cpuprofile.js'

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt === -1 ? 25 : Number(args[topAt + 1])
const files = args.filter((_, i) => topAt === -1 || (i !== topAt && i !== topAt + 1))
for (const file of files) process.stdout.write(`${renderSelfTime(file, top)}\n\n`)
