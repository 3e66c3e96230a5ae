/**
 * A small strict schema checker for Sigil's config surfaces (stack file, function config, server
 * options). Each rule returns the value it accepts or records an error at its key path, so one
 * pass reports every problem with where it is (`functions.hello.trigger.auth`). Unknown keys are
 * errors: a typo must never be silently ignored.
 */
export interface SchemaIssue {
	readonly path: string;
	readonly message: string;
}

export type Rule<T> = (
	value: unknown,
	path: string,
	issues: SchemaIssue[],
) => T | undefined;

const describe = (value: unknown): string =>
	value === null
		? "null"
		: Array.isArray(value)
			? "a list"
			: typeof value === "object"
				? "a mapping"
				: JSON.stringify(value);

export function str(
	opts: { pattern?: RegExp; hint?: string; min?: number; max?: number } = {},
): Rule<string> {
	return (value, path, issues) => {
		if (typeof value !== "string")
			return void issues.push({
				path,
				message: `must be a string, got ${describe(value)}`,
			});
		if (opts.min !== undefined && value.length < opts.min)
			return void issues.push({
				path,
				message: `must be at least ${opts.min} characters`,
			});
		if (opts.max !== undefined && value.length > opts.max)
			return void issues.push({
				path,
				message: `must be at most ${opts.max} characters`,
			});
		if (opts.pattern && !opts.pattern.test(value))
			return void issues.push({
				path,
				message: `must be ${opts.hint ?? `like ${opts.pattern}`}, got ${JSON.stringify(value)}`,
			});
		return value;
	};
}

export function oneOf<const T extends string>(choices: readonly T[]): Rule<T> {
	return (value, path, issues) => {
		if (
			typeof value === "string" &&
			(choices as readonly string[]).includes(value)
		)
			return value as T;
		issues.push({
			path,
			message: `must be one of ${choices.join(", ")}, got ${describe(value)}`,
		});
		return undefined;
	};
}

export function int(min: number, max: number): Rule<number> {
	return (value, path, issues) => {
		if (
			typeof value !== "number" ||
			!Number.isInteger(value) ||
			value < min ||
			value > max
		)
			return void issues.push({
				path,
				message: `must be a whole number from ${min} to ${max}, got ${describe(value)}`,
			});
		return value;
	};
}

export function bool(): Rule<boolean> {
	return (value, path, issues) => {
		if (typeof value !== "boolean")
			return void issues.push({
				path,
				message: `must be true or false, got ${describe(value)}`,
			});
		return value;
	};
}

export function list<T>(
	item: Rule<T>,
	opts: { max?: number; min?: number } = {},
): Rule<T[]> {
	return (value, path, issues) => {
		if (!Array.isArray(value))
			return void issues.push({
				path,
				message: `must be a list, got ${describe(value)}`,
			});
		if (opts.max !== undefined && value.length > opts.max)
			return void issues.push({
				path,
				message: `must have at most ${opts.max} entries`,
			});
		if (opts.min !== undefined && value.length < opts.min)
			return void issues.push({
				path,
				message: `must have at least ${opts.min} entries`,
			});
		const out: T[] = [];
		value.forEach((v, i) => {
			const r = item(v, `${path}[${i}]`, issues);
			if (r !== undefined) out.push(r);
		});
		return out;
	};
}

export function record<T>(
	item: Rule<T>,
	key: Rule<string> = str(),
): Rule<Record<string, T>> {
	return (value, path, issues) => {
		if (value === null || typeof value !== "object" || Array.isArray(value))
			return void issues.push({
				path,
				message: `must be a mapping, got ${describe(value)}`,
			});
		const out: Record<string, T> = {};
		for (const [k, v] of Object.entries(value)) {
			if (key(k, `${path}.${k}`, issues) === undefined) continue;
			const r = item(v, `${path}.${k}`, issues);
			if (r !== undefined) out[k] = r;
		}
		return out;
	};
}

type Shape = Record<string, { rule: Rule<unknown>; required?: boolean }>;
type FromShape<S extends Shape> = {
	[K in keyof S as S[K]["required"] extends true ? K : never]: Exclude<
		ReturnType<S[K]["rule"]>,
		undefined
	>;
} & {
	[K in keyof S as S[K]["required"] extends true ? never : K]?: Exclude<
		ReturnType<S[K]["rule"]>,
		undefined
	>;
};

/** A mapping with exactly these keys; unknown keys are errors. */
export function obj<S extends Shape>(shape: S): Rule<FromShape<S>> {
	return (value, path, issues) => {
		if (value === null || typeof value !== "object" || Array.isArray(value))
			return void issues.push({
				path: path || "(top)",
				message: `must be a mapping, got ${describe(value)}`,
			});
		const out: Record<string, unknown> = {};
		const input = value as Record<string, unknown>;
		for (const k of Object.keys(input)) {
			if (!Object.hasOwn(shape, k))
				issues.push({
					path: join(path, k),
					message: `is not a known key (known: ${Object.keys(shape).join(", ")})`,
				});
		}
		for (const [k, spec] of Object.entries(shape)) {
			if (input[k] === undefined) {
				if (spec.required)
					issues.push({ path: join(path, k), message: "is required" });
				continue;
			}
			const r = spec.rule(input[k], join(path, k), issues);
			if (r !== undefined) out[k] = r;
		}
		return out as FromShape<S>;
	};
}

export const req = <T>(rule: Rule<T>) => ({ rule, required: true as const });
export const opt = <T>(rule: Rule<T>) => ({ rule, required: false as const });

function join(path: string, key: string): string {
	return path ? `${path}.${key}` : key;
}

/** Runs a rule; returns the value or every issue found. */
export function check<T>(
	rule: Rule<T>,
	value: unknown,
	path = "",
): { ok: true; value: T } | { ok: false; issues: SchemaIssue[] } {
	const issues: SchemaIssue[] = [];
	const result = rule(value, path, issues);
	if (issues.length > 0 || result === undefined) return { ok: false, issues };
	return { ok: true, value: result };
}

/** Deep-freezes a validated config so nothing mutates it after start-up. */
export function deepFreeze<T>(value: T): T {
	if (value && typeof value === "object" && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const v of Object.values(value)) deepFreeze(v);
	}
	return value;
}
