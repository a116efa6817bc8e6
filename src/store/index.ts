// The content-addressed blob store's public surface.
export { ContentStore } from './content-store.js'
export type { Detached } from './evict.js'
export type { BlobEntry } from './list.js'
export type { ByteRange } from './read.js'
export type { CorruptBlob, VerifyOptions, VerifyReport, VerifyStep } from './verify.js'
export type { PutExpected, PutResult, PutSource } from './write.js'
