/**
 * `parsePolicy`: validates an IAM JSON policy document when it is written and compiles it once.
 * Grammar: IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM JSON policy
 * language". Every problem is reported with its place in the document
 * (`Statement[2].Condition.StringEquals`), all at once rather than first-only.
 */

import { indexByAction } from "./action-index.ts";
import { type CompileCache, memo } from "./compile-cache.ts";
import { checkSid, compileStatement } from "./statement.ts";
import type {
	CompiledPolicy,
	CompiledStatement,
	ParseResult,
	PolicyError,
	PolicyKind,
} from "./types.ts";

export { type CompileCache, createCompileCache } from "./compile-cache.ts";

export interface ParseOptions {
	/** Share compiled matchers across policies (see {@link CompileCache}). */
	readonly cache?: CompileCache;
	/**
	 * Maximum size in non-whitespace characters. Defaults follow AWS quotas: managed identity
	 * policy 6,144; Lambda function (resource) policy 20 KB; role trust policy 2,048.
	 */
	readonly maxSize?: number;
}

const DEFAULT_MAX_SIZE: Record<PolicyKind, number> = {
	identity: 6144,
	resource: 20480,
	trust: 2048,
};
const VERSIONS = new Set(["2012-10-17", "2008-10-17"]);
const TOP_FIELDS = new Set(["Version", "Id", "Statement"]);

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function documentSize(input: unknown): number {
	const text =
		typeof input === "string" ? input : (JSON.stringify(input) ?? "");
	let size = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c !== 32 && c !== 9 && c !== 10 && c !== 13) size++;
	}
	return size;
}

/**
 * Validates and compiles a policy document.
 * @param input JSON text or an already parsed value.
 * @param kind `identity` (no Principal), `resource` (Principal required), `trust` (Principal required, no Resource).
 * @example parsePolicy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"lambda:*","Resource":"*"}}', "identity")
 */
export function parsePolicy(
	input: unknown,
	kind: PolicyKind,
	options: ParseOptions = {},
): ParseResult {
	const errors: PolicyError[] = [];
	let doc: unknown = input;
	if (typeof input === "string") {
		try {
			doc = JSON.parse(input);
		} catch (e) {
			return {
				ok: false,
				errors: [
					{
						path: "",
						code: "INVALID_JSON",
						message: `not valid JSON: ${(e as Error).message}`,
					},
				],
			};
		}
	}
	const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE[kind];
	const size = documentSize(input);
	if (size > maxSize)
		errors.push({
			path: "",
			code: "POLICY_TOO_LARGE",
			message: `${size} characters (without whitespace) exceeds the ${kind} policy limit of ${maxSize}`,
		});
	if (!isObject(doc))
		return {
			ok: false,
			errors: [
				...errors,
				{
					path: "",
					code: "INVALID_DOCUMENT",
					message: "a policy must be a JSON object",
				},
			],
		};

	for (const field of Object.keys(doc)) {
		if (!TOP_FIELDS.has(field))
			errors.push({
				path: field,
				code: "UNKNOWN_FIELD",
				message: `unknown field "${field}" (Version, Id, Statement)`,
			});
	}
	// A document without Version is evaluated as 2008-10-17 by AWS: policy variables stay literal.
	let version: CompiledPolicy["version"] = "2008-10-17";
	if (doc.Version !== undefined) {
		if (typeof doc.Version === "string" && VERSIONS.has(doc.Version))
			version = doc.Version as CompiledPolicy["version"];
		else
			errors.push({
				path: "Version",
				code: "INVALID_VERSION",
				message: `Version must be "2012-10-17" (or the legacy "2008-10-17"), not ${JSON.stringify(doc.Version)}`,
			});
	}
	if (doc.Id !== undefined && typeof doc.Id !== "string")
		errors.push({
			path: "Id",
			code: "INVALID_ID",
			message: "Id must be a string",
		});
	const variables = version === "2012-10-17";

	const rawStatements = doc.Statement;
	if (rawStatements === undefined)
		errors.push({
			path: "Statement",
			code: "MISSING_STATEMENT",
			message: "a policy needs a Statement",
		});
	const list =
		rawStatements === undefined
			? []
			: Array.isArray(rawStatements)
				? rawStatements
				: [rawStatements];
	const statements: CompiledStatement[] = [];
	const sids = new Set<string>();
	for (const [index, raw] of list.entries()) {
		const path = Array.isArray(rawStatements)
			? `Statement[${index}]`
			: "Statement";
		if (!isObject(raw)) {
			errors.push({
				path,
				code: "INVALID_STATEMENT",
				message: "a statement must be an object",
			});
			continue;
		}
		const beforeSid = errors.length;
		const sid = checkSid(raw, path, sids, errors);
		const build = () =>
			compileStatement(
				raw,
				index,
				path,
				kind,
				variables,
				sid,
				errors,
				options.cache,
			);
		// Identical statements at the same position share one compiled statement (templates);
		// only when the Sid was valid here, since the compiled statement carries it.
		const compiled =
			errors.length === beforeSid
				? memo(
						options.cache,
						`S:${kind}:${variables}:${index}:${JSON.stringify(raw)}`,
						errors,
						build,
					)
				: build();
		if (compiled !== undefined) statements.push(compiled);
	}
	if (errors.length > 0) return { ok: false, errors };
	const policy: CompiledPolicy = {
		kind,
		version,
		statements,
		...indexByAction(statements),

		...(typeof doc.Id === "string" ? { id: doc.Id } : {}),
	};
	return { ok: true, policy: Object.freeze(policy) };
}
