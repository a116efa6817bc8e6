// Provisioner client: resolve a template, download its bundle verified, write it into a workspace.
export { loadTrustedKey, type TrustedKey } from '../attest/keys.js'
export { type Verified, type VerifyOptions, verifyAttestations } from '../attest/verify.js'
export { fetchAttestations, verifiedOnServer } from './attestations.js'
export { type Download, type DownloadOptions, download, verifyingStream } from './download.js'
export { CLIENT_ERROR_CODES, ClientError, type ClientErrorCode } from './errors.js'
export {
  type MaterializeOptions,
  type MaterializeResult,
  materialize,
} from './materialize.js'
export { type OciPullOptions, type OciTarget, parseOciTarget, pullOci } from './oci.js'
export {
  DEFAULT_PULL_TIMEOUT_MS,
  type PullOptions,
  type PullResult,
  type PullWritten,
  pull,
} from './pull.js'
export {
  type ResolvedTemplate,
  type ResolveOptions,
  type ResolveResult,
  resolve,
} from './resolve.js'
export { type PullState, readState, STATE_FILE, type StateFile } from './state.js'
