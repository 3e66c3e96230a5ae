import { lowerCase } from "../shared/lower-case.ts";
import {
	HEADER_AMZ_DATE,
	HEADER_AUTHORIZATION,
	HEADER_CONTENT_SHA256,
	HEADER_DATE,
	HEADER_HOST,
	HEADER_SECURITY_TOKEN,
} from "./constants.ts";

/** A header's value: `undefined` when absent, `null` when it appears more than once. */
export type ScannedValue = string | null | undefined;

/**
 * What verification needs from the raw header list, gathered in one pass: every name lower-cased
 * (index `k` ↔ `rawHeaders[2k]`, reused for the canonical headers and the x-amz-* check) and the
 * values of the headers that carry the signature, its date, token, payload hash and host.
 */
export interface ScannedHeaders {
	readonly names: readonly string[];
	readonly authorization: ScannedValue;
	readonly amzDate: ScannedValue;
	readonly date: ScannedValue;
	readonly securityToken: ScannedValue;
	readonly contentSha256: ScannedValue;
	readonly host: ScannedValue;
}

/** The first value seen, then `null` for any repeat. */
function seen(prior: ScannedValue, value: string): ScannedValue {
	return prior === undefined ? value : null;
}

/**
 * One pass over `rawHeaders` (`name, value, …` as Node's `rawHeaders`). Each name is lowered
 * once here rather than once per consumer: a parse used to walk the list four times (the
 * Authorization lookup, these values, the unsigned x-amz-* check, the canonical headers).
 */
export function scanHeaders(raw: readonly string[]): ScannedHeaders {
	const names: string[] = [];
	let authorization: ScannedValue;
	let amzDate: ScannedValue;
	let date: ScannedValue;
	let securityToken: ScannedValue;
	let contentSha256: ScannedValue;
	let host: ScannedValue;
	for (let i = 0; i + 1 < raw.length; i += 2) {
		const name = lowerCase(raw[i] as string);
		names.push(name);
		// Only names of the lengths of interest are compared at all.
		switch (name.length) {
			case 4:
				if (name === HEADER_HOST) host = seen(host, raw[i + 1] as string);
				else if (name === HEADER_DATE) date = seen(date, raw[i + 1] as string);
				break;
			case 10:
				if (name === HEADER_AMZ_DATE)
					amzDate = seen(amzDate, raw[i + 1] as string);
				break;
			case 13:
				if (name === HEADER_AUTHORIZATION)
					authorization = seen(authorization, raw[i + 1] as string);
				break;
			case 20:
				if (name === HEADER_SECURITY_TOKEN)
					securityToken = seen(securityToken, raw[i + 1] as string);
				else if (name === HEADER_CONTENT_SHA256)
					contentSha256 = seen(contentSha256, raw[i + 1] as string);
				break;
		}
	}
	return {
		names,
		authorization,
		amzDate,
		date,
		securityToken,
		contentSha256,
		host,
	};
}
