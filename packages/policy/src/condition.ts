/**
 * The Condition element: `{ Operator: { key: value | [values] } }`. AWS's evaluation rules
 * (IAM User Guide, "Condition element" → "Creating a condition with multiple keys or values"
 * and "Single-valued vs. multivalued context keys"):
 * - several operators, and several keys under one operator: all must hold (AND);
 * - several values for one key: any may match (OR); for a negated operator the context value
 *   must match none of them;
 * - a key missing from the request: positive operators are false, negated operators true;
 *   `…IfExists` makes a missing key true; `Null: true` holds exactly when the key is missing;
 * - `ForAnyValue:` holds when at least one context value matches (false on a missing key);
 *   `ForAllValues:` when every context value matches (true on a missing or empty key).
 */
import { OPERATORS, type ValueTest } from "./operators.ts";
import type { PolicyError, ResolvedContext } from "./types.ts";

type Qualifier = "none" | "any" | "all";

interface KeyCheck {
	readonly key: string;
	readonly qualifier: Qualifier;
	readonly negated: boolean;
	readonly ifExists: boolean;
	/** For `Null`: which presence the values ask for (`true` = must be absent). */
	readonly nullValues?: readonly boolean[];
	readonly tests: readonly ValueTest[];
}

const OPERATOR_NAME =
	/^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/;

function policyValues(raw: unknown): string[] | undefined {
	const list = Array.isArray(raw) ? raw : [raw];
	if (list.length === 0) return undefined;
	const out: string[] = [];
	for (const v of list) {
		if (typeof v === "string") out.push(v);
		else if (typeof v === "number" && Number.isFinite(v)) out.push(String(v));
		else if (typeof v === "boolean") out.push(v ? "true" : "false");
		else return undefined;
	}
	return out;
}

/**
 * Whether `value` matches any policy value. A value whose policy variable cannot be resolved
 * never satisfies the operator: it does not match for a positive operator, and for a negated
 * one it counts as matched, so "matches none of the values" fails.
 */
function anyMatch(
	tests: readonly ValueTest[],
	value: string,
	ctx: ResolvedContext,
	negated: boolean,
): boolean {
	for (const t of tests) {
		const r = t(value, ctx);
		if (r === undefined ? negated : r) return true;
	}
	return false;
}

function checkKey(c: KeyCheck, ctx: ResolvedContext): boolean {
	const values = ctx.get(c.key);
	// Null asks about presence only: a key sent with an empty set of values is present.
	if (c.nullValues !== undefined)
		return c.nullValues.some(
			(wantAbsent) => wantAbsent === (values === undefined),
		);
	if (values === undefined || values.length === 0) {
		if (c.qualifier === "all") return true;
		if (c.ifExists) return true;
		if (c.qualifier === "any") return false;
		return c.negated;
	}
	// Per context value: does it satisfy the (possibly negated) operator?
	let some = false;
	let every = true;
	for (const v of values) {
		if (anyMatch(c.tests, v, ctx, c.negated) !== c.negated) some = true;
		else every = false;
	}
	// ForAllValues: every value; ForAnyValue: some value. Unqualified negated operators on a
	// multi-valued key require that no value matches; unqualified positive ones that some does.
	if (c.qualifier === "all") return every;
	if (c.qualifier === "none" && c.negated) return every;
	return some;
}

/** Compiles a Condition element, pushing validation errors under `path`; returns the predicate. */
export function compileCondition(
	raw: unknown,
	path: string,
	variables: boolean,
	errors: PolicyError[],
): (ctx: ResolvedContext) => boolean {
	if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
		errors.push({
			path,
			code: "INVALID_CONDITION",
			message: "Condition must be an object of operators",
		});
		return () => false;
	}
	const checks: KeyCheck[] = [];
	for (const [opName, block] of Object.entries(raw)) {
		const opPath = `${path}.${opName}`;
		const m = OPERATOR_NAME.exec(opName);
		const spec = m ? OPERATORS.get(m[2] as string) : undefined;
		if (!m || spec === undefined) {
			errors.push({
				path: opPath,
				code: "UNKNOWN_CONDITION_OPERATOR",
				message: `unknown condition operator "${opName}"`,
			});
			continue;
		}
		const qualifier: Qualifier =
			m[1] === "ForAnyValue" ? "any" : m[1] === "ForAllValues" ? "all" : "none";
		const ifExists = m[3] !== undefined;
		if (!spec.qualifiable && (ifExists || qualifier !== "none")) {
			errors.push({
				path: opPath,
				code: "UNKNOWN_CONDITION_OPERATOR",
				message: `"${opName}": Null takes no IfExists or set qualifier`,
			});
			continue;
		}
		if (typeof block !== "object" || block === null || Array.isArray(block)) {
			errors.push({
				path: opPath,
				code: "INVALID_CONDITION",
				message: `"${opName}" must map condition keys to values`,
			});
			continue;
		}
		for (const [key, rawValues] of Object.entries(block)) {
			const keyPath = `${opPath}.${key}`;
			if (key === "" || /\s/.test(key)) {
				errors.push({
					path: keyPath,
					code: "INVALID_CONDITION_KEY",
					message: `invalid condition key "${key}"`,
				});
				continue;
			}
			const values = policyValues(rawValues);
			if (values === undefined) {
				errors.push({
					path: keyPath,
					code: "INVALID_CONDITION_VALUE",
					message:
						"values must be a string, number or boolean, or a non-empty list of them",
				});
				continue;
			}
			const tests: ValueTest[] = [];
			for (const [i, v] of values.entries()) {
				const compiled = spec.compile(v, variables);
				if (compiled.ok) tests.push(compiled.test);
				else
					errors.push({
						path: Array.isArray(rawValues) ? `${keyPath}[${i}]` : keyPath,
						code: "INVALID_CONDITION_VALUE",
						message: compiled.message,
					});
			}
			const check: KeyCheck = {
				key: key.toLowerCase(),
				qualifier,
				negated: spec.negated,
				ifExists,
				tests,
			};
			checks.push(
				spec.qualifiable
					? check
					: {
							...check,
							nullValues: values.map((v) => v.toLowerCase() === "true"),
						},
			);
		}
	}
	if (checks.length === 0) return () => true;
	return (ctx) => {
		for (const c of checks) if (!checkKey(c, ctx)) return false;
		return true;
	};
}
