import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { headerValues, type WireRequest } from "../request.ts";
import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { decodeLowerHex } from "../shared/hex.ts";
import { hmacKey } from "../shared/hmac-key.ts";
import { sharedSecretFailure } from "./errors.ts";

/** Digests a payload-HMAC header may name. sha1 is what faas-cli sent up to 0.17.0. */
export type HmacAlgorithm = "sha1" | "sha256" | "sha512";

const DIGEST_BYTES: Readonly<Record<HmacAlgorithm, number>> = {
	sha1: 20,
	sha256: 32,
	sha512: 64,
};
const MAX_HEADER_LENGTH = 256;
const SHAPE = /^([A-Za-z0-9-]{1,16})=(.*)$/s;

/** Options of {@link verifyPayloadHmac}. */
export interface PayloadHmacOptions {
	/** Header carrying `algo=<hex>`: `Hmac` (faas-cli `--sign`), `X-Hub-Signature-256` (GitHub). */
	readonly header: string;
	/** Every active secret; several during a rotation. */
	readonly secrets: readonly (string | Uint8Array)[];
	/** Accepted digests, e.g. `["sha256"]`; `"sha1"` for faas-cli up to 0.17.0 (Sigil's triggers accept it by default). */
	readonly algorithms: readonly HmacAlgorithm[];
}

function hmac(
	algorithm: HmacAlgorithm,
	secret: string | Uint8Array,
	body: Uint8Array,
): Uint8Array {
	return createHmac(algorithm, hmacKey(secret)).update(body).digest();
}

/** `sha256=<lower-case hex>` of `body` under `secret`, the value faas-cli and GitHub send. */
export function signPayloadHmac(
	body: Uint8Array | string,
	secret: string | Uint8Array,
	algorithm: HmacAlgorithm,
): string {
	const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
	return `${algorithm}=${Buffer.from(hmac(algorithm, secret, bytes)).toString("hex")}`;
}

/**
 * Verify a payload HMAC header. Parsing is strict — exactly one header, an exact lower-case
 * `algo=` prefix, lower-case hex of exactly the digest length — because every laxity is a
 * second way to spell a forgery. Every secret is tried, with no early exit, so timing shows at
 * most how many secrets are active, not which one matched.
 */
export function verifyPayloadHmac(
	req: WireRequest,
	opts: PayloadHmacOptions,
): Result<{ algorithm: HmacAlgorithm; secretIndex: number }> {
	const values = headerValues(req.rawHeaders, opts.header);
	if (values.length === 0)
		return sharedSecretFailure("hmac", "MISSING_SIGNATURE", opts.header);
	if (values.length > 1)
		return sharedSecretFailure("hmac", "DUPLICATE_HEADER", opts.header);
	const value = values[0] as string;
	if (value.length > MAX_HEADER_LENGTH)
		return sharedSecretFailure("hmac", "HEADER_TOO_LARGE", opts.header);
	const m = SHAPE.exec(value);
	if (m === null)
		return sharedSecretFailure("hmac", "MALFORMED_SIGNATURE", opts.header);
	const name = m[1] as string;
	if (!Object.hasOwn(DIGEST_BYTES, name))
		return sharedSecretFailure("hmac", "UNSUPPORTED_ALGORITHM", opts.header);
	const algorithm = name as HmacAlgorithm;
	if (!opts.algorithms.includes(algorithm))
		return sharedSecretFailure("hmac", "ALGORITHM_NOT_ALLOWED", algorithm);
	const received = decodeLowerHex(m[2] as string, DIGEST_BYTES[algorithm]);
	if (received === undefined)
		return sharedSecretFailure("hmac", "MALFORMED_SIGNATURE", opts.header);
	if (opts.secrets.length === 0)
		return sharedSecretFailure("hmac", "NO_SECRET_CONFIGURED", opts.header);

	let secretIndex = -1;
	opts.secrets.forEach((secret, i) => {
		const match = constantTimeEqual(
			hmac(algorithm, secret, req.body),
			received,
		);
		if (match && secretIndex === -1) secretIndex = i;
	});
	if (secretIndex !== -1) return { ok: true, algorithm, secretIndex };
	return sharedSecretFailure("hmac", "SIGNATURE_MISMATCH", opts.header, {
		likelyCause: explainHmacMismatch(
			req.body,
			opts.secrets,
			algorithm,
			received,
		),
		details: {
			algorithm,
			bodyLength: req.body.length,
			activeSecrets: opts.secrets.length,
		},
	});
}

/** Test the usual slips exactly: `echo` without `-n` on the body, a newline kept in the secret file. */
function explainHmacMismatch(
	body: Uint8Array,
	secrets: readonly (string | Uint8Array)[],
	algorithm: HmacAlgorithm,
	received: Uint8Array,
): string {
	const newline = Buffer.from("\n");
	const trimmedBody =
		body.at(-1) === 0x0a ? body.subarray(0, body.length - 1) : undefined;
	for (const secret of secrets) {
		const key =
			typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
		if (
			constantTimeEqual(
				hmac(algorithm, key, Buffer.concat([body, newline])),
				received,
			)
		) {
			return "the body was signed with a trailing newline that was not sent";
		}
		if (
			trimmedBody &&
			constantTimeEqual(hmac(algorithm, key, trimmedBody), received)
		) {
			return "the body was signed without its trailing newline (e.g. `echo` without `-n` on one side)";
		}
		if (
			constantTimeEqual(
				hmac(algorithm, Buffer.concat([key, newline]), body),
				received,
			)
		) {
			return "the sender's secret ends with a newline (secret read from a file); strip it on one side";
		}
	}
	return "the sender uses a different secret, or the body changed in transit (re-encoded JSON, proxy compression)";
}
