/**
 * Verification outcomes are values, not exceptions: a bad signature is an expected answer.
 * Every failure carries a stable `code` (documented in docs/errors.md), the wire name and text
 * its ecosystem uses, and the HTTP status a gateway should answer with.
 */
export type SchemeName = "sigv4" | "acs3" | "fc" | "hmac" | "webhook";

export interface SignatureFailure {
	readonly ok: false;
	readonly scheme: SchemeName;
	/** Stable Sigil code, e.g. `SIGNATURE_MISMATCH`. */
	readonly code: string;
	/** The ecosystem's own error name (`InvalidSignatureException`, `SignatureNotMatch`, …). */
	readonly wireCode: string;
	/** HTTP status the gateway answers with. */
	readonly status: number;
	/** Text safe to send to an unauthenticated caller, worded as the ecosystem words it. */
	readonly message: string;
	/**
	 * For the key's owner only (logs, `sigil logs`), never for the anonymous caller: the
	 * server's canonical request and string to sign, and the client mistake that best explains a
	 * mismatch. Never holds the secret, the signing key or the expected signature.
	 */
	readonly diagnosis?: Diagnosis;
}

export interface Diagnosis {
	readonly canonicalRequest?: string;
	readonly stringToSign?: string;
	/** A short sentence naming the client mistake that reproduces the received signature. */
	readonly likelyCause?: string;
	/** Extra facts (clock offset in seconds, the scope received, …). */
	readonly details?: Readonly<Record<string, string | number>>;
}

export type Result<T> = ({ readonly ok: true } & T) | SignatureFailure;
