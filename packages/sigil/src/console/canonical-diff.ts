/**
 * Where a client's canonical request (or string to sign) differs from the gateway's. Both
 * SigV4 and ACS3 canonical requests have the same shape — method, path, query, one line per
 * signed header, a blank line, the signed-header list, the payload hash — so they are compared
 * part by part rather than line by line: a header missing on one side is one difference, not a
 * shift of every line after it. Headers are matched by name.
 */

export interface Difference {
	readonly in: "canonicalRequest" | "stringToSign";
	/** 1-based line in the gateway's text; the client's when the gateway has no such line. */
	readonly line: number;
	/** `method`, `path`, `query`, `header:NAME`, `signed-headers`, `payload-hash`, `algorithm`, `date`, `scope`, `hash`, `extra`. */
	readonly part: string;
	readonly client: string | null;
	readonly gateway: string | null;
}

interface Line {
	readonly n: number;
	readonly text: string;
}

interface CanonicalParts {
	readonly fixed: readonly (Line | undefined)[];
	readonly headers: ReadonlyMap<string, Line>;
	readonly tail: readonly (Line | undefined)[];
	readonly extra: readonly Line[];
}

const FIXED = ["method", "path", "query"] as const;
const TAIL = ["signed-headers", "payload-hash"] as const;

/** Lines of a pasted text: `\r\n` read as `\n`, one final newline (a debug log's) ignored. */
export function linesOf(text: string): string[] {
	const lines = text.replace(/\r\n/g, "\n").split("\n");
	if (lines.length > 1 && lines.at(-1) === "") lines.pop();
	return lines;
}

function partsOf(text: string): CanonicalParts {
	const lines = linesOf(text).map((t, i) => ({ n: i + 1, text: t }));
	let blank = lines.findIndex((l, i) => i >= 3 && l.text === "");
	if (blank === -1) blank = lines.length;
	const headers = new Map<string, Line>();
	for (const l of lines.slice(3, blank)) {
		const colon = l.text.indexOf(":");
		const name = colon === -1 ? l.text : l.text.slice(0, colon);
		if (!headers.has(name)) headers.set(name, l);
	}
	return {
		fixed: [lines[0], lines[1], lines[2]],
		headers,
		tail: [lines[blank + 1], lines[blank + 2]],
		extra: lines.slice(blank + 3),
	};
}

function differ(
	where: Difference["in"],
	part: string,
	client: Line | undefined,
	gateway: Line | undefined,
): Difference | undefined {
	if (client?.text === gateway?.text) return undefined;
	return {
		in: where,
		line: gateway?.n ?? client?.n ?? 0,
		part,
		client: client?.text ?? null,
		gateway: gateway?.text ?? null,
	};
}

export function canonicalRequestDifferences(
	client: string,
	gateway: string,
): Difference[] {
	const c = partsOf(client);
	const g = partsOf(gateway);
	const out: (Difference | undefined)[] = [];
	FIXED.forEach((part, i) => {
		out.push(differ("canonicalRequest", part, c.fixed[i], g.fixed[i]));
	});
	const names = [...new Set([...g.headers.keys(), ...c.headers.keys()])].sort();
	for (const name of names)
		out.push(
			differ(
				"canonicalRequest",
				`header:${name}`,
				c.headers.get(name),
				g.headers.get(name),
			),
		);
	TAIL.forEach((part, i) => {
		out.push(differ("canonicalRequest", part, c.tail[i], g.tail[i]));
	});
	const extra = Math.max(c.extra.length, g.extra.length);
	for (let i = 0; i < extra; i++)
		out.push(differ("canonicalRequest", "extra", c.extra[i], g.extra[i]));
	return out.filter((d) => d !== undefined);
}

/** SigV4: algorithm, date, scope, hash; ACS3: algorithm, hash. */
export function stringToSignDifferences(
	client: string,
	gateway: string,
	scheme: "sigv4" | "acs3",
): Difference[] {
	const names =
		scheme === "sigv4"
			? ["algorithm", "date", "scope", "hash"]
			: ["algorithm", "hash"];
	const c = linesOf(client).map((text, i) => ({ n: i + 1, text }));
	const g = linesOf(gateway).map((text, i) => ({ n: i + 1, text }));
	const out: Difference[] = [];
	for (let i = 0; i < Math.max(c.length, g.length); i++) {
		const d = differ("stringToSign", names[i] ?? "extra", c[i], g[i]);
		if (d) out.push(d);
	}
	return out;
}
