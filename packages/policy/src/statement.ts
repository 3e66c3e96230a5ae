/**
 * One statement of a policy: validated element by element (IAM User Guide, "IAM JSON policy
 * element reference": Sid, Effect, Principal/NotPrincipal, Action/NotAction,
 * Resource/NotResource, Condition) and compiled into matchers, with errors under the
 * statement's path.
 */
import { checkArnPattern, compileArnMatcher } from "./arn.ts";
import { type CompileCache, memo } from "./compile-cache.ts";
import { compileCondition } from "./condition.ts";
import { compileGlob, globFromText } from "./glob.ts";
import { compilePrincipal } from "./principal.ts";
import type {
	CompiledStatement,
	PolicyError,
	PolicyKind,
	ResolvedContext,
	ResourceTarget,
} from "./types.ts";
import { literalText, parseTemplate } from "./variables.ts";

const STATEMENT_FIELDS = new Set([
	"Sid",
	"Effect",
	"Principal",
	"NotPrincipal",
	"Action",
	"NotAction",
	"Resource",
	"NotResource",
	"Condition",
]);
const ACTION = /^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/;
const SID = /^[\w.-]*$/;

/** Strings of a `string | string[]` element, reporting non-strings and empty lists. */
function stringList(
	raw: unknown,
	path: string,
	code: string,
	errors: PolicyError[],
): { value: string; path: string }[] {
	const list = Array.isArray(raw) ? raw : [raw];
	if (list.length === 0)
		errors.push({ path, code, message: "must not be an empty list" });
	const out: { value: string; path: string }[] = [];
	for (const [i, v] of list.entries()) {
		const at = Array.isArray(raw) ? `${path}[${i}]` : path;
		if (typeof v === "string") out.push({ value: v, path: at });
		else errors.push({ path: at, code, message: "must be a string" });
	}
	return out;
}

/** One predicate for a list of alternatives; a single alternative is returned as is. */
function anyAction(tests: ((a: string) => boolean)[]): (a: string) => boolean {
	if (tests.length === 1) return tests[0] as (a: string) => boolean;
	return (a) => {
		for (const t of tests) if (t(a)) return true;
		return false;
	};
}

type ResourceTest = (r: ResourceTarget, ctx: ResolvedContext) => boolean;

function anyResource(tests: ResourceTest[]): ResourceTest {
	if (tests.length === 1) return tests[0] as ResourceTest;
	return (r, ctx) => {
		for (const t of tests) if (t(r, ctx)) return true;
		return false;
	};
}

function compileActions(
	raw: unknown,
	path: string,
	errors: PolicyError[],
): (a: string) => boolean {
	const tests: ((a: string) => boolean)[] = [];
	for (const { value, path: at } of stringList(
		raw,
		path,
		"INVALID_ACTION",
		errors,
	)) {
		if (value !== "*" && !ACTION.test(value)) {
			errors.push({
				path: at,
				code: "INVALID_ACTION",
				message: `"${value}" is not "*" or service:Action (wildcards * and ? allowed)`,
			});
			continue;
		}
		// Actions are case-insensitive: compile lower-cased, the evaluator lower-cases the request's once.
		tests.push(compileGlob(globFromText(value.toLowerCase())));
	}
	return anyAction(tests);
}

/** The lower-cased actions of an Action element without wildcards; undefined otherwise. */
function literalActions(raw: unknown): string[] | undefined {
	if (raw === undefined) return undefined;
	const list = Array.isArray(raw) ? raw : [raw];
	const out: string[] = [];
	for (const a of list) {
		if (typeof a !== "string" || a.includes("*") || a.includes("?"))
			return undefined;
		out.push(a.toLowerCase());
	}
	return out;
}

function compileResources(
	raw: unknown,
	path: string,
	variables: boolean,
	errors: PolicyError[],
): (r: ResourceTarget, ctx: ResolvedContext) => boolean {
	const tests: ((r: ResourceTarget, ctx: ResolvedContext) => boolean)[] = [];
	for (const { value, path: at } of stringList(
		raw,
		path,
		"INVALID_RESOURCE",
		errors,
	)) {
		if (value === "*") {
			tests.push(() => true);
			continue;
		}
		const t = parseTemplate(value, variables);
		if (!t.ok) {
			errors.push({ path: at, code: "INVALID_VARIABLE", message: t.message });
			continue;
		}
		const shape = t.template.pieces
			.map((p) => (p.kind === "var" ? "x" : p.text))
			.join("");
		const problem = checkArnPattern(
			t.template.hasVariables ? shape : literalText(t.template),
		);
		if (problem !== undefined) {
			errors.push({ path: at, code: "INVALID_ARN", message: problem });
			continue;
		}
		const m = compileArnMatcher(t.template);
		tests.push(m);
	}
	return anyResource(tests);
}

/** Validates the Sid (letters, digits, `_-.`; unique within the document) and returns it. */
export function checkSid(
	s: Record<string, unknown>,
	path: string,
	sids: Set<string>,
	errors: PolicyError[],
): string | undefined {
	let sid: string | undefined;
	if (s.Sid !== undefined) {
		if (typeof s.Sid !== "string" || !SID.test(s.Sid))
			errors.push({
				path: `${path}.Sid`,
				code: "INVALID_SID",
				message: "Sid must be letters, digits, '_', '-' or '.'",
			});
		else if (s.Sid !== "" && sids.has(s.Sid))
			errors.push({
				path: `${path}.Sid`,
				code: "DUPLICATE_SID",
				message: `Sid "${s.Sid}" is used twice`,
			});
		else {
			sid = s.Sid;
			sids.add(s.Sid);
		}
	}
	return sid;
}

/** Validates and compiles one statement; undefined when it has errors (pushed to `errors`). */
export function compileStatement(
	s: Record<string, unknown>,
	index: number,
	path: string,
	kind: PolicyKind,
	variables: boolean,
	sid: string | undefined,
	errors: PolicyError[],
	cache: CompileCache | undefined,
): CompiledStatement | undefined {
	const before = errors.length;
	for (const field of Object.keys(s)) {
		if (!STATEMENT_FIELDS.has(field))
			errors.push({
				path: `${path}.${field}`,
				code: "UNKNOWN_FIELD",
				message: `unknown statement field "${field}"`,
			});
	}
	if (s.Effect === undefined)
		errors.push({
			path: `${path}.Effect`,
			code: "MISSING_EFFECT",
			message: 'Effect is required ("Allow" or "Deny")',
		});
	else if (s.Effect !== "Allow" && s.Effect !== "Deny")
		errors.push({
			path: `${path}.Effect`,
			code: "INVALID_EFFECT",
			message: `Effect must be "Allow" or "Deny", not ${JSON.stringify(s.Effect)}`,
		});

	// Action / NotAction: exactly one (IAM grammar: <action_block>).
	let matchAction: (a: string) => boolean = () => false;
	if (s.Action !== undefined && s.NotAction !== undefined)
		errors.push({
			path: `${path}.NotAction`,
			code: "ACTION_AND_NOTACTION",
			message: "a statement has Action or NotAction, not both",
		});
	else if (s.Action !== undefined)
		matchAction = memo(cache, `A:${JSON.stringify(s.Action)}`, errors, () =>
			compileActions(s.Action, `${path}.Action`, errors),
		);
	else if (s.NotAction !== undefined) {
		matchAction = memo(
			cache,
			`NA:${JSON.stringify(s.NotAction)}`,
			errors,
			() => {
				const inner = compileActions(s.NotAction, `${path}.NotAction`, errors);
				return (a: string) => !inner(a);
			},
		);
	} else
		errors.push({
			path: `${path}.Action`,
			code: "MISSING_ACTION",
			message: "a statement needs Action or NotAction",
		});

	// Resource / NotResource: exactly one, except in trust policies where the role is the resource.
	let matchResource: CompiledStatement["matchResource"] = () => true;
	if (kind === "trust") {
		for (const f of ["Resource", "NotResource"]) {
			if (s[f] !== undefined)
				errors.push({
					path: `${path}.${f}`,
					code: "RESOURCE_IN_TRUST_POLICY",
					message: `a trust policy has no ${f}: the role is the resource`,
				});
		}
	} else if (s.Resource !== undefined && s.NotResource !== undefined)
		errors.push({
			path: `${path}.NotResource`,
			code: "RESOURCE_AND_NOTRESOURCE",
			message: "a statement has Resource or NotResource, not both",
		});
	else if (s.Resource !== undefined)
		matchResource = memo(
			cache,
			`R:${variables}:${JSON.stringify(s.Resource)}`,
			errors,
			() => compileResources(s.Resource, `${path}.Resource`, variables, errors),
		);
	else if (s.NotResource !== undefined) {
		matchResource = memo(
			cache,
			`NR:${variables}:${JSON.stringify(s.NotResource)}`,
			errors,
			() => {
				const inner = compileResources(
					s.NotResource,
					`${path}.NotResource`,
					variables,
					errors,
				);
				return (r: ResourceTarget, ctx: ResolvedContext) => !inner(r, ctx);
			},
		);
	} else
		errors.push({
			path: `${path}.Resource`,
			code: "MISSING_RESOURCE",
			message: "a statement needs Resource or NotResource",
		});

	// Principal / NotPrincipal: forbidden in identity policies, exactly one in resource and trust policies.
	let matchPrincipal: CompiledStatement["matchPrincipal"];
	if (kind === "identity") {
		for (const f of ["Principal", "NotPrincipal"]) {
			if (s[f] !== undefined)
				errors.push({
					path: `${path}.${f}`,
					code: "PRINCIPAL_IN_IDENTITY_POLICY",
					message: `an identity-based policy cannot name a ${f}: it applies to the identity it is attached to`,
				});
		}
	} else if (s.Principal !== undefined && s.NotPrincipal !== undefined)
		errors.push({
			path: `${path}.NotPrincipal`,
			code: "PRINCIPAL_AND_NOTPRINCIPAL",
			message: "a statement has Principal or NotPrincipal, not both",
		});
	else if (s.Principal !== undefined)
		matchPrincipal = memo(
			cache,
			`P:${JSON.stringify(s.Principal)}`,
			errors,
			() => compilePrincipal(s.Principal, false, `${path}.Principal`, errors),
		);
	else if (s.NotPrincipal !== undefined)
		matchPrincipal = memo(
			cache,
			`NP:${JSON.stringify(s.NotPrincipal)}`,
			errors,
			() =>
				compilePrincipal(s.NotPrincipal, true, `${path}.NotPrincipal`, errors),
		);
	else
		errors.push({
			path: `${path}.Principal`,
			code: "MISSING_PRINCIPAL",
			message: `a ${kind} policy statement must name a Principal`,
		});

	const matchCondition =
		s.Condition === undefined
			? () => true
			: memo(
					cache,
					`C:${variables}:${JSON.stringify(s.Condition)}`,
					errors,
					() =>
						compileCondition(
							s.Condition,
							`${path}.Condition`,
							variables,
							errors,
						),
				);
	if (errors.length > before) return undefined;
	// Every statement has the same fields in the same order (absent ones undefined), so the
	// evaluator's property reads stay monomorphic.
	return {
		index,
		sid: sid === "" ? undefined : sid,
		effect: s.Effect as "Allow" | "Deny",
		actions: literalActions(s.Action),
		matchAction,
		matchResource,
		matchPrincipal,
		matchCondition,
	};
}
