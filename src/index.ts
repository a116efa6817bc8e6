// The package's public module: the provisioner client (`asset-cache pull` as a library).
export * from './client/index.js'
export { IntegrityError, RejectError } from './errors.js'
