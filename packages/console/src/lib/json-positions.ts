/**
 * A JSON parser (RFC 8259) that keeps where each value starts, so the policy editor can point at
 * the line and column of a mistake, syntactic or not. JSON.parse reports positions only inside
 * engine-specific message text; this one reports them as data. It accepts exactly what
 * JSON.parse accepts (a property test holds it to that).
 */
export type JsonNode =
	| { kind: "object"; at: number; entries: JsonEntry[] }
	| { kind: "array"; at: number; items: JsonNode[] }
	| { kind: "string"; at: number; value: string }
	| { kind: "number"; at: number; value: number }
	| { kind: "boolean"; at: number; value: boolean }
	| { kind: "null"; at: number };

export interface JsonEntry {
	readonly key: string;
	readonly keyAt: number;
	readonly value: JsonNode;
}

export type JsonParse =
	| { ok: true; node: JsonNode }
	| { ok: false; at: number; message: string };

/** Deeper nesting is refused rather than risking the stack (policies are shallow). */
const MAX_DEPTH = 64;

class Fail {
	readonly at: number;
	readonly message: string;
	constructor(at: number, message: string) {
		this.at = at;
		this.message = message;
	}
}

export function parseJsonWithPositions(text: string): JsonParse {
	let i = 0;
	const ws = () => {
		while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
	};
	const describe = () =>
		i >= text.length ? "the end of the text" : JSON.stringify(text[i]);
	const expect = (what: string): never => {
		throw new Fail(i, `expected ${what}, found ${describe()}`);
	};
	const string = (): string => {
		const start = i;
		i++; // opening quote
		let out = "";
		while (true) {
			if (i >= text.length) throw new Fail(start, "this string is not closed");
			const c = text.charCodeAt(i);
			if (c === 0x22) {
				i++;
				return out;
			}
			if (c < 0x20)
				throw new Fail(
					i,
					"a control character must be escaped inside a string",
				);
			if (c === 0x5c) {
				const e = text[i + 1];
				const simple: Record<string, string> = {
					'"': '"',
					"\\": "\\",
					"/": "/",
					b: "\b",
					f: "\f",
					n: "\n",
					r: "\r",
					t: "\t",
				};
				if (e !== undefined && Object.hasOwn(simple, e)) {
					out += simple[e];
					i += 2;
				} else if (
					e === "u" &&
					/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))
				) {
					out += String.fromCharCode(
						Number.parseInt(text.slice(i + 2, i + 6), 16),
					);
					i += 6;
				} else throw new Fail(i, "this escape sequence is not valid JSON");
			} else {
				out += text[i];
				i++;
			}
		}
	};
	const value = (depth: number): JsonNode => {
		if (depth > MAX_DEPTH)
			throw new Fail(i, `nesting deeper than ${MAX_DEPTH} levels`);
		ws();
		const at = i;
		const c = text[i];
		if (c === "{") {
			i++;
			const entries: JsonEntry[] = [];
			ws();
			if (text[i] === "}") {
				i++;
				return { kind: "object", at, entries };
			}
			while (true) {
				ws();
				if (text[i] !== '"') expect("a property name in double quotes");
				const keyAt = i;
				const key = string();
				ws();
				if (text[i] !== ":") expect("':' after the property name");
				i++;
				entries.push({ key, keyAt, value: value(depth + 1) });
				ws();
				if (text[i] === ",") {
					i++;
					continue;
				}
				if (text[i] === "}") {
					i++;
					return { kind: "object", at, entries };
				}
				expect("',' or '}'");
			}
		}
		if (c === "[") {
			i++;
			const items: JsonNode[] = [];
			ws();
			if (text[i] === "]") {
				i++;
				return { kind: "array", at, items };
			}
			while (true) {
				items.push(value(depth + 1));
				ws();
				if (text[i] === ",") {
					i++;
					continue;
				}
				if (text[i] === "]") {
					i++;
					return { kind: "array", at, items };
				}
				expect("',' or ']'");
			}
		}
		if (c === '"') return { kind: "string", at, value: string() };
		for (const [word, node] of [
			["true", { kind: "boolean", at, value: true }],
			["false", { kind: "boolean", at, value: false }],
			["null", { kind: "null", at }],
		] as const) {
			if (text.startsWith(word, i)) {
				i += word.length;
				return node;
			}
		}
		const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
			text.slice(i),
		);
		if (num) {
			i += num[0].length;
			return { kind: "number", at, value: Number(num[0]) };
		}
		return expect(
			"a value (object, array, string, number, true, false or null)",
		);
	};
	try {
		const node = value(0);
		ws();
		if (i < text.length) expect("the end of the text");
		return { ok: true, node };
	} catch (err) {
		if (err instanceof Fail)
			return { ok: false, at: err.at, message: err.message };
		throw err;
	}
}

/** 1-based line and column (in UTF-16 code units, as editors count) of an offset. */
export function lineColumn(
	text: string,
	offset: number,
): { line: number; column: number } {
	let line = 1;
	let lineStart = 0;
	const end = Math.min(offset, text.length);
	for (let k = 0; k < end; k++)
		if (text[k] === "\n") {
			line++;
			lineStart = k + 1;
		}
	return { line, column: end - lineStart + 1 };
}

/** The plain value of a node, as JSON.parse would give it. */
export function toValue(node: JsonNode): unknown {
	switch (node.kind) {
		case "object": {
			const out: Record<string, unknown> = {};
			for (const e of node.entries)
				Object.defineProperty(out, e.key, {
					value: toValue(e.value),
					enumerable: true,
					writable: true,
					configurable: true,
				});
			return out;
		}
		case "array":
			return node.items.map(toValue);
		case "null":
			return null;
		default:
			return node.value;
	}
}
