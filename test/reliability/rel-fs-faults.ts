// Preload (`node --import tsx --import ./rel-fs-faults.ts`) that makes the data directory fail
// like a full or read-only disk without touching src/: while the file named by REL_FS_FAULT_FILE
// exists, calls that write under REL_FS_FAULT_ROOT throw the errno the file holds (ENOSPC or
// EROFS). Covered: fs/promises open (for writing; read-only opens of a directory to fsync it are
// left alone, their sync() is not), FileHandle write/writev/writeFile/sync/datasync on handles
// opened under the root, link, rename, mkdir, writeFile, copyFile, and with EROFS also unlink/rm.
// The control file holds `<ENOSPC|EROFS> [all|store|link]`: `store` fails only writes and fsyncs
// of the store's temp files (<pid>.<token>.<random>: mid blob write, after validation spooled),
// `link` only the link() that publishes a blob. Every injected failure appends its syscall to
// `<control>.hits`. SQLite (native code in better-sqlite3) is out of reach: the tmpfs variant
// covers the index.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { resolve } from 'node:path'

const CONTROL = process.env.REL_FS_FAULT_FILE
const ROOT = process.env.REL_FS_FAULT_ROOT ? resolve(process.env.REL_FS_FAULT_ROOT) : null

type Scope = 'all' | 'store' | 'link'
type Code = 'ENOSPC' | 'EROFS'
const STORE_TEMP = /\/tmp\/\d+\.[0-9a-f]{12}\.[0-9a-f]{16}$/

function fault(): { code: Code; scope: Scope } | null {
  if (!CONTROL) return null
  try {
    const [code, scope] = fs.readFileSync(CONTROL, 'utf8').trim().split(/\s+/)
    return {
      code: code === 'EROFS' ? 'EROFS' : 'ENOSPC',
      scope: scope === 'store' || scope === 'link' ? scope : 'all',
    }
  } catch {
    return null
  }
}

/** The errno to throw for `op` on `path` now, or null. */
function active(op: string, path?: unknown): Code | null {
  const f = fault()
  if (!f) return null
  if (f.scope === 'all') return f.code
  if (f.scope === 'link') return op === 'link' ? f.code : null
  return (op === 'write' || op === 'writev' || op === 'sync' || op === 'datasync') &&
    STORE_TEMP.test(String(path))
    ? f.code
    : null
}

const under = (path: unknown) =>
  ROOT !== null &&
  (typeof path === 'string' || path instanceof URL) &&
  resolve(String(path instanceof URL ? path.pathname : path)).startsWith(ROOT)

function errnoError(code: 'ENOSPC' | 'EROFS', syscall: string, path?: unknown): Error {
  const message = code === 'ENOSPC' ? 'no space left on device' : 'read-only file system'
  const err = new Error(
    `${code}: ${message}, ${syscall}${path ? ` '${String(path)}'` : ''}`,
  ) as NodeJS.ErrnoException
  err.code = code
  err.errno = code === 'ENOSPC' ? -28 : -30
  err.syscall = syscall
  if (path) err.path = String(path)
  // Counted so the test can tell that the fault was actually hit.
  fs.appendFileSync(`${CONTROL}.hits`, `${syscall}\n`)
  return err
}

const tracked = new WeakMap<object, string>()
const writesFlags = (flags: unknown) =>
  typeof flags === 'string' ? /[wax+]/.test(flags) : typeof flags === 'number' && (flags & 3) !== 0

type AnyFn = (...args: unknown[]) => Promise<unknown>
const p = fsp as unknown as Record<string, AnyFn>

const originalOpen = p.open!
p.open = async function open(path: unknown, flags: unknown = 'r', ...rest: unknown[]) {
  const code = active('open', path)
  if (code && under(path) && writesFlags(flags)) throw errnoError(code, 'open', path)
  const handle = (await originalOpen.call(this, path, flags, ...rest)) as object
  if (under(path)) tracked.set(handle, String(path))
  return handle
}

for (const [name, syscall, erofsOnly] of [
  ['link', 'link', false],
  ['rename', 'rename', false],
  ['mkdir', 'mkdir', false],
  ['writeFile', 'open', false],
  ['appendFile', 'open', false],
  ['copyFile', 'copyfile', false],
  ['unlink', 'unlink', true],
  ['rm', 'rm', true],
] as const) {
  const original = p[name]!
  p[name] = async function (this: unknown, path: unknown, ...rest: unknown[]) {
    const code = active(name, path)
    const target = name === 'link' || name === 'rename' || name === 'copyFile' ? rest[0] : path
    if (code && (under(path) || under(target)) && (!erofsOnly || code === 'EROFS')) {
      // mkdir of a directory that exists does not write.
      if (!(name === 'mkdir' && fs.existsSync(String(path)))) throw errnoError(code, syscall, path)
    }
    return original.call(this, path, ...rest)
  }
}

// FileHandle methods live on its prototype; reach it through a handle of our own.
const probe = await originalOpen(process.execPath, 'r')
const proto = Object.getPrototypeOf(probe) as Record<string, AnyFn>
await (probe as unknown as { close(): Promise<void> }).close()
for (const name of ['write', 'writev', 'writeFile', 'appendFile', 'sync', 'datasync'] as const) {
  const original = proto[name]!
  proto[name] = async function (this: object, ...args: unknown[]) {
    const path = tracked.get(this)
    const code = path === undefined ? null : active(name, path)
    if (code) throw errnoError(code, name === 'sync' ? 'fsync' : name)
    return original.apply(this, args)
  }
}

syncBuiltinESMExports()
