/**
 * One function's configuration: the entry of a stack file (`sigil.yml`), the body of a deploy,
 * and what the store keeps. Validated strictly here, once, by the gateway and by the CLI.
 */
import {
	bool,
	check,
	int,
	list,
	obj,
	oneOf,
	opt,
	type Rule,
	record,
	req,
	type SchemaIssue,
	str,
} from "./schema.ts";

export const RUNTIMES = [
	"node",
	"process",
	"python3",
	"provided",
	"http",
] as const;
/** python3: which contract the code follows (docs/runtimes.md, python3). */
export const PYTHON_CONTRACTS = ["openfaas", "lambda"] as const;
/** A function's network inside its sandbox (docs/runtimes.md, Isolation). */
export const NETWORKS = ["full", "loopback", "none"] as const;
export const AUTH_TYPES = [
	"none",
	"aws_iam",
	"acs3",
	"hmac",
	"webhook",
] as const;
export const HMAC_ALGORITHMS = ["sha256", "sha512", "sha1"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];
export type RuntimeName = (typeof RUNTIMES)[number];

/** Function and secret names: OpenFaaS-compatible DNS-label style. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
const name = str({
	pattern: NAME_PATTERN,
	hint: "lower-case letters, digits and '-' (1–64, no leading/trailing '-')",
});
const headerName = str({
	pattern: /^[A-Za-z0-9-]{1,64}$/,
	hint: "an HTTP header name",
});
const envName = str({
	pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
	hint: "an environment variable name",
});

/** Lambda's pattern for a function's execution role (API_CreateFunction, Role). */
export const ROLE_ARN =
	/^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;

/** `30`, `"30s"`, `"500ms"`, `"2m"` → milliseconds within [min, max]. */
function duration(minMs: number, maxMs: number): Rule<number> {
	return (value, path, issues) => {
		let ms: number | undefined;
		if (typeof value === "number" && Number.isFinite(value)) ms = value * 1000;
		else if (typeof value === "string") {
			const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
			if (m)
				ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
		}
		if (ms === undefined || ms < minMs || ms > maxMs) {
			issues.push({
				path,
				message: `must be a duration from ${minMs}ms to ${maxMs / 1000}s (e.g. 30, "30s", "500ms"), got ${JSON.stringify(value)}`,
			});
			return undefined;
		}
		return Math.round(ms);
	};
}

/** Lambda's function URL invoke modes. */
export const INVOKE_MODES = ["BUFFERED", "RESPONSE_STREAM"] as const;

const cors = obj({
	allowOrigins: opt(list(str({ max: 256 }), { max: 100 })),
	allowMethods: opt(
		list(
			str({
				pattern: /^([A-Z]{1,16}|\*)$/,
				hint: "an upper-case HTTP method or *",
			}),
			{ max: 16 },
		),
	),
	allowHeaders: opt(list(str({ max: 128 }), { max: 100 })),
	exposeHeaders: opt(list(str({ max: 128 }), { max: 100 })),
	maxAge: opt(int(0, 86_400)),
	allowCredentials: opt(bool()),
});

const trigger = obj({
	auth: req(oneOf(AUTH_TYPES)),
	/** aws_iam: the SigV4 services accepted in the credential scope. */
	services: opt(
		list(oneOf(["lambda", "execute-api"] as const), { min: 1, max: 2 }),
	),
	/** hmac / webhook: the named secrets (several for rotation). */
	secrets: opt(list(name, { min: 1, max: 4 })),
	header: opt(headerName),
	algorithms: opt(list(oneOf(HMAC_ALGORITHMS), { min: 1, max: 3 })),
	/** webhook: how far the timestamp may be from now. */
	tolerance: opt(duration(1000, 3_600_000)),
	cors: opt(cors),
	maxBodyBytes: opt(int(0, 64 * 1024 * 1024)),
	/**
	 * Lambda's function URL InvokeMode: RESPONSE_STREAM streams a streaming Node handler's answer
	 * (awslambda.streamifyResponse) to the caller as it is written; any other handler is buffered,
	 * as Lambda does. Default BUFFERED.
	 */
	invokeMode: opt(oneOf(INVOKE_MODES)),
});

/**
 * A request-rate limit, counted across every gateway (SharedCache.rateLimit, a sliding window):
 * `requests` per `per` for the whole function, and with `perKey` that many per calling access
 * key as well. Over it: 429 (Lambda's TooManyRequestsException) with Retry-After.
 */
const rateLimit = obj({
	requests: req(int(1, 1_000_000)),
	per: req(duration(1000, 3_600_000)),
	perKey: opt(int(1, 1_000_000)),
});

const concurrency = obj({
	min: opt(int(0, 64)),
	max: opt(int(1, 256)),
	perInstance: opt(int(1, 1000)),
	queue: opt(int(0, 100_000)),
});

export const functionConfigRule = obj({
	runtime: req(oneOf(RUNTIMES)),
	/** node/python3: the handler folder (stack file) — in a deploy body, replaced by the code bundle. */
	handler: opt(str({ min: 1, max: 4096 })),
	/**
	 * node: `file.export` inside the handler folder (default `index.handler`); python3:
	 * `module.function` (default `handler.handle`, or `lambda_function.lambda_handler` with
	 * contract lambda); provided: passed to the bootstrap as `_HANDLER` (default `function.handler`).
	 */
	entry: opt(
		str({
			pattern: /^[A-Za-z0-9_./$-]{1,128}$/,
			hint: "file.export, e.g. index.handler",
		}),
	),
	/**
	 * process: the command line run per request (split like a shell would, but no shell).
	 * http: a server Sigil starts with `PORT` set and keeps running (of-watchdog's http mode).
	 */
	fprocess: opt(str({ min: 1, max: 4096 })),
	/** http: the upstream base URL (with fprocess: optional, default a free port on 127.0.0.1). */
	upstream: opt(
		str({ pattern: /^https?:\/\/[^\s]+$/, hint: "an http(s) URL" }),
	),
	/** python3: `openfaas` (default, `handle(req)`) or `lambda` (`handler(event, context)`). */
	contract: opt(oneOf(PYTHON_CONTRACTS)),
	environment: opt(record(str({ max: 32_768 }), envName)),
	secrets: opt(list(name, { max: 64 })),
	/** full (default): the host's network; loopback: its own, reaching only itself; none. */
	network: opt(oneOf(NETWORKS)),
	timeout: opt(duration(100, 900_000)),
	memory: opt(int(16, 16_384)),
	concurrency: opt(concurrency),
	trigger: opt(trigger),
	/**
	 * The function's execution role (Lambda's `Role`), an IAM role ARN; checked at deploy and
	 * handed to the code as temporary credentials by iam/execution-role.ts.
	 */
	role: opt(
		str({
			pattern: ROLE_ARN,
			hint: "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
		}),
	),
	/** Free text for people (Lambda's `Description`, at most 256 characters). */
	description: opt(str({ max: 256 })),
	/**
	 * Lambda's reserved concurrency: at most this many invocations at once, each in its own
	 * instance, and none waiting — the next is 429 TooManyRequestsException. When set it
	 * overrides `concurrency.max`, `perInstance` and `queue`. 0 throttles every invocation (429
	 * "Rate Exceeded.", Lambda's PutFunctionConcurrency 0) while keeping the function.
	 */
	reservedConcurrency: opt(int(0, 256)),
	rateLimit: opt(rateLimit),
});

export type FunctionConfigInput = NonNullable<
	ReturnType<typeof functionConfigRule>
>;

/** A validated config with every default filled in. */
export interface FunctionConfig {
	readonly runtime: RuntimeName;
	readonly handler?: string;
	readonly entry: string;
	/** python3 only. */
	readonly contract?: (typeof PYTHON_CONTRACTS)[number];
	readonly fprocess?: string;
	readonly upstream?: string;
	readonly environment: Readonly<Record<string, string>>;
	readonly secrets: readonly string[];
	readonly network: (typeof NETWORKS)[number];
	readonly timeoutMs: number;
	readonly memoryMb: number;
	readonly concurrency: {
		readonly min: number;
		readonly max: number;
		readonly perInstance: number;
		readonly queue: number;
	};
	readonly trigger: TriggerConfig;
	readonly role?: string;
	readonly description: string;
	readonly reservedConcurrency?: number;
	readonly rateLimit?: {
		readonly requests: number;
		readonly windowMs: number;
		readonly perKey?: number;
	};
}

export interface TriggerConfig {
	readonly auth: AuthType;
	readonly services: readonly ("lambda" | "execute-api")[];
	readonly secrets: readonly string[];
	readonly header: string;
	readonly algorithms: readonly (typeof HMAC_ALGORITHMS)[number][];
	readonly toleranceMs: number;
	readonly cors?: NonNullable<FunctionConfigInput["trigger"]>["cors"];
	readonly maxBodyBytes: number;
	readonly invokeMode: (typeof INVOKE_MODES)[number];
}

export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

/** The handler a runtime calls when the config names none. */
function defaultEntry(
	runtime: RuntimeName,
	contract: (typeof PYTHON_CONTRACTS)[number] | undefined,
): string {
	if (runtime === "python3")
		return contract === "lambda"
			? "lambda_function.lambda_handler"
			: "handler.handle";
	if (runtime === "provided") return "function.handler";
	return "index.handler";
}

/** Validates a function config and fills defaults; errors carry key paths under `path`. */
export function parseFunctionConfig(
	input: unknown,
	path = "",
): { ok: true; config: FunctionConfig } | { ok: false; issues: SchemaIssue[] } {
	const checked = check(functionConfigRule, input, path);
	if (!checked.ok) return checked;
	const c = checked.value;
	const issues: SchemaIssue[] = [];
	const at = (k: string) => (path ? `${path}.${k}` : k);
	if (c.runtime === "process" && !c.fprocess)
		issues.push({
			path: at("fprocess"),
			message: "is required for runtime process",
		});
	if (c.runtime === "http" && !c.upstream && !c.fprocess)
		issues.push({
			path: at("upstream"),
			message:
				"is required for runtime http (or fprocess: a server Sigil starts on $PORT)",
		});
	if (c.runtime !== "process" && c.runtime !== "http" && c.fprocess)
		issues.push({
			path: at("fprocess"),
			message: "only applies to runtimes process and http",
		});
	if (c.runtime === "http" && c.fprocess && c.upstream) {
		const host = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.exec(
			c.upstream,
		);
		if (!host)
			issues.push({
				path: at("upstream"),
				message:
					"with fprocess must be http://127.0.0.1:PORT/… (the server Sigil starts listens there)",
			});
	}
	if (
		c.entry !== undefined &&
		(c.runtime === "node" || c.runtime === "python3") &&
		!/^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/.test(c.entry)
	)
		issues.push({
			path: at("entry"),
			message: `must be file.export (e.g. ${c.runtime === "node" ? "index.handler" : "lambda_function.lambda_handler"}), got ${JSON.stringify(c.entry)}`,
		});
	if (c.contract !== undefined && c.runtime !== "python3")
		issues.push({
			path: at("contract"),
			message: "only applies to runtime python3",
		});
	if (
		c.entry !== undefined &&
		(c.runtime === "process" || c.runtime === "http")
	)
		issues.push({
			path: at("entry"),
			message: "only applies to runtimes node, python3 and provided",
		});
	// One invocation at a time per instance, as Lambda: the Python host is sequential and a
	// bootstrap polls /next once per invocation. More per instance would only queue inside it.
	if (
		(c.runtime === "python3" || c.runtime === "provided") &&
		(c.concurrency?.perInstance ?? 1) > 1
	)
		issues.push({
			path: at("concurrency.perInstance"),
			message: `must be 1 for runtime ${c.runtime} (each instance serves one invocation at a time; raise concurrency.max for more)`,
		});
	// A provided bootstrap finds its Runtime API at 127.0.0.1:9001 inside the instance's own
	// network namespace (provided-instance.ts): the host's network would expose it, `none` would
	// take its loopback down.
	if (
		c.runtime === "provided" &&
		c.network !== undefined &&
		c.network !== "loopback"
	)
		issues.push({
			path: at("network"),
			message: `${c.network} is not supported for runtime provided yet: its Runtime API lives in the instance's own network namespace (network: loopback, the default for provided)`,
		});
	// A server Sigil starts for an `http` function listens in the sandbox's own network namespace
	// and is reached only through its relay's socket (upstream-server.ts): on the host's network its
	// port would be open to every local process, past the trigger's authentication.
	if (
		c.runtime === "http" &&
		c.fprocess !== undefined &&
		c.network !== undefined &&
		c.network !== "loopback"
	)
		issues.push({
			path: at("network"),
			message: `${c.network} is not supported for an http function whose server Sigil starts (fprocess): the server runs in its own network namespace, reachable only by the gateway (network: loopback, the default there); point upstream at a server you run yourself for other networks`,
		});
	const t = c.trigger ?? { auth: "none" as const };
	if ((t.auth === "hmac" || t.auth === "webhook") && !t.secrets?.length)
		issues.push({
			path: at("trigger.secrets"),
			message: `is required for auth ${t.auth} (the named secret(s) holding the shared key)`,
		});
	if (t.auth !== "aws_iam" && t.services)
		issues.push({
			path: at("trigger.services"),
			message: "only applies to auth aws_iam",
		});
	if (t.auth !== "hmac" && (t.header || t.algorithms))
		issues.push({
			path: at("trigger.header"),
			message: "header and algorithms only apply to auth hmac",
		});
	const conc = c.concurrency ?? {};
	if ((conc.min ?? 0) > (conc.max ?? 4))
		issues.push({
			path: at("concurrency.min"),
			message: "must not exceed concurrency.max",
		});
	if (issues.length) return { ok: false, issues };
	const config: FunctionConfig = {
		runtime: c.runtime,
		...(c.handler !== undefined && { handler: c.handler }),
		entry: c.entry ?? defaultEntry(c.runtime, c.contract),
		...(c.runtime === "python3" && { contract: c.contract ?? "openfaas" }),
		...(c.fprocess !== undefined && { fprocess: c.fprocess }),
		...(c.upstream !== undefined && { upstream: c.upstream }),
		environment: c.environment ?? {},
		secrets: c.secrets ?? [],
		network:
			c.network ??
			(c.runtime === "provided" ||
			(c.runtime === "http" && c.fprocess !== undefined)
				? "loopback"
				: "full"),
		timeoutMs: c.timeout ?? 30_000,
		memoryMb: c.memory ?? 256,
		concurrency:
			c.reservedConcurrency !== undefined
				? {
						min: Math.min(conc.min ?? 0, c.reservedConcurrency),
						// 0 is refused in front of the runtime (functions/throttled-runtime.ts).
						max: Math.max(1, c.reservedConcurrency),
						perInstance: 1,
						queue: 0,
					}
				: {
						min: conc.min ?? 0,
						max: conc.max ?? 4,
						// Node serves invocations concurrently on one event loop (as OpenFaaS's Node templates
						// do); see docs/runtimes.md for why 8. Lambda-strict is perInstance: 1.
						perInstance: conc.perInstance ?? (c.runtime === "node" ? 8 : 1),
						queue: conc.queue ?? 100,
					},
		trigger: {
			auth: t.auth,
			services: t.services ?? ["lambda"],
			secrets: t.secrets ?? [],
			header: t.header ?? (t.auth === "hmac" ? "Hmac" : ""),
			// sha1 too: faas-cli up to 0.17.0 signs `Hmac: sha1=…` (HMAC-SHA1 is still a sound MAC);
			// `algorithms:` pins a trigger to fewer.
			algorithms: t.algorithms ?? ["sha256", "sha512", "sha1"],
			toleranceMs: t.tolerance ?? 300_000,
			...(t.cors !== undefined && { cors: t.cors }),
			maxBodyBytes: t.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
			invokeMode: t.invokeMode ?? "BUFFERED",
		},
		...(c.role !== undefined && { role: c.role }),
		description: c.description ?? "",
		...(c.reservedConcurrency !== undefined && {
			reservedConcurrency: c.reservedConcurrency,
		}),
		...(c.rateLimit !== undefined && {
			rateLimit: {
				requests: c.rateLimit.requests,
				windowMs: c.rateLimit.per,
				...(c.rateLimit.perKey !== undefined && {
					perKey: c.rateLimit.perKey,
				}),
			},
		}),
	};
	return { ok: true, config };
}
