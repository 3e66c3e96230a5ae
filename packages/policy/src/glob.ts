/**
 * Glob matching for IAM's two wildcards: `*` (any run of characters, including none) and `?`
 * (exactly one character). Patterns are compiled once into a closure with a fast path for the
 * common shapes (exact, `*`, `prefix*`, `*suffix`); evaluation builds no RegExp.
 * Reference: IAM User Guide, "IAM JSON policy elements: Action" / "Resource" (wildcards).
 */

/**
 * A pattern. Without `wild`, every `*` and `?` in `text` is a wildcard (the common case, kept
 * allocation-free); with `wild`, `wild[i]` is 1 for `*`, 2 for `?`, 0 for a literal character
 * (escapes `${*}` and substituted variable values are literal).
 */
export interface GlobPattern {
	readonly text: string;
	readonly wild?: Uint8Array;
}

const STAR = 1;
const QUESTION = 2;

function kindAt(p: GlobPattern, i: number): number {
	if (p.wild !== undefined) return p.wild[i] as number;
	const c = p.text.charCodeAt(i);
	return c === 42 ? STAR : c === 63 ? QUESTION : 0;
}

/** Builds a pattern in which every `*` and `?` of `text` is a wildcard. */
export function globFromText(text: string): GlobPattern {
	return { text };
}

/** Concatenates pieces, each either wildcard-active (`active`) or literal (escapes, variable values). */
export function globFromPieces(
	pieces: readonly { readonly text: string; readonly active: boolean }[],
): GlobPattern {
	let text = "";
	let literalWildcards = false;
	for (const p of pieces) {
		text += p.text;
		if (!p.active && (p.text.includes("*") || p.text.includes("?")))
			literalWildcards = true;
	}
	if (!literalWildcards) return { text };
	const wild = new Uint8Array(text.length);
	let at = 0;
	for (const p of pieces) {
		if (p.active) {
			for (let i = 0; i < p.text.length; i++) {
				const c = p.text.charCodeAt(i);
				if (c === 42) wild[at + i] = STAR;
				else if (c === 63) wild[at + i] = QUESTION;
			}
		}
		at += p.text.length;
	}
	return { text, wild };
}

/** The part of a pattern from `start` to `end` (exclusive). */
export function sliceGlob(
	p: GlobPattern,
	start: number,
	end?: number,
): GlobPattern {
	const text = p.text.slice(start, end);
	return p.wild === undefined
		? { text }
		: { text, wild: p.wild.slice(start, end) };
}

/** True when the pattern has no wildcard at all. */
export function isLiteral(p: GlobPattern): boolean {
	for (let i = 0; i < p.text.length; i++) if (kindAt(p, i) !== 0) return false;
	return true;
}

/**
 * Matches `value` against a pattern with the classic linear-backtracking wildcard algorithm:
 * remember the last `*` and retry from one character further on a mismatch.
 */
export function globMatch(pattern: GlobPattern, value: string): boolean {
	const text = pattern.text;
	const n = text.length;
	const m = value.length;
	let p = 0;
	let v = 0;
	let starP = -1;
	let starV = 0;
	while (v < m) {
		const k = p < n ? kindAt(pattern, p) : -1;
		if (k === STAR) {
			starP = p++;
			starV = v;
		} else if (
			k === QUESTION ||
			(k === 0 && text.charCodeAt(p) === value.charCodeAt(v))
		) {
			p++;
			v++;
		} else if (starP >= 0) {
			p = starP + 1;
			v = ++starV;
		} else {
			return false;
		}
	}
	while (p < n && kindAt(pattern, p) === STAR) p++;
	return p === n;
}

/** Compiles a pattern to a predicate, choosing the cheapest correct test for its shape. */
export function compileGlob(pattern: GlobPattern): (value: string) => boolean {
	const { text } = pattern;
	let stars = 0;
	let questions = 0;
	for (let i = 0; i < text.length; i++) {
		const k = kindAt(pattern, i);
		if (k === STAR) stars++;
		else if (k === QUESTION) questions++;
	}
	if (stars === 0 && questions === 0) return (value) => value === text;
	if (questions === 0 && stars === text.length) return () => true;
	if (
		questions === 0 &&
		stars === 1 &&
		kindAt(pattern, text.length - 1) === STAR
	) {
		const prefix = text.slice(0, -1);
		return (value) => value.startsWith(prefix);
	}
	if (questions === 0 && stars === 1 && kindAt(pattern, 0) === STAR) {
		const suffix = text.slice(1);
		return (value) => value.endsWith(suffix);
	}
	return (value) => globMatch(pattern, value);
}
