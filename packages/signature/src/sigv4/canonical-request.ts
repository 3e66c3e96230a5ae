/** The six parts of a SigV4 canonical request (Task 1 of the signing process). */
export interface CanonicalRequestParts {
	readonly method: string;
	/** Canonical URI (see `canonicalUri`). */
	readonly uri: string;
	/** Canonical query string (see `canonicalQueryString`). */
	readonly query: string;
	/** Canonical headers block, each line ending in `\n` (see `canonicalHeaders`). */
	readonly headers: string;
	/** Signed header names joined with `;`. */
	readonly signedHeaders: string;
	/** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
	readonly payloadHash: string;
}

/**
 * Task 1, step 7: join the parts with `\n`. The headers block already ends in `\n`, so the blank
 * line before the signed-header list comes from the join.
 */
export function canonicalRequest(p: CanonicalRequestParts): string {
	return `${p.method}\n${p.uri}\n${p.query}\n${p.headers}\n${p.signedHeaders}\n${p.payloadHash}`;
}
