import type { Diagnosis, SignatureFailure } from "../result.ts";

/**
 * Failures of shared-secret schemes (payload HMAC, Standard Webhooks). Their callers
 * (faas-cli, GitHub, webhook senders) expect no dialect beyond a plain 401, so every code maps
 * to 401 `Unauthorized` and the message names what to fix without revealing any secret.
 */
export const SHARED_SECRET_FAILURES = {
	MISSING_SIGNATURE: "the request has no %s header",
	DUPLICATE_HEADER: "the %s header appears more than once",
	HEADER_TOO_LARGE: "the %s header is too large",
	MALFORMED_SIGNATURE: "the %s header is malformed",
	UNSUPPORTED_ALGORITHM: "unsupported signature algorithm in %s",
	ALGORITHM_NOT_ALLOWED: "this trigger does not accept %s signatures",
	SIGNATURE_MISMATCH: "the signature in %s does not match the request body",
	TIMESTAMP_OUT_OF_TOLERANCE: "%s",
	NO_SECRET_CONFIGURED: "the trigger has no secret to check %s against",
} as const;

export type SharedSecretFailureCode = keyof typeof SHARED_SECRET_FAILURES;

/** Build a shared-secret failure (status 401) for `scheme`. */
export function sharedSecretFailure(
	scheme: "hmac" | "webhook",
	code: SharedSecretFailureCode,
	detail: string,
	diagnosis?: Diagnosis,
): SignatureFailure {
	const message = SHARED_SECRET_FAILURES[code].replace("%s", detail);
	const base = {
		ok: false,
		scheme,
		code,
		wireCode: "Unauthorized",
		status: 401,
		message,
	} as const;
	return diagnosis === undefined ? base : { ...base, diagnosis };
}
