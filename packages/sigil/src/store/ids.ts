/**
 * Identifier shapes borrowed from AWS IAM, generated from crypto.randomBytes, and the name rules
 * the store enforces itself (the gateway may be stricter).
 */
import { randomBytes, randomInt } from "node:crypto";
import { StoreError } from "./errors.ts";

// RFC 4648 base32 alphabet: upper-case letters and 2–7, the character set of AWS key ids.
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `count` base32 characters, 5 random bits each (no modulo bias: 32 divides 256). */
function base32(count: number): string {
	const bytes = randomBytes(count);
	let out = "";
	for (let i = 0; i < count; i++) out += BASE32[(bytes[i] as number) & 31];
	return out;
}

/** `AKIA` + 16 base32 characters (80 random bits). */
export function newAccessKeyId(): string {
	return `AKIA${base32(16)}`;
}

/** 40 characters of base64 (240 random bits), the shape of an AWS secret access key. */
export function newSecretAccessKey(): string {
	return randomBytes(30).toString("base64");
}

/** `AIDA` + 17 upper-case alphanumerics: an IAM user id. */
export function newUserId(): string {
	return `AIDA${base32(17)}`;
}

/** `AROA` + 17 upper-case alphanumerics: an IAM role id. */
export function newRoleId(): string {
	return `AROA${base32(17)}`;
}

/** `ANPA` + 17 base32 characters: an IAM managed policy id. */
export function newManagedPolicyId(): string {
	return `ANPA${base32(17)}`;
}

/** `AGPA` + 17 base32 characters: an IAM group id. */
export function newGroupId(): string {
	return `AGPA${base32(17)}`;
}

/** 12 random digits. */
export function newAccountId(): string {
	return (
		String(randomInt(0, 1_000_000)).padStart(6, "0") +
		String(randomInt(0, 1_000_000)).padStart(6, "0")
	);
}

export const ACCOUNT_ID = /^\d{12}$/;
/** Long-term key ids: generated ones use base32, imported ones may use any upper-case alphanumerics. */
export const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;
/** Secret access keys: 40 characters when generated; imported ones 16–128 printable ASCII characters. */
export const SECRET_ACCESS_KEY = /^[\x21-\x7e]{16,128}$/;
/** IAM user and role names: 1–64 of letters, digits and `+=,.@_-`. */
export const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM paths: `/` or `/a/b/`, up to 512 characters. */
export const IAM_PATH = /^\/(?:[\x21-\x7e]*\/)?$/;
/** IAM inline policy names: 1–128 of letters, digits and `+=,.@_-`. */
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
/** Function names, as Lambda allows them (the gateway's own rule is stricter). */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Secret names: letters, digits, `._-`, up to 128. */
export const SECRET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Throws `STORE_INVALID` unless `value` matches `pattern`. */
export function check(
	value: unknown,
	pattern: RegExp,
	what: string,
): asserts value is string {
	if (
		typeof value !== "string" ||
		!pattern.test(value) ||
		(pattern === IAM_PATH && value.length > 512)
	) {
		throw new StoreError(
			"STORE_INVALID",
			`${what} ${JSON.stringify(value)} is not valid: it must match ${pattern.source}`,
		);
	}
}

/** Throws `STORE_INVALID` unless `text` is JSON of an object (a policy document). */
export function checkJsonObject(
	text: unknown,
	what: string,
): asserts text is string {
	let parsed: unknown;
	try {
		parsed = typeof text === "string" ? JSON.parse(text) : undefined;
	} catch {
		// Reported below: the parser's message may quote the document.
	}
	if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
		throw new StoreError("STORE_INVALID", `${what} must be a JSON object`);
	}
}

/** `arn:aws:iam::ACCOUNT:user/PATH/NAME` or `…:role/PATH/NAME` (path `/` adds nothing). */
export function iamArn(
	accountId: string,
	kind: "user" | "role",
	path: string,
	name: string,
): string {
	return `arn:aws:iam::${accountId}:${kind}${path}${name}`;
}
