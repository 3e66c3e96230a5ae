import { canonicalizeEncoded, uriEncode } from "./uri-encode.ts";

/** One query parameter in canonical (strictly re-encoded) form. */
export interface QueryPair {
	readonly key: string;
	readonly value: string;
}

/**
 * Splits a raw query string (without `?`) into canonical pairs, once: split on `&`, empty
 * pieces skipped, key and value split at the first `=` (a bare key gets the value ""),
 * each side decoded at byte level and re-encoded strictly. `+` is a literal plus unless
 * `plusAsSpace` (only used to reproduce that client mistake).
 */
export function parseQuery(rawQuery: string, plusAsSpace = false): QueryPair[] {
	const pairs: QueryPair[] = [];
	let start = 0;
	while (start <= rawQuery.length) {
		let end = rawQuery.indexOf("&", start);
		if (end === -1) end = rawQuery.length;
		if (end > start) {
			const eq = rawQuery.indexOf("=", start);
			const hasValue = eq !== -1 && eq < end;
			const key = rawQuery.slice(start, hasValue ? eq : end);
			const value = hasValue ? rawQuery.slice(eq + 1, end) : "";
			pairs.push({
				key: canonicalizeEncoded(key, plusAsSpace),
				value: canonicalizeEncoded(value, plusAsSpace),
			});
		}
		start = end + 1;
	}
	return pairs;
}

function byKeyThenValue(a: QueryPair, b: QueryPair): number {
	if (a.key !== b.key) return a.key < b.key ? -1 : 1;
	if (a.value === b.value) return 0;
	return a.value < b.value ? -1 : 1;
}

function inOrder(pairs: readonly QueryPair[]): boolean {
	for (let i = 1; i < pairs.length; i++)
		if (byKeyThenValue(pairs[i - 1] as QueryPair, pairs[i] as QueryPair) > 0)
			return false;
	return true;
}

/**
 * Task 1, step 3: the canonical query string. Pairs sorted by encoded key, then encoded value
 * (duplicates kept), joined as `k=v&…`; a bare key appears as `k=`. `skipKey` names one key to
 * leave out (the presigned form's `X-Amz-Signature`).
 * @example canonicalQueryString(parseQuery("b=2&a&a=1")) === "a=&a=1&b=2"
 */
export function canonicalQueryString(
	pairs: readonly QueryPair[],
	skipKey?: string,
): string {
	let kept =
		skipKey === undefined ? pairs : pairs.filter((p) => p.key !== skipKey);
	if (kept.length === 0) return "";
	if (kept.length === 1)
		return `${(kept[0] as QueryPair).key}=${(kept[0] as QueryPair).value}`;
	// Clients send their pairs sorted as a rule: check that in one pass before copying to sort.
	if (!inOrder(kept)) kept = kept.slice().sort(byKeyThenValue);
	let out = "";
	for (let i = 0; i < kept.length; i++) {
		const p = kept[i] as QueryPair;
		out += i === 0 ? `${p.key}=${p.value}` : `&${p.key}=${p.value}`;
	}
	return out;
}

/** Query parameters as a signer receives them: decoded names and values, repeated keys as arrays. */
export type QueryParams = Readonly<Record<string, string | readonly string[]>>;

/** Canonical pairs of decoded parameters (the signer's side): UriEncode of each name and value. */
export function pairsFromParams(params: QueryParams): QueryPair[] {
	const pairs: QueryPair[] = [];
	for (const name of Object.keys(params)) {
		const key = uriEncode(name);
		const value = params[name];
		if (typeof value === "string") pairs.push({ key, value: uriEncode(value) });
		else if (value !== undefined)
			for (const v of value) pairs.push({ key, value: uriEncode(v) });
	}
	return pairs;
}

/** The wire form of canonical pairs: they are already strictly encoded, so they travel as they are. */
export function formatQuery(pairs: readonly QueryPair[]): string {
	return pairs.map((p) => `${p.key}=${p.value}`).join("&");
}
