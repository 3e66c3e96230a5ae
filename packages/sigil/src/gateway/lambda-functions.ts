/**
 * Lambda's function-management API (AWS Lambda API Reference: CreateFunction, GetFunction,
 * GetFunctionConfiguration, ListFunctions, UpdateFunctionCode, UpdateFunctionConfiguration,
 * DeleteFunction, GetAccountSettings, ListFunctionUrlConfigs) on Sigil's one function model:
 * every write goes through the registry (`ctx.functions.deploy`), with the same config
 * function-config.ts validates for sigil.yml and `sigil deploy`. The two front doors manage the
 * same functions; docs/lambda.md maps each field.
 *
 *   Lambda                       Sigil config
 *   Runtime nodejs20|22|24.x     runtime node (the gateway's Node; reported as what runs)
 *   Runtime python3.N            runtime python3: Handler handler.handle is OpenFaaS's handle(req)
 *                                of handler.py (contract openfaas), any other module.function is
 *                                Lambda's handler(event, context) (contract lambda)
 *   Runtime provided.al2023|al2  runtime provided (an executable bootstrap, the Runtime API)
 *   Handler                      entry (node, python3; provided: the bootstrap's _HANDLER)
 *   Role                         role (own account, iam:PassRole, trusted by lambda.amazonaws.com;
 *                                its credentials reach the code: iam/execution-role.ts)
 *   Environment.Variables        environment (Lambda's reserved keys and 4 KB bound)
 *   Timeout / MemorySize         timeout (s) / memory (MB), Lambda's ranges and defaults (3, 128)
 *   Description                  description
 *   Code.ZipFile                 the code bundle (functions/zip.ts: bounded, no links, no `..`)
 *
 * A function created here gets an `aws_iam` trigger: Lambda functions have no public URL until
 * one is configured, and Sigil's `/function/NAME` always exists, so it starts closed. Any field
 * this gateway does not act on is refused with InvalidParameterValueException naming it —
 * never stored and ignored. The deploy is synchronous (the runtime is built before the answer),
 * so `State` is `Active` and `LastUpdateStatus` `Successful` as soon as the call returns, and
 * `aws lambda wait function-active` / `function-updated` return at once.
 */

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
	type FunctionConfig,
	type FunctionConfigInput,
	NAME_PATTERN,
	parseFunctionConfig,
	ROLE_ARN,
} from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { BundleError, MAX_BUNDLE_BYTES } from "../functions/bundle.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { zipToBundle } from "../functions/zip.ts";
import { parseHandlerRef } from "../runtime/handler-ref.ts";
import { resolvePython } from "../runtime/python3-runtime.ts";
import type { FunctionRecord } from "../store/types.ts";
import { aliasUrlView } from "./alias-url-config.ts";
import type { Exchange } from "./exchange.ts";
import { parseFunctionRef } from "./lambda-api.ts";
import {
	deleteVersion,
	listAllVersions,
	qualifiedConfiguration,
	versionConfiguration,
} from "./lambda-versions.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import {
	type AccountTarget,
	deployedFunction,
	type FunctionTarget,
	functionArn,
	type Resolver,
} from "./targets.ts";

/** Lambda's direct-upload quota for a zip (API_CreateFunction, "50 MB zipped"). */
export const ZIP_BYTES = 50 * 1024 * 1024;
/** A request carrying a 50 MB zip in base64, plus JSON framing. */
export const CREATE_BODY_BYTES = Math.ceil((ZIP_BYTES * 4) / 3) + 64 * 1024;
/** Lambda's total-environment quota. */
const ENV_BYTES = 4096;
const ARCH = process.arch === "arm64" ? "arm64" : "x86_64";
const NODE_RUNTIMES = new Set(["nodejs20.x", "nodejs22.x", "nodejs24.x"]);
const PYTHON_HANDLER = "handler.handle";
/** Environment keys Lambda sets itself and refuses to take (the execution role's among them). */
const RESERVED_ENV = new Set([
	"_HANDLER",
	"_X_AMZN_TRACE_ID",
	"AWS_DEFAULT_REGION",
	"AWS_REGION",
	"AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API",
	"LAMBDA_TASK_ROOT",
	"LAMBDA_RUNTIME_DIR",
]);

export type Body = Record<string, unknown>;

export function invalid(message: string): SigilError {
	return new SigilError("INVALID_PARAMETER", message);
}

/** The request's JSON object; fields outside `allowed` are refused by name (never ignored). */
export function jsonBody(
	raw: Buffer,
	allowed: readonly string[],
	operation: string,
): Body {
	let v: unknown;
	try {
		v = JSON.parse(raw.toString("utf8") || "{}");
	} catch {
		throw new SigilError(
			"BAD_REQUEST",
			"Could not parse request body into json",
		);
	}
	if (!v || typeof v !== "object" || Array.isArray(v))
		throw new SigilError(
			"BAD_REQUEST",
			"Could not parse request body into json: not an object",
		);
	const unknown = Object.keys(v).filter((k) => !allowed.includes(k));
	if (unknown.length)
		throw invalid(
			`${unknown.map((k) => k.slice(0, 64)).join(", ")} ${unknown.length === 1 ? "is" : "are"} not supported by ${operation} on this gateway (it takes ${allowed.join(", ")}); nothing was changed`,
		);
	return v as Body;
}

export function notNull(field: string): SigilError {
	return invalid(
		`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
	);
}

export function str(b: Body, key: string, field: string): string | undefined {
	const v = b[key];
	if (v === undefined || v === null) return undefined;
	if (typeof v !== "string") throw invalid(`${key} must be a string`);
	if (v.length === 0)
		throw invalid(
			`1 validation error detected: Value '' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
		);
	return v;
}

function intIn(
	b: Body,
	key: string,
	field: string,
	min: number,
	max: number,
): number | undefined {
	const v = b[key];
	if (v === undefined || v === null) return undefined;
	if (typeof v !== "number" || !Number.isInteger(v))
		throw invalid(`${key} must be a whole number`);
	if (v < min)
		throw invalid(
			`1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
		);
	if (v > max)
		throw invalid(
			`1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
		);
	return v;
}

/** Fields that only say what Sigil does anyway are accepted; anything else is refused. */
function checkFixed(b: Body): void {
	if (b.Publish !== undefined && typeof b.Publish !== "boolean")
		throw invalid("Publish must be true or false");
	if (b.PackageType !== undefined && b.PackageType !== "Zip")
		throw invalid(
			`PackageType ${JSON.stringify(String(b.PackageType).slice(0, 20))} is not supported: this gateway takes Zip packages`,
		);
	if (b.Architectures !== undefined) {
		const a = b.Architectures;
		if (!Array.isArray(a) || a.length !== 1 || a[0] !== ARCH)
			throw invalid(
				`Architectures must be ["${ARCH}"]: functions run on this gateway's own architecture`,
			);
	}
}

// ---------------------------------------------------------------------------------------------
// Lambda fields → Sigil config.

type Language = "node" | "python3" | "provided";

function languageOf(runtime: string): Language {
	if (NODE_RUNTIMES.has(runtime)) return "node";
	if (/^python3\.\d{1,2}$/.test(runtime)) return "python3";
	if (runtime === "provided.al2023" || runtime === "provided.al2")
		return "provided";
	if (runtime === "provided")
		throw invalid(
			"The runtime parameter of provided is no longer supported for creating or updating AWS Lambda functions. We recommend you use provided.al2023 (or provided.al2) while creating or updating functions.",
		);
	throw invalid(
		`Value ${runtime.slice(0, 40)} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x, nodejs22.x, nodejs24.x, python3.x, provided.al2023] (python3.x: python3.9 … python3.13)`,
	);
}

function entryOf(language: Language, handler: string): string | undefined {
	if (language === "python3") {
		if (!/^[A-Za-z_][\w./]*\.[A-Za-z_]\w*$/.test(handler))
			throw invalid(
				`Handler ${JSON.stringify(handler.slice(0, 128))} must be MODULE.FUNCTION inside the package (e.g. lambda_function.lambda_handler; ${PYTHON_HANDLER} is OpenFaaS's handle(req))`,
			);
		return handler;
	}
	if (language === "provided") {
		// Lambda hands it to the bootstrap as _HANDLER, whatever it means there.
		if (!/^[A-Za-z0-9_./$-]{1,128}$/.test(handler))
			throw invalid(
				`Handler ${JSON.stringify(handler.slice(0, 128))} must be letters, digits and _ . / $ - (at most 128): the bootstrap reads it as _HANDLER`,
			);
		return handler;
	}
	const ref = parseHandlerRef(handler);
	if (!ref.ok || !/^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/.test(handler))
		throw invalid(
			`Handler ${JSON.stringify(handler.slice(0, 128))} must be FILE.EXPORT inside the package (e.g. index.handler)${ref.ok ? "" : `: ${ref.detail}`}`,
		);
	return handler;
}

function environmentOf(raw: unknown): Record<string, string> {
	if (raw === null || typeof raw !== "object" || Array.isArray(raw))
		throw invalid("Environment must be an object holding Variables");
	for (const key of Object.keys(raw))
		if (key !== "Variables")
			throw invalid(
				`Environment.${key.slice(0, 64)} is not supported: Environment takes Variables`,
			);
	const vars = (raw as { Variables?: unknown }).Variables ?? {};
	if (vars === null || typeof vars !== "object" || Array.isArray(vars))
		throw invalid(
			"Environment.Variables must be an object of names to strings",
		);
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(vars)) {
		if (!/^[a-zA-Z][a-zA-Z0-9_]+$/.test(k) || k.length > 128)
			throw invalid(
				`1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] (${JSON.stringify(k.slice(0, 64))})`,
			);
		if (typeof v !== "string")
			throw invalid(`Environment.Variables.${k} must be a string`);
		out[k] = v;
	}
	const reserved = Object.keys(out).filter((k) => RESERVED_ENV.has(k));
	if (reserved.length)
		throw invalid(
			`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
		);
	const size = Buffer.byteLength(JSON.stringify(out));
	if (size > ENV_BYTES)
		throw invalid(
			`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${size} bytes`,
		);
	return out;
}

/** The Lambda settings of a body applied to `base` (a new function when `base` is undefined). */
function configFrom(
	b: Body,
	base: FunctionConfigInput | undefined,
	current: FunctionConfig | undefined,
): FunctionConfigInput {
	const runtime = str(b, "Runtime", "runtime");
	const handler = str(b, "Handler", "handler");
	const role = str(b, "Role", "role");
	const description = b.Description;
	const timeout = intIn(b, "Timeout", "timeout", 1, 900);
	const memory = intIn(b, "MemorySize", "memorySize", 128, 10240);
	if (!base && (runtime === undefined || handler === undefined))
		throw invalid(
			"Runtime and Handler are mandatory parameters for functions created with deployment packages.",
		);
	if (!base && role === undefined) throw notNull("role");
	if (role !== undefined && !ROLE_ARN.test(role))
		throw invalid(
			`1 validation error detected: Value '${role.slice(0, 200)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
		);
	if (
		description !== undefined &&
		(typeof description !== "string" || description.length > 256)
	)
		throw invalid(
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
		);

	const next: Record<string, unknown> = base
		? { ...base }
		: {
				trigger: { auth: "aws_iam", services: ["lambda"] },
				timeout: 3,
				memory: 128,
			};
	const was = base?.runtime;
	if (runtime !== undefined || handler !== undefined) {
		if (
			was !== undefined &&
			was !== "node" &&
			was !== "python3" &&
			was !== "provided" &&
			runtime === undefined
		)
			throw invalid(
				`Handler does not apply to this function: its Sigil runtime is ${was} (managed from sigil.yml); send Runtime too to make it a node, python3 or provided function`,
			);
		const language =
			runtime !== undefined ? languageOf(runtime) : (was as Language);
		const h =
			handler ??
			(language === was ? lambdaHandler(current) : undefined) ??
			(language === "python3" ? PYTHON_HANDLER : "index.handler");
		const entry = entryOf(language, h);
		next.runtime = language;
		if (entry === undefined) delete next.entry;
		else next.entry = entry;
		// handler.handle keeps OpenFaaS's handle(req); any other Python handler is Lambda's.
		if (language === "python3")
			next.contract = h === PYTHON_HANDLER ? "openfaas" : "lambda";
		else delete next.contract;
		// A bootstrap's Runtime API lives in the instance's own network namespace.
		if (language === "provided") next.network = "loopback";
		else if (was === "provided") delete next.network;
		if (language !== was) {
			delete next.fprocess;
			delete next.upstream;
		}
	}
	if (role !== undefined) next.role = role;
	if (typeof description === "string") {
		if (description === "") delete next.description;
		else next.description = description;
	}
	if (timeout !== undefined) next.timeout = timeout;
	if (memory !== undefined) next.memory = memory;
	if (b.Environment !== undefined && b.Environment !== null) {
		const env = environmentOf(b.Environment);
		if (Object.keys(env).length) next.environment = env;
		else delete next.environment;
	}
	return next as FunctionConfigInput;
}

/** Code.ZipFile (base64 of a zip) → a code bundle; any other source is refused by name. */
function bundleOf(
	code: unknown,
	where: string,
): ReturnType<typeof zipToBundle> {
	let zip: unknown = code;
	if (where === "Code") {
		if (code === null || typeof code !== "object" || Array.isArray(code))
			throw notNull("code");
		for (const key of Object.keys(code))
			if (key !== "ZipFile")
				throw invalid(
					`Code.${key.slice(0, 64)} is not supported: this gateway takes the package itself as Code.ZipFile (no S3, no container images)`,
				);
		zip = (code as { ZipFile?: unknown }).ZipFile;
	}
	if (zip === undefined || zip === null)
		throw invalid("Please provide a source for function code (ZipFile).");
	if (typeof zip !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(zip))
		throw invalid(
			`${where === "Code" ? "Code.ZipFile" : "ZipFile"} must be the base64 of a zip file`,
		);
	const bytes = Buffer.from(zip, "base64");
	if (bytes.length > ZIP_BYTES)
		throw new SigilError(
			"BODY_TOO_LARGE",
			`the zip is ${bytes.length} bytes; a function's zip must be at most ${ZIP_BYTES} bytes`,
		);
	try {
		return zipToBundle(bytes, { maxBytes: MAX_BUNDLE_BYTES });
	} catch (err) {
		if (err instanceof BundleError)
			throw new SigilError("BUNDLE_INVALID", err.message);
		throw err;
	}
}

// ---------------------------------------------------------------------------------------------
// Sigil config → Lambda's FunctionConfiguration.

let pythonVersion: Promise<string> | undefined;
/** `python3.N` of the interpreter the python3 runtime runs (probed once). */
function pythonRuntime(): Promise<string> {
	pythonVersion ??= resolvePython().then(
		(python) =>
			new Promise<string>((done) =>
				execFile(
					python,
					["-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
					{ timeout: 10_000 },
					(err, out) => done(err ? "python3" : out.trim() || "python3"),
				),
			),
	);
	return pythonVersion;
}

function lambdaHandler(config: FunctionConfig | undefined): string | undefined {
	if (config?.runtime === "node") return config.entry;
	if (config?.runtime === "python3" || config?.runtime === "provided")
		return config.entry;
	return undefined;
}

/** Lambda's LastModified: `2024-01-02T03:04:05.678+0000`. */
export function lambdaTime(ms: number): string {
	return new Date(ms).toISOString().replace("Z", "+0000");
}

/** Changes with every deploy of the name (and differs across a delete and re-create). */
export function revisionId(record: FunctionRecord): string {
	const h = createHash("sha256")
		.update(
			`${record.accountId}:${record.name}:${record.createdAt}:${record.revision}`,
		)
		.digest("hex");
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function functionConfiguration(
	arn: string,
	record: FunctionRecord,
	config: FunctionConfig,
) {
	const runtime =
		config.runtime === "node"
			? `nodejs${process.versions.node.split(".")[0]}.x`
			: config.runtime === "python3"
				? await pythonRuntime()
				: config.runtime === "provided"
					? "provided.al2023"
					: undefined;
	const handler = lambdaHandler(config);
	return {
		FunctionName: record.name,
		FunctionArn: arn,
		...(runtime !== undefined && { Runtime: runtime }),
		...(config.role !== undefined && { Role: config.role }),
		...(handler !== undefined && { Handler: handler }),
		CodeSize: record.codeSize,
		Description: config.description,
		Timeout: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
		MemorySize: config.memoryMb,
		LastModified: lambdaTime(record.updatedAt),
		CodeSha256: Buffer.from(record.codeSha256, "hex").toString("base64"),
		Version: "$LATEST",
		...(Object.keys(config.environment).length > 0 && {
			Environment: { Variables: config.environment },
		}),
		TracingConfig: { Mode: "PassThrough" },
		RevisionId: revisionId(record),
		State: "Active",
		LastUpdateStatus: "Successful",
		PackageType: "Zip",
		Architectures: [ARCH],
		EphemeralStorage: { Size: 512 },
		SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
		LoggingConfig: {
			LogFormat: "Text",
			LogGroup: `/aws/lambda/${record.name}`,
		},
	};
}

const viewOf = (fn: DeployedFunction) =>
	functionConfiguration(fn.arn, fn.record, fn.config);

function checkRevision(b: Body, fn: DeployedFunction): void {
	const sent = b.RevisionId;
	if (sent === undefined || sent === null) return;
	if (sent !== revisionId(fn.record))
		throw new SigilError(
			"PRECONDITION_FAILED",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
		);
}

// ---------------------------------------------------------------------------------------------
// The target of CreateFunction: the new function's ARN, named in the body.

/**
 * `POST /2015-03-31/functions`: the function the body names (a bare name, `ACCOUNT:function:NAME`
 * or an ARN), in the account that spelling names — another account's is authorized there, and
 * refused (CreateFunction is not granted across accounts).
 */
export const newFunction: Resolver<FunctionTarget> = async ({
	body,
	principal,
	ctx,
}) => {
	let v: unknown;
	try {
		v = JSON.parse(body.toString("utf8") || "{}");
	} catch {
		throw new SigilError(
			"BAD_REQUEST",
			"Could not parse request body into json",
		);
	}
	const raw =
		v && typeof v === "object" && !Array.isArray(v)
			? (v as Body).FunctionName
			: undefined;
	if (raw === undefined || raw === null) throw notNull("functionName");
	if (typeof raw !== "string") throw invalid("FunctionName must be a string");
	const ref = parseFunctionRef(raw);
	if (!ref)
		throw invalid(
			`1 validation error detected: Value '${raw.slice(0, 200)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)`,
		);
	if (ref.qualifier !== undefined)
		throw invalid(
			"FunctionName of a new function cannot carry a qualifier (version or alias)",
		);
	const accountId = ref.accountId ?? principal.accountId;
	const region = ref.region ?? ctx.region;
	const fn =
		region === ctx.region ? await ctx.functions.lookup(ref.name) : undefined;
	return {
		kind: "function",
		name: ref.name,
		region,
		accountId,
		resource: functionArn(region, accountId, ref.name),
		foreignRegion: region !== ctx.region,
		...(fn && fn.accountId === accountId && { fn }),
	};
};

// ---------------------------------------------------------------------------------------------
// Handlers.

const CREATE_FIELDS = [
	"FunctionName",
	"Runtime",
	"Role",
	"Handler",
	"Code",
	"Description",
	"Timeout",
	"MemorySize",
	"Environment",
	"Publish",
	"PackageType",
	"Architectures",
] as const;

/** Names with a CreateFunction in flight, per gateway. */
const inFlight = new WeakMap<object, Set<string>>();

const exists = (name: string) =>
	new SigilError("CONFLICT", `Function already exist: ${name}`);

/** `POST /2015-03-31/functions` → 201 FunctionConfiguration. */
export async function createFunction({
	ex,
	ctx,
	target,
	principal,
}: Call<FunctionTarget>): Promise<void> {
	const b = jsonBody(ex.body, CREATE_FIELDS, "CreateFunction");
	if (target.foreignRegion)
		throw invalid(
			`FunctionName names region ${target.region}; this gateway serves ${ctx.region}`,
		);
	if (!NAME_PATTERN.test(target.name))
		throw invalid(
			`FunctionName '${target.name.slice(0, 140)}' cannot be served here: Sigil function names are lower-case letters, digits and '-' (1–64, no leading or trailing '-'), because each is also the URL /function/NAME`,
		);
	checkFixed(b);
	const config = configFrom(b, undefined, undefined);
	const bundle = bundleOf(b.Code, "Code");
	// One create of a name at a time on this gateway: the loser of a race is told the name
	// exists, as Lambda tells it, instead of silently redeploying over the winner.
	const creating = inFlight.get(ctx.functions) ?? new Set<string>();
	inFlight.set(ctx.functions, creating);
	if (creating.has(target.name)) throw exists(target.name);
	creating.add(target.name);
	try {
		if (
			target.fn ||
			(await ctx.store.functions.get(target.accountId, target.name))
		)
			throw exists(target.name);
		const { fn } = await ctx.functions.deploy(
			target.accountId,
			target.name,
			config,
			bundle,
			principal,
			AS_LAMBDA_DOES,
		);
		sendJson(ex, 201, await viewAfter(ctx, fn, b.Publish === true));
	} finally {
		creating.delete(target.name);
	}
}

/**
 * What a write answers: `$LATEST`, or with `Publish: true` the version it published of it
 * (Lambda's CreateFunction / UpdateFunctionCode with Publish).
 */
async function viewAfter(
	ctx: Call<FunctionTarget>["ctx"],
	fn: DeployedFunction,
	publish: boolean,
) {
	if (!publish) return viewOf(fn);
	const { version } = await ctx.store.versions.publish({
		accountId: fn.accountId,
		name: fn.name,
		description: fn.config.description,
		expectedRevision: fn.record.revision,
	});
	return versionConfiguration(fn, version);
}

/** `GET /2015-03-31/functions/{FunctionName}[?Qualifier=]` → {Configuration}. */
export async function getFunction({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const { fn, view } = await qualifiedConfiguration(ctx, target);
	const reserved = fn.config.reservedConcurrency;
	sendJson(ex, 200, {
		Configuration: view,
		...(reserved !== undefined && {
			Concurrency: { ReservedConcurrentExecutions: reserved },
		}),
	});
}

/** `GET /2015-03-31/functions/{FunctionName}/configuration[?Qualifier=]` → FunctionConfiguration. */
export async function getFunctionConfiguration({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	sendJson(ex, 200, (await qualifiedConfiguration(ctx, target)).view);
}

/** Lambda's list paging: `Marker` is opaque (here: the last name, base64url), MaxItems 1–10000. */
export function paging(
	rawQuery: string,
	allowed: readonly string[],
): { marker?: string; maxItems: number; q: URLSearchParams } {
	const q = new URLSearchParams(rawQuery);
	for (const key of q.keys())
		if (!allowed.includes(key) && key !== "Marker" && key !== "MaxItems")
			throw invalid(
				`${key.slice(0, 64)} is not supported here; this operation takes Marker, MaxItems${allowed.length ? `, ${allowed.join(", ")}` : ""}`,
			);
	const max = q.get("MaxItems");
	let maxItems = 50;
	if (max !== null) {
		if (!/^\d{1,5}$/.test(max) || Number(max) < 1 || Number(max) > 10_000)
			throw invalid(
				`1 validation error detected: Value '${max.slice(0, 20)}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`,
			);
		maxItems = Number(max);
	}
	const m = q.get("Marker");
	let marker: string | undefined;
	if (m !== null && m !== "") {
		marker = Buffer.from(m, "base64url").toString("utf8");
		if (
			!NAME_PATTERN.test(marker) ||
			Buffer.from(marker).toString("base64url") !== m
		)
			throw invalid(
				"Marker is not one this gateway gave out (pass NextMarker as it was returned)",
			);
	}
	return { ...(marker !== undefined && { marker }), maxItems, q };
}

/** `GET /2015-03-31/functions/` → {Functions, NextMarker}. Only `$LATEST` exists. */
export async function listFunctions({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const all = new URLSearchParams(ex.rawQuery);
	const version = all.get("FunctionVersion");
	if (version !== null && version !== "ALL")
		throw invalid(
			`1 validation error detected: Value '${version.slice(0, 20)}' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]`,
		);
	if (all.get("MasterRegion") !== null)
		throw invalid(
			"MasterRegion is not supported: this gateway has no Lambda@Edge replicas",
		);
	if (version === "ALL") {
		for (const key of all.keys())
			if (!["FunctionVersion", "Marker", "MaxItems"].includes(key))
				throw invalid(
					`${key.slice(0, 64)} is not supported here; this operation takes Marker, MaxItems, FunctionVersion`,
				);
		sendJson(ex, 200, await listAllVersions(ctx, target.accountId, all));
		return;
	}
	const { marker, maxItems } = paging(ex.rawQuery, [
		"FunctionVersion",
		"MasterRegion",
	]);
	const records = (await ctx.store.functions.list(target.accountId))
		.filter((r) => marker === undefined || r.name > marker)
		.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	const page = records.slice(0, maxItems);
	const Functions = [];
	for (const r of page) {
		const parsed = parseFunctionConfig(r.config);
		if (!parsed.ok) continue;
		Functions.push(
			await functionConfiguration(
				ctx.functions.arnOf(r.accountId, r.name),
				r,
				parsed.config,
			),
		);
	}
	const last = page.at(-1);
	sendJson(ex, 200, {
		Functions,
		...(records.length > maxItems &&
			last && { NextMarker: Buffer.from(last.name).toString("base64url") }),
	});
}

const CODE_FIELDS = [
	"ZipFile",
	"RevisionId",
	"DryRun",
	"Publish",
	"Architectures",
] as const;

/** `PUT /2015-03-31/functions/{FunctionName}/code` → FunctionConfiguration. */
export async function updateFunctionCode({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(ex.body, CODE_FIELDS, "UpdateFunctionCode");
	checkFixed(b);
	if (b.DryRun !== undefined && typeof b.DryRun !== "boolean")
		throw invalid("DryRun must be true or false");
	checkRevision(b, fn);
	const bundle = bundleOf(b.ZipFile, "ZipFile");
	if (b.DryRun === true) {
		sendJson(ex, 200, await viewOf(fn));
		return;
	}
	const { fn: updated } = await ctx.functions.deploy(
		fn.accountId,
		fn.name,
		fn.record.config as FunctionConfigInput,
		bundle,
		undefined,
		AS_LAMBDA_DOES,
	);
	sendJson(ex, 200, await viewAfter(ctx, updated, b.Publish === true));
}

/**
 * Lambda's front door stores code whose handler does not load, as AWS does (its invocations fail
 * with Runtime.ImportModuleError); `sigil deploy` and Sigil's API refuse it at deploy instead.
 */
const AS_LAMBDA_DOES = { loadProbe: false } as const;

const CONFIG_FIELDS = [
	"Role",
	"Handler",
	"Description",
	"Timeout",
	"MemorySize",
	"Environment",
	"Runtime",
	"RevisionId",
] as const;

/** `PUT /2015-03-31/functions/{FunctionName}/configuration` → FunctionConfiguration. */
export async function updateFunctionConfiguration({
	ex,
	ctx,
	target,
	principal,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(ex.body, CONFIG_FIELDS, "UpdateFunctionConfiguration");
	checkRevision(b, fn);
	const config = configFrom(
		b,
		fn.record.config as FunctionConfigInput,
		fn.config,
	);
	const { fn: updated } = await ctx.functions.deploy(
		fn.accountId,
		fn.name,
		config,
		undefined,
		principal,
		AS_LAMBDA_DOES,
	);
	sendJson(ex, 200, await viewOf(updated));
}

/** `DELETE /2015-03-31/functions/{FunctionName}` → 204; with a version qualifier, that version only. */
export async function deleteFunction({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	if (target.qualifier !== undefined) await deleteVersion(ctx, target);
	else {
		const fn = deployedFunction(target);
		await ctx.functions.remove(fn.accountId, fn.name);
		ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	}
	send(ex, 204, Buffer.alloc(0));
}

/**
 * `GET /2016-08-19/account-settings/`. Usage is the account's; the limits are what this gateway
 * enforces per function (code size) and, where it enforces nothing account-wide, Lambda's
 * default quotas (docs/lambda.md says which).
 */
export async function getAccountSettings({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const records = await ctx.store.functions.list(target.accountId);
	let capacity = 0;
	let reserved = 0;
	for (const r of records) {
		const parsed = parseFunctionConfig(r.config);
		if (!parsed.ok) continue;
		capacity +=
			parsed.config.concurrency.max * parsed.config.concurrency.perInstance;
		reserved += parsed.config.reservedConcurrency ?? 0;
	}
	sendJson(ex, 200, {
		AccountLimit: {
			TotalCodeSize: 80_530_636_800,
			CodeSizeUnzipped: MAX_BUNDLE_BYTES,
			CodeSizeZipped: ZIP_BYTES,
			ConcurrentExecutions: capacity,
			UnreservedConcurrentExecutions: capacity - reserved,
		},
		AccountUsage: {
			TotalCodeSize: records.reduce((n, r) => n + r.codeSize, 0),
			FunctionCount: records.length,
		},
	});
}

/** `GET /2021-10-31/functions/{FunctionName}/urls`: the function's one URL and its aliases' own. */
export async function listFunctionUrlConfigs({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const { marker } = paging(ex.rawQuery, []);
	// The function's URL, then its aliases' (at most 100: one page holds them all).
	const aliases = await ctx.store.versions.listAliases(fn.accountId, fn.name);
	sendJson(ex, 200, {
		FunctionUrlConfigs:
			marker === undefined
				? [
						urlConfig(ex, fn),
						...aliases.flatMap((a) =>
							a.url ? [aliasUrlView(ex, fn, a.alias, a.url)] : [],
						),
					]
				: [],
	});
}

/** As GetFunctionUrlConfig answers it (function-url-config.ts). */
function urlConfig(ex: Exchange, fn: DeployedFunction) {
	const host = ex.header("host") ?? "127.0.0.1";
	const cors = fn.config.trigger.cors;
	const Cors = cors && {
		...(cors.allowOrigins && { AllowOrigins: cors.allowOrigins }),
		...(cors.allowMethods && { AllowMethods: cors.allowMethods }),
		...(cors.allowHeaders && { AllowHeaders: cors.allowHeaders }),
		...(cors.exposeHeaders && { ExposeHeaders: cors.exposeHeaders }),
		...(cors.maxAge !== undefined && { MaxAge: cors.maxAge }),
		...(cors.allowCredentials !== undefined && {
			AllowCredentials: cors.allowCredentials,
		}),
	};
	return {
		FunctionUrl: `http://${host}/function/${fn.name}/`,
		FunctionArn: fn.arn,
		AuthType: fn.config.trigger.auth === "none" ? "NONE" : "AWS_IAM",
		...(Cors && { Cors }),
		CreationTime: new Date(fn.record.createdAt).toISOString(),
		LastModifiedTime: new Date(fn.record.updatedAt).toISOString(),
		InvokeMode: fn.config.trigger.invokeMode,
	};
}

// ---------------------------------------------------------------------------------------------
// Reserved concurrency (PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency).

/** The most instances a function may have here (function-config.ts `concurrency.max`). */
const MAX_RESERVED = 256;

/** `PUT /2017-10-31/functions/{FunctionName}/concurrency` → {ReservedConcurrentExecutions}. */
export async function putFunctionConcurrency({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(
		ex.body,
		["ReservedConcurrentExecutions"],
		"PutFunctionConcurrency",
	);
	if (b.ReservedConcurrentExecutions === undefined)
		throw notNull("reservedConcurrentExecutions");
	const n = intIn(
		b,
		"ReservedConcurrentExecutions",
		"reservedConcurrentExecutions",
		0,
		MAX_RESERVED,
	) as number;
	const config = {
		...(fn.record.config as FunctionConfigInput),
		reservedConcurrency: n,
	};
	await ctx.functions.deploy(fn.accountId, fn.name, config, undefined);
	sendJson(ex, 200, { ReservedConcurrentExecutions: n });
}

/** `GET /2019-09-30/functions/{FunctionName}/concurrency` → {} or {ReservedConcurrentExecutions}. */
export async function getFunctionConcurrency({
	ex,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const reserved = deployedFunction(target).config.reservedConcurrency;
	sendJson(
		ex,
		200,
		reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved },
	);
}

/** `DELETE /2017-10-31/functions/{FunctionName}/concurrency` → 204; the config's own concurrency returns. */
export async function deleteFunctionConcurrency({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const { reservedConcurrency: _, ...config } = fn.record
		.config as FunctionConfigInput;
	if (fn.config.reservedConcurrency !== undefined)
		await ctx.functions.deploy(fn.accountId, fn.name, config, undefined);
	send(ex, 204, Buffer.alloc(0));
}
