import { Buffer } from "node:buffer";

const LOWER_HEX = /^[0-9a-f]*$/;

/**
 * Decode lower-case hex of exactly `bytes` bytes; `undefined` for anything else (odd length,
 * upper case, other characters). `Buffer.from(s, "hex")` silently stops at the first bad
 * character, so the whole value is checked first.
 */
export function decodeLowerHex(
	value: string,
	bytes: number,
): Uint8Array | undefined {
	if (value.length !== bytes * 2 || !LOWER_HEX.test(value)) return undefined;
	return Buffer.from(value, "hex");
}
