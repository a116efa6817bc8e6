// Mapping filesystem and SQLite failures to DATA_DIR_UNUSABLE. A read-only filesystem (EROFS)
// cannot be mounted by the tests; its errno is injected here (test/e2e/cli-errors.test.ts causes
// the others for real).
import { describe, expect, it } from 'vitest'
import { dataDirError } from '../../src/data-dir.js'
import { AppError } from '../../src/errors.js'

const errno = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: something`), { code, ...(path ? { path } : {}) })

describe('dataDirError', () => {
  it.each([
    ['EROFS', 'read-only'],
    ['ENOTDIR', 'not a directory'],
    ['EACCES', 'permission denied'],
    ['EPERM', 'not permitted'],
    ['ENOSPC', 'no space'],
    ['SQLITE_READONLY_DIRECTORY', 'read-only'],
    ['SQLITE_CANTOPEN', 'cannot open'],
    ['SQLITE_NOTADB', 'not a SQLite database'],
    ['SQLITE_IOERR_WRITE', 'I/O error'],
  ])('%s → DATA_DIR_UNUSABLE naming the setting and the path', (code, reason) => {
    const err = dataDirError('/srv/data', errno(code, '/srv/data/blobs')) as AppError
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('DATA_DIR_UNUSABLE')
    expect(err.message).toMatch(/^ASSET_CACHE_DATA_DIR: cannot use \/srv\/data: /)
    expect(err.message).toContain(reason)
    expect(err.message).toContain('(/srv/data/blobs)')
    expect(err.message).not.toContain('\n')
  })

  it('leaves our own errors and unrelated ones alone', () => {
    const ours = new AppError('DB_TOO_NEW', 'newer')
    expect(dataDirError('/d', ours)).toBe(ours)
    const other = errno('ECONNRESET')
    expect(dataDirError('/d', other)).toBe(other)
    const plain = new Error('no code')
    expect(dataDirError('/d', plain)).toBe(plain)
  })
})
