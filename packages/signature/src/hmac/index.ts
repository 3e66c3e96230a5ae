/** Payload HMAC: faas-cli `--sign` (`Hmac: sha256=…`), GitHub `X-Hub-Signature-256`. */
export {
	SHARED_SECRET_FAILURES,
	type SharedSecretFailureCode,
} from "./errors.ts";
export {
	type HmacAlgorithm,
	type PayloadHmacOptions,
	signPayloadHmac,
	verifyPayloadHmac,
} from "./payload-hmac.ts";
