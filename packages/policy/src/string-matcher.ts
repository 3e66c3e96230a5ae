/**
 * Compiles one policy string (an Action, a Resource, a condition value) into a predicate over
 * the request's value. Templates without variables are resolved at compile time; templates with
 * variables are resolved per request and then matched without building a RegExp.
 */
import {
	compileGlob,
	type GlobPattern,
	globFromPieces,
	globMatch,
} from "./glob.ts";
import type { ResolvedContext, StringMatcher } from "./types.ts";
import { literalText, resolveTemplate, type Template } from "./variables.ts";

export interface StringMatchOptions {
	/** `*` and `?` are wildcards (StringLike, Action, Resource) rather than literals (StringEquals). */
	readonly glob: boolean;
	/** Compare case-insensitively (Action, StringEqualsIgnoreCase); the caller lower-cases its value. */
	readonly ignoreCase: boolean;
}

function staticPattern(template: Template): GlobPattern {
	return globFromPieces(
		template.pieces.map((p) => ({
			text: p.kind === "var" ? "" : p.text,
			active: p.kind === "text",
		})),
	);
}

function lower(p: GlobPattern): GlobPattern {
	return { text: p.text.toLowerCase(), wild: p.wild };
}

function literalMatcher(text: string): StringMatcher {
	return (value) => value === text;
}

// Built apart from the static matchers so their closures do not retain the template.
function templatedMatcher(
	template: Template,
	options: StringMatchOptions,
): StringMatcher {
	return (value: string, ctx: ResolvedContext) => {
		const pieces = resolveTemplate(template, ctx);
		if (pieces === undefined) return false;
		if (!options.glob) {
			let text = "";
			for (const p of pieces) text += p.text;
			return (options.ignoreCase ? text.toLowerCase() : text) === value;
		}
		const pattern = globFromPieces(pieces);
		return globMatch(options.ignoreCase ? lower(pattern) : pattern, value);
	};
}

/** Compiles `template` for matching; the returned matcher expects an already lower-cased value when `ignoreCase`. */
export function compileStringMatcher(
	template: Template,
	options: StringMatchOptions,
): StringMatcher {
	if (template.hasVariables) return templatedMatcher(template, options);
	if (!options.glob) {
		const text = literalText(template);
		return literalMatcher(options.ignoreCase ? text.toLowerCase() : text);
	}
	const pattern = staticPattern(template);
	return compileGlob(options.ignoreCase ? lower(pattern) : pattern);
}
