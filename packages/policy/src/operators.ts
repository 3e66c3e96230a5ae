/**
 * The condition operators of IAM (IAM User Guide, "IAM JSON policy elements: Condition
 * operators"). Each operator compiles one policy value into a positive test over one context
 * value; negated operators (`StringNotEquals`, `NotIpAddress`, …) are evaluated by the condition
 * block as "matches none of the values", so the table only records that they are negated.
 */
import { Buffer } from "node:buffer";
import { compileArnMatcher, splitArn } from "./arn.ts";
import { cidrContains, parseCidr, parseIp } from "./ip.ts";
import { compileStringMatcher } from "./string-matcher.ts";
import type { ResolvedContext } from "./types.ts";
import { parseTemplate, resolveTemplate, type Template } from "./variables.ts";

/**
 * A positive test of one context value against one policy value; `undefined` when the policy
 * value holds a policy variable that the request cannot resolve (the condition then fails).
 */
export type ValueTest = (
	contextValue: string,
	ctx: ResolvedContext,
) => boolean | undefined;

export type CompiledValue =
	| { readonly ok: true; readonly test: ValueTest }
	| { readonly ok: false; readonly message: string };

export interface OperatorSpec {
	readonly negated: boolean;
	/** Whether `…IfExists` and the set qualifiers apply (all but `Null`). */
	readonly qualifiable: boolean;
	/** Compiles a policy value; `variables` is true in 2012-10-17 documents. */
	readonly compile: (policyValue: string, variables: boolean) => CompiledValue;
}

type Compare = (a: number, b: number) => boolean;

/**
 * Wraps a test so that a value whose policy variable has no value in the request (and no
 * default) answers `undefined`: the variable cannot be substituted, so the comparison with that
 * value fails whatever the operator (IAM User Guide, "Variables and tags": a variable for a key
 * that is not in the request context cannot match).
 */
function unresolvable(template: Template, test: ValueTest): ValueTest {
	if (!template.hasVariables) return test;
	return (v, ctx) =>
		resolveTemplate(template, ctx) === undefined ? undefined : test(v, ctx);
}

function stringOp(glob: boolean, ignoreCase: boolean): OperatorSpec["compile"] {
	return (value, variables) => {
		const t = parseTemplate(value, variables);
		if (!t.ok) return t;
		const m = compileStringMatcher(t.template, { glob, ignoreCase });
		const test: ValueTest = ignoreCase
			? (v, ctx) => m(v.toLowerCase(), ctx)
			: m;
		return { ok: true, test: unresolvable(t.template, test) };
	};
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(text: string): number | undefined {
	return NUMBER.test(text.trim()) ? Number(text) : undefined;
}

function numericOp(cmp: Compare): OperatorSpec["compile"] {
	return (value) => {
		const expected = parseNumber(value);
		if (expected === undefined)
			return { ok: false, message: `"${value}" is not a number` };
		return {
			ok: true,
			test: (v) => {
				const actual = parseNumber(v);
				return actual !== undefined && cmp(actual, expected);
			},
		};
	};
}

/** Dates are ISO 8601 (W3C profile) or POSIX epoch seconds, as the Date operators accept. */
export function parseDate(text: string): number | undefined {
	const n = parseNumber(text);
	if (n !== undefined) return n * 1000;
	if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
	const ms = Date.parse(text);
	return Number.isNaN(ms) ? undefined : ms;
}

function dateOp(cmp: Compare): OperatorSpec["compile"] {
	return (value) => {
		const expected = parseDate(value);
		if (expected === undefined)
			return {
				ok: false,
				message: `"${value}" is not an ISO 8601 date or epoch seconds`,
			};
		return {
			ok: true,
			test: (v) => {
				const actual = parseDate(v);
				return actual !== undefined && cmp(actual, expected);
			},
		};
	};
}

const boolOp: OperatorSpec["compile"] = (value) => {
	const lower = value.toLowerCase();
	if (lower !== "true" && lower !== "false")
		return { ok: false, message: `"${value}" is not true or false` };
	return { ok: true, test: (v) => v.toLowerCase() === lower };
};

const BASE64 =
	/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const binaryOp: OperatorSpec["compile"] = (value) => {
	if (!BASE64.test(value))
		return { ok: false, message: `"${value}" is not base64` };
	const expected = Buffer.from(value, "base64");
	return {
		ok: true,
		test: (v) => BASE64.test(v) && Buffer.from(v, "base64").equals(expected),
	};
};

const ipOp: OperatorSpec["compile"] = (value) => {
	const block = parseCidr(value);
	if (block === undefined)
		return {
			ok: false,
			message: `"${value}" is not an IPv4 or IPv6 address or CIDR block`,
		};
	return {
		ok: true,
		test: (v) => {
			const ip = parseIp(v);
			return ip !== undefined && cidrContains(block, ip);
		},
	};
};

// ArnEquals and ArnLike behave the same: both accept wildcards in each ARN component.
const arnOp: OperatorSpec["compile"] = (value, variables) => {
	const t = parseTemplate(value, variables);
	if (!t.ok) return t;
	const m = compileArnMatcher(t.template);
	return {
		ok: true,
		test: unresolvable(t.template, (v, ctx) =>
			m({ text: v, parts: splitArn(v) }, ctx),
		),
	};
};

const nullOp: OperatorSpec["compile"] = (value) => {
	const lower = value.toLowerCase();
	if (lower !== "true" && lower !== "false")
		return { ok: false, message: `"${value}" is not true or false` };
	// Evaluated specially by the condition block (presence of the key), never per value.
	return { ok: true, test: () => lower === "true" };
};

function op(compile: OperatorSpec["compile"], negated = false): OperatorSpec {
	return { compile, negated, qualifiable: true };
}

/** Base operator name → spec. Names are case-sensitive, as IAM writes them. */
export const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map<
	string,
	OperatorSpec
>([
	["StringEquals", op(stringOp(false, false))],
	["StringNotEquals", op(stringOp(false, false), true)],
	["StringEqualsIgnoreCase", op(stringOp(false, true))],
	["StringNotEqualsIgnoreCase", op(stringOp(false, true), true)],
	["StringLike", op(stringOp(true, false))],
	["StringNotLike", op(stringOp(true, false), true)],
	["NumericEquals", op(numericOp((a, b) => a === b))],
	[
		"NumericNotEquals",
		op(
			numericOp((a, b) => a === b),
			true,
		),
	],
	["NumericLessThan", op(numericOp((a, b) => a < b))],
	["NumericLessThanEquals", op(numericOp((a, b) => a <= b))],
	["NumericGreaterThan", op(numericOp((a, b) => a > b))],
	["NumericGreaterThanEquals", op(numericOp((a, b) => a >= b))],
	["DateEquals", op(dateOp((a, b) => a === b))],
	[
		"DateNotEquals",
		op(
			dateOp((a, b) => a === b),
			true,
		),
	],
	["DateLessThan", op(dateOp((a, b) => a < b))],
	["DateLessThanEquals", op(dateOp((a, b) => a <= b))],
	["DateGreaterThan", op(dateOp((a, b) => a > b))],
	["DateGreaterThanEquals", op(dateOp((a, b) => a >= b))],
	["Bool", op(boolOp)],
	["BinaryEquals", op(binaryOp)],
	["IpAddress", op(ipOp)],
	["NotIpAddress", op(ipOp, true)],
	["ArnEquals", op(arnOp)],
	["ArnLike", op(arnOp)],
	["ArnNotEquals", op(arnOp, true)],
	["ArnNotLike", op(arnOp, true)],
	["Null", { compile: nullOp, negated: false, qualifiable: false }],
]);
