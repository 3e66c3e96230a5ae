/**
 * The bounds every adapter enforces alike (the contract suite checks them), in one place.
 */

/** The function's log output kept per record: 64 KB (the gateway cuts longer output and marks the cut; a store keeps the last 64 KB of anything longer). */
export const MAX_LOG_BYTES = 64 * 1024;

/** A diagnosis larger than this is replaced by a note saying so. */
export const MAX_DETAIL_BYTES = 64 * 1024;

/** Records kept per account by default. */
export const DEFAULT_AUDIT_RETENTION = 10_000;

/** Audit records older than this are pruned (default 30 days). */
export const DEFAULT_AUDIT_MAX_AGE_MS = 30 * 24 * 3600_000;

/** Bytes of audit records (their logs and detail) kept per account; the oldest go first (64 MiB). */
export const DEFAULT_AUDIT_MAX_BYTES = 64 * 1024 * 1024;

/** A function's code bundle may not exceed 50 MB (the bundle format's own bound). */
export const MAX_CODE_BYTES = 50 * 1024 * 1024;

/** How many revisions keep their code for `getCode(…, revision)` and rollbacks. */
export const KEPT_REVISIONS = 5;

/** The largest payload an async job may carry (Lambda's synchronous bound, 6 MB). */
export const MAX_JOB_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Secrets are small (keys, passwords, certificates): 64 KB is plenty, and bounds memory. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Published versions one function may have at once (Lambda bounds them by code storage). */
export const MAX_VERSIONS = 1000;

/** Aliases one function may have. */
export const MAX_ALIASES = 100;
