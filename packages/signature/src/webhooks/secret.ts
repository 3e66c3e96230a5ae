import { Buffer } from "node:buffer";

/** Prefix of Standard Webhooks secrets: `whsec_` + base64 of the key bytes. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Key bytes of a Standard Webhooks secret. A string is `whsec_<base64>` (the prefix is
 * optional, as in the reference libraries); bytes that spell `whsec_…` (a secret stored as
 * text in the secret store) are read the same way; any other bytes are the raw key.
 * `undefined` when a string is not valid base64.
 */
export function webhookKey(
	secret: string | Uint8Array,
): Uint8Array | undefined {
	let text: string;
	if (typeof secret === "string") text = secret;
	else {
		const asText = Buffer.from(secret).toString("latin1");
		if (!asText.startsWith(WEBHOOK_SECRET_PREFIX)) return secret;
		text = asText.trim();
	}
	const b64 = text.startsWith(WEBHOOK_SECRET_PREFIX)
		? text.slice(WEBHOOK_SECRET_PREFIX.length)
		: text;
	if (b64.length % 4 !== 0 || !BASE64.test(b64)) return undefined;
	return Buffer.from(b64, "base64");
}
