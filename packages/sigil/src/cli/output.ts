/** Plain-text rendering helpers: aligned tables and times, nothing fancy, nothing coloured. */

/** Left-aligned columns separated by two spaces; the header row comes first. */
export function table(
	header: readonly string[],
	rows: readonly (readonly string[])[],
): string {
	const widths = header.map((h, i) =>
		Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)),
	);
	const line = (cells: readonly string[]) =>
		cells
			.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
			.join("  ")
			.trimEnd();
	return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** A time from the API (epoch ms or ISO text) as ISO-8601 UTC, `-` when absent. */
export function isoTime(value: unknown): string {
	if (typeof value === "number" && Number.isFinite(value))
		return new Date(value).toISOString();
	if (typeof value === "string" && value !== "")
		return /^\d+$/.test(value) ? new Date(Number(value)).toISOString() : value;
	return "-";
}

/** Any value as a table cell. */
export function cell(value: unknown): string {
	if (value === undefined || value === null || value === "") return "-";
	return typeof value === "string"
		? value
		: typeof value === "object"
			? JSON.stringify(value)
			: String(value);
}
