/**
 * The request as a verifier sees it: exactly the bytes that arrived, nothing normalised yet.
 * Canonicalisation rules differ per scheme (raw path vs decoded path, every header occurrence
 * vs the last one), so the gateway hands over the wire form and each scheme derives its own.
 */
export interface WireRequest {
	/** HTTP method as received, e.g. `GET`. */
	readonly method: string;
	/** The request-target exactly as received: path plus optional `?query`, still percent-encoded. */
	readonly target: string;
	/** Flat list as Node's `IncomingMessage.rawHeaders`: name, value, name, value, … in wire order. */
	readonly rawHeaders: readonly string[];
	/** The body bytes (empty when none). */
	readonly body: Uint8Array;
	/**
	 * Lower-case hex SHA-256 of `body`, when the caller already has it. Schemes that hash the
	 * body use it instead of hashing again, so one request is hashed once however many
	 * schemes look at it.
	 */
	readonly bodySha256Hex?: string;
}

/** Every value of header `name` (case-insensitive), in wire order. */
export function headerValues(
	rawHeaders: readonly string[],
	name: string,
): string[] {
	const wanted = name.toLowerCase();
	const values: string[] = [];
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		const key = rawHeaders[i] as string;
		if (key.length === wanted.length && key.toLowerCase() === wanted)
			values.push(rawHeaders[i + 1] as string);
	}
	return values;
}

/** The single value of header `name`, `undefined` when absent, `null` when it appears more than once. */
export function singleHeader(
	rawHeaders: readonly string[],
	name: string,
): string | undefined | null {
	const values = headerValues(rawHeaders, name);
	if (values.length === 0) return undefined;
	return values.length === 1 ? (values[0] as string) : null;
}
