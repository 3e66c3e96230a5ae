const ISO_8601_UTC =
	/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Parse `x-acs-date`: ISO 8601 in UTC, with or without fractional seconds
 * (`2024-05-20T08:30:00.000Z` from `toISOString()`, `2025-01-02T03:04:05Z` from the Go and
 * Python samples). Returns epoch milliseconds, or `undefined` for any other shape or an
 * impossible date (Feb 30 is not silently rolled into March).
 */
export function parseAcsDate(value: string): number | undefined {
	const m = ISO_8601_UTC.exec(value);
	if (m === null) return undefined;
	const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
		number,
		number,
		number,
		number,
		number,
		number,
	];
	const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
	const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
	const back = new Date(t);
	if (
		back.getUTCMonth() !== mo - 1 ||
		back.getUTCDate() !== d ||
		back.getUTCHours() !== h ||
		back.getUTCMinutes() !== mi ||
		back.getUTCSeconds() !== s
	) {
		return undefined;
	}
	return t;
}

/** Format epoch milliseconds as x-acs-date without fractional seconds, as the V3 docs show it. */
export function formatAcsDate(epochMs: number): string {
	return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}
