/**
 * Policy variables in Resource and Condition values: `${aws:username}`, with a default
 * `${aws:username, 'nobody'}`, and the escapes `${*}`, `${?}`, `${$}` for a literal `*`, `?`, `$`.
 * Variables are only recognized in `"Version": "2012-10-17"` documents; in 2008-10-17 the text
 * is literal. Reference: IAM User Guide, "IAM policy elements: Variables and tags".
 */
import type { ResolvedContext } from "./types.ts";

/** A piece of a template: text whose wildcards are active, a literal escape, or a variable. */
export type TemplatePiece =
	| { readonly kind: "text"; readonly text: string }
	| { readonly kind: "escape"; readonly text: string }
	| {
			readonly kind: "var";
			readonly key: string;
			readonly name: string;
			readonly fallback?: string;
	  };

/** A compiled template. `pieces` is empty of variables when `hasVariables` is false. */
export interface Template {
	readonly pieces: readonly TemplatePiece[];
	readonly hasVariables: boolean;
	readonly hasEscapes: boolean;
}

export type TemplateResult =
	| { readonly ok: true; readonly template: Template }
	| { readonly ok: false; readonly message: string };

const VARIABLE = /^\s*([A-Za-z0-9:_/.-]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/** Splits a policy string into pieces. `variables` is false for 2008-10-17 documents. */
export function parseTemplate(raw: string, variables: boolean): TemplateResult {
	if (!variables || !raw.includes("${")) {
		return {
			ok: true,
			template: {
				pieces: [{ kind: "text", text: raw }],
				hasVariables: false,
				hasEscapes: false,
			},
		};
	}
	const pieces: TemplatePiece[] = [];
	let hasVariables = false;
	let hasEscapes = false;
	let at = 0;
	while (at < raw.length) {
		const open = raw.indexOf("${", at);
		if (open < 0) {
			pieces.push({ kind: "text", text: raw.slice(at) });
			break;
		}
		if (open > at) pieces.push({ kind: "text", text: raw.slice(at, open) });
		const close = raw.indexOf("}", open + 2);
		if (close < 0)
			return {
				ok: false,
				message: `unterminated policy variable at offset ${open}: "${raw}"`,
			};
		const inner = raw.slice(open + 2, close);
		if (inner === "*" || inner === "?" || inner === "$") {
			pieces.push({ kind: "escape", text: inner });
			hasEscapes = true;
		} else {
			const m = VARIABLE.exec(inner);
			if (!m)
				return { ok: false, message: `invalid policy variable "\${${inner}}"` };
			const name = m[1] as string;
			const piece: TemplatePiece =
				m[2] === undefined
					? { kind: "var", key: name.toLowerCase(), name }
					: { kind: "var", key: name.toLowerCase(), name, fallback: m[2] };
			pieces.push(piece);
			hasVariables = true;
		}
		at = close + 1;
	}
	return { ok: true, template: { pieces, hasVariables, hasEscapes } };
}

/**
 * Resolves a template against the request context: each piece with whether its wildcards are
 * active. Undefined when a variable has no value and no default (AWS: the element then does not
 * match), or when its key is multi-valued (only single-valued keys may be used as variables).
 */
export function resolveTemplate(
	template: Template,
	ctx: ResolvedContext,
): { text: string; active: boolean }[] | undefined {
	const out: { text: string; active: boolean }[] = [];
	for (const piece of template.pieces) {
		if (piece.kind === "text") out.push({ text: piece.text, active: true });
		else if (piece.kind === "escape")
			out.push({ text: piece.text, active: false });
		else {
			const values = ctx.get(piece.key);
			if (values === undefined || values.length === 0) {
				if (piece.fallback === undefined) return undefined;
				out.push({ text: piece.fallback, active: false });
			} else if (values.length === 1) {
				out.push({ text: values[0] as string, active: false });
			} else {
				return undefined;
			}
		}
	}
	return out;
}

/** The template's text with escapes applied, for templates without variables. */
export function literalText(template: Template): string {
	let s = "";
	for (const p of template.pieces) if (p.kind !== "var") s += p.text;
	return s;
}
