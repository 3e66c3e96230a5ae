import type { BinaryLike } from "node:crypto";

/**
 * The form of an HMAC key that node:crypto handles fastest. On Node 24 a `Buffer`/`Uint8Array`
 * key costs a KeyObject conversion on every `createHmac` (about 4× the HMAC of a 1 KB body),
 * while a string key does not. A string key is UTF-8 encoded, so the bytes are passed as a
 * string only when they are all ASCII — then latin1 and UTF-8 agree byte for byte and the HMAC
 * is identical; any other key stays bytes.
 */
export function hmacKey(secret: string | Uint8Array): BinaryLike {
	if (typeof secret === "string") return secret;
	for (let i = 0; i < secret.length; i++)
		if ((secret[i] as number) > 0x7f) return secret;
	return Buffer.from(secret.buffer, secret.byteOffset, secret.length).toString(
		"latin1",
	);
}
