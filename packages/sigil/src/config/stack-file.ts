/**
 * `sigil.yml`: the stack file that declares functions, in the spirit of faas-cli's stack.yml.
 *
 *     version: 1
 *     functions:
 *       hello:
 *         runtime: node
 *         handler: ./hello
 *         trigger: { auth: aws_iam }
 */
import { isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import {
	type FunctionConfigInput,
	NAME_PATTERN,
	parseFunctionConfig,
} from "./function-config.ts";
import type { SchemaIssue } from "./schema.ts";

export interface StackFunction {
	readonly name: string;
	/** The entry as written (validated), sent to the gateway as the function's config. */
	readonly config: FunctionConfigInput;
	/** Absolute handler folder, resolved against the stack file's folder. */
	readonly handlerDir?: string;
}

export interface StackFile {
	readonly gateway?: string;
	readonly functions: readonly StackFunction[];
}

export class StackFileError extends Error {
	readonly code = "STACK_FILE_INVALID";
	readonly issues: readonly SchemaIssue[];
	constructor(file: string, issues: readonly SchemaIssue[]) {
		super(
			`${file} is not a valid stack file:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
		);
		this.name = "StackFileError";
		this.issues = issues;
	}
}

/** Parses and validates a stack file's text; `baseDir` resolves relative handler paths. */
export function parseStackFile(
	text: string,
	file: string,
	baseDir: string,
): StackFile {
	const doc = parseDocument(text, { uniqueKeys: true });
	if (doc.errors.length > 0)
		throw new StackFileError(
			file,
			doc.errors.map((e) => ({
				path: `line ${e.linePos?.[0]?.line ?? "?"}`,
				message: e.message.split("\n")[0] ?? e.message,
			})),
		);
	const raw: unknown = doc.toJS();
	const issues: SchemaIssue[] = [];
	if (raw === null || typeof raw !== "object" || Array.isArray(raw))
		throw new StackFileError(file, [
			{ path: "(top)", message: "must be a mapping with a 'functions' key" },
		]);
	const top = raw as Record<string, unknown>;
	for (const key of Object.keys(top)) {
		if (!["version", "gateway", "functions"].includes(key))
			issues.push({
				path: key,
				message: "is not a known key (known: version, gateway, functions)",
			});
	}
	if (top.version !== undefined && top.version !== 1 && top.version !== "1")
		issues.push({ path: "version", message: "must be 1" });
	if (
		top.gateway !== undefined &&
		(typeof top.gateway !== "string" || !/^https?:\/\//.test(top.gateway))
	)
		issues.push({ path: "gateway", message: "must be an http(s) URL" });
	const fns = top.functions;
	const functions: StackFunction[] = [];
	if (fns === null || typeof fns !== "object" || Array.isArray(fns)) {
		issues.push({
			path: "functions",
			message: "is required: a mapping of function name to its settings",
		});
	} else {
		for (const [name, entry] of Object.entries(fns)) {
			if (!NAME_PATTERN.test(name)) {
				issues.push({
					path: `functions.${name}`,
					message:
						"is not a valid function name (lower-case letters, digits and '-', 1–64)",
				});
				continue;
			}
			const parsed = parseFunctionConfig(entry, `functions.${name}`);
			if (!parsed.ok) {
				issues.push(...parsed.issues);
				continue;
			}
			const config = entry as FunctionConfigInput;
			const handler = config.handler;
			functions.push({
				name,
				config,
				...(handler !== undefined && {
					handlerDir: isAbsolute(handler) ? handler : resolve(baseDir, handler),
				}),
			});
		}
	}
	if (issues.length) throw new StackFileError(file, issues);
	return {
		...(typeof top.gateway === "string" && { gateway: top.gateway }),
		functions,
	};
}
