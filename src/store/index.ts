// The content-addressed blob store's public surface.

export type { MaintenanceStep } from '../cache/steps.js'
export { ContentStore } from './content-store.js'
export type { Detached } from './evict.js'
export type { BlobEntry } from './list.js'
export type { ByteRange } from './read.js'
export type { CorruptBlob, VerifyOptions, VerifyReport } from './verify.js'
export type { FillSource, PutExpected, PutResult, PutSource } from './write.js'
