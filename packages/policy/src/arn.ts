/**
 * ARNs: `arn:partition:service:region:account-id:resource`. Matching is per component, as AWS
 * documents for the ARN condition operators: "each of the six colon-delimited components of the
 * ARN is checked separately and each can include wildcards" (IAM User Guide, "Condition
 * operators — Amazon Resource Name (ARN) condition operators"); the sixth component is everything
 * after the fifth colon, so `function:*` covers `function:f:alias`. Resource elements use the
 * same rule.
 */
import {
	compileGlob,
	type GlobPattern,
	globFromPieces,
	globMatch,
	isLiteral,
	sliceGlob,
} from "./glob.ts";
import type { ResolvedContext, ResourceTarget } from "./types.ts";
import { resolveTemplate, type Template } from "./variables.ts";

/** Splits at the first five colons; undefined when the value is not an ARN. */
export function splitArn(value: string): string[] | undefined {
	if (!value.startsWith("arn:")) return undefined;
	const parts: string[] = [];
	let at = 0;
	for (let i = 0; i < 5; i++) {
		const colon = value.indexOf(":", at);
		if (colon < 0) return undefined;
		parts.push(value.slice(at, colon));
		at = colon + 1;
	}
	parts.push(value.slice(at));
	return parts;
}

function splitPattern(p: GlobPattern): GlobPattern[] | undefined {
	const parts: GlobPattern[] = [];
	let at = 0;
	for (let i = 0; i < 5; i++) {
		const colon = p.text.indexOf(":", at);
		if (colon < 0) return undefined;
		parts.push(sliceGlob(p, at, colon));
		at = colon + 1;
	}
	parts.push(sliceGlob(p, at));
	return parts;
}

/**
 * Validates an ARN pattern written in a policy (wildcards allowed, variables blanked out):
 * six components, `arn` first, a non-empty service and resource. Returns a message or undefined.
 */
export function checkArnPattern(text: string): string | undefined {
	const parts = splitArn(text);
	if (parts === undefined)
		return `"${text}" is not an ARN (arn:partition:service:region:account:resource) or "*"`;
	if (parts[1] === "" || parts[2] === "" || parts[5] === "")
		return `"${text}" has an empty partition, service or resource`;
	return undefined;
}

/** A compiled ARN matcher over a pre-split request ARN (`parts` undefined: not an ARN). */
export type ArnMatcher = (
	target: ResourceTarget,
	ctx: ResolvedContext,
) => boolean;

function matchParts(
	patternParts: readonly GlobPattern[],
	parts: readonly string[],
): boolean {
	for (let i = 0; i < 6; i++)
		if (!globMatch(patternParts[i] as GlobPattern, parts[i] as string))
			return false;
	return true;
}

// Each matcher is built in its own small function so that its closure retains only what it
// uses (closures created in one scope share a context in V8), keeping 100,000 policies small.
function literalArn(text: string): ArnMatcher {
	return (target) => target.parts !== undefined && target.text === text;
}

function prefixArn(
	prefix: string,
	last: (value: string) => boolean,
): ArnMatcher {
	return ({ text, parts }) =>
		parts !== undefined && text.startsWith(prefix) && last(parts[5] as string);
}

function partsArn(split: readonly GlobPattern[]): ArnMatcher {
	return ({ parts }) => parts !== undefined && matchParts(split, parts);
}

function templatedArn(template: Template): ArnMatcher {
	return ({ parts }, ctx) => {
		if (parts === undefined) return false;
		const pieces = resolveTemplate(template, ctx);
		if (pieces === undefined) return false;
		const split = splitPattern(globFromPieces(pieces));
		return split !== undefined && matchParts(split, parts);
	};
}

/**
 * Compiles an ARN pattern template (ArnLike/ArnEquals values and Resource elements). Static
 * patterns take a fast path: no wildcard at all is whole-string equality; wildcards only in the
 * resource component are a prefix comparison (the prefix holds exactly five colons, so equal
 * prefixes mean equal first five components) plus one glob.
 */
export function compileArnMatcher(template: Template): ArnMatcher {
	if (template.hasVariables) return templatedArn(template);
	const pattern = globFromPieces(
		template.pieces.map((p) => ({
			text: p.kind === "var" ? "" : p.text,
			active: p.kind === "text",
		})),
	);
	const split = splitPattern(pattern);
	if (split === undefined) return () => false;
	if (isLiteral(pattern)) return literalArn(pattern.text);
	const last = split[5] as GlobPattern;
	if (split.slice(0, 5).every(isLiteral))
		return prefixArn(
			pattern.text.slice(0, pattern.text.length - last.text.length),
			compileGlob(last),
		);
	return partsArn(split);
}
