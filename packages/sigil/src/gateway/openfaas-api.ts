/**
 * OpenFaaS's gateway API (docs/openfaas.md), as faas-cli calls it: `/system/functions` (list,
 * deploy, update, remove), `/system/function/NAME` (describe), `/system/secrets` and
 * `/system/info`, with the JSON shapes of faas-provider's `FunctionDeployment`, `FunctionStatus`
 * and `Secret`, and the status codes faas-netes answers with (202 for deploy, update and remove;
 * 404 for a name that is not there; 409 for a secret that already is).
 *
 * Callers authenticate with HTTP basic auth (user = access key id, password = its secret, the
 * route table says `auth: "basic"`), and every route is authorized by IAM like any other: the
 * same actions and ARNs as Sigil's own API (`lambda:CreateFunction` on `function:NAME`,
 * `sigil:PutSecret` on `secret/NAME`, …). The resolvers below decode the path, query and body
 * once into the target that is authorized; the handlers act on that target and nothing else.
 *
 * A deployment's `envProcess` runs as a Sigil `process` function (fork per request, the classic
 * watchdog's contract). Its `image` is recorded, never pulled or run, and every answer that shows
 * the function says so. What a deployment may say, and what it means here:
 *   service, envProcess      the function's name and its command line (required)
 *   image                    recorded and shown back; not pulled
 *   envVars, secrets         the function's environment and its secret files
 *   limits/requests.memory   the memory bound (limits first), as a Kubernetes quantity
 *   labels, annotations      kept and shown back; `com.openfaas.scale.min|max` set the
 *                            instance bounds (concurrency.min|max)
 * Anything else that would change behaviour (cpu, constraints, a read-only root filesystem, a
 * network, registry credentials, other `com.openfaas.*` keys) is refused with a 400 naming it:
 * nothing is stored and then silently ignored.
 */
import {
	type FunctionConfigInput,
	NAME_PATTERN,
} from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { isStoreError } from "../store/errors.ts";
import type { FunctionRecord } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import {
	type AccountTarget,
	decodeParam,
	functionArn,
	type ResolveInput,
	type Resolver,
	secretArn,
	type Target,
} from "./targets.ts";

/** Sigil has one namespace; OpenFaaS's default function namespace is its name. */
export const NAMESPACE = "openfaas-fn";
/** Where a deployment's OpenFaaS-only facts (image, labels, annotations) live in the code bundle. */
export const DEPLOYMENT_FILE = ".openfaas/deployment.json";
/** Annotations Sigil adds to what it shows; a deployment may not set them. */
const SIGIL_PREFIX = "sigil.dev/";
const SCALE_MIN = "com.openfaas.scale.min";
const SCALE_MAX = "com.openfaas.scale.max";

// ---------------------------------------------------------------------------------------------
// Parsing: strict, every refusal names the field.

function bad(message: string): SigilError {
	return new SigilError("BAD_REQUEST", message);
}

function jsonObject(body: Buffer, what: string): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(body.toString("utf8"));
	} catch {
		throw bad(`the body must be ${what} as JSON`);
	}
	if (!value || typeof value !== "object" || Array.isArray(value))
		throw bad(`the body must be ${what} as a JSON object`);
	return value as Record<string, unknown>;
}

/** `?namespace=` and a body's `namespace`: absent, empty or `openfaas-fn`. */
function checkNamespace(value: unknown, where: string): void {
	if (value === undefined || value === null || value === "") return;
	if (value !== NAMESPACE)
		throw bad(
			`${where} ${JSON.stringify(String(value).slice(0, 64))} does not exist: Sigil has one namespace, ${NAMESPACE}`,
		);
}

function queryNamespace(rawQuery: string): void {
	checkNamespace(
		new URLSearchParams(rawQuery).get("namespace") ?? undefined,
		"namespace",
	);
}

function functionName(value: unknown, field: string): string {
	if (typeof value !== "string" || value === "")
		throw bad(`${field} is required: the function's name`);
	if (!NAME_PATTERN.test(value))
		throw bad(
			`${field} ${JSON.stringify(value.slice(0, 80))} is invalid: use lower-case letters, digits and '-' (1–64)`,
		);
	return value;
}

function stringMap(value: unknown, field: string): Record<string, string> {
	if (value === undefined || value === null) return {};
	if (typeof value !== "object" || Array.isArray(value))
		throw bad(`${field} must be an object of strings`);
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(value)) {
		if (typeof v !== "string")
			throw bad(`${field}.${k} must be a string, got ${JSON.stringify(v)}`);
		out[k] = v;
	}
	if (Object.keys(out).length > 256) throw bad(`${field} holds too many keys`);
	return out;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A Kubernetes memory quantity (`128Mi`, `1Gi`, `500M`, bytes) in whole MiB, rounded up. */
export function memoryMiB(value: unknown, field: string): number {
	const m =
		typeof value === "string"
			? /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(value.trim())
			: null;
	if (!m)
		throw bad(
			`${field} must be a memory quantity such as "128Mi", "1Gi" or "500M", got ${JSON.stringify(value)}`,
		);
	const unit: Record<string, number> = {
		"": 1,
		Ki: 1024,
		Mi: 1024 ** 2,
		Gi: 1024 ** 3,
		Ti: 1024 ** 4,
		k: 1e3,
		K: 1e3,
		M: 1e6,
		G: 1e9,
		T: 1e12,
	};
	const mib = Math.ceil(
		(Number(m[1]) * (unit[m[2] ?? ""] as number)) / 1024 ** 2,
	);
	if (mib < 16 || mib > 16_384)
		throw bad(`${field} ${value} is outside 16Mi–16Gi, the memory Sigil gives`);
	return mib;
}

interface Resources {
	readonly memory?: string;
}

function resources(value: unknown, field: string): Resources | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== "object" || Array.isArray(value))
		throw bad(`${field} must be an object with memory`);
	const r = value as Record<string, unknown>;
	const refused = Object.keys(r).filter(
		(k) => k !== "memory" && !(k === "cpu" && (r[k] === "" || r[k] == null)),
	);
	if (refused.length)
		throw bad(
			`${refused.map((k) => `${field}.${k}`).join(", ")}: not supported — Sigil bounds a function's memory (and its time), not its CPU`,
		);
	if (r.memory === undefined || r.memory === "") return undefined;
	memoryMiB(r.memory, `${field}.memory`);
	return { memory: r.memory as string };
}

/** What a deployment asks for, checked; `config` is the Sigil function it becomes. */
export interface Deployment {
	readonly service: string;
	readonly image: string;
	readonly envProcess: string;
	readonly envVars: Readonly<Record<string, string>>;
	readonly secrets: readonly string[];
	readonly labels: Readonly<Record<string, string>>;
	readonly annotations: Readonly<Record<string, string>>;
	readonly limits?: Resources;
	readonly requests?: Resources;
	readonly memoryMb?: number;
	readonly concurrency?: { readonly min?: number; readonly max?: number };
}

/** faas-provider's FunctionDeployment fields, and the two older faas-cli generations sent. */
const DEPLOYMENT_FIELDS = new Set([
	"service",
	"image",
	"namespace",
	"envProcess",
	"envVars",
	"constraints",
	"secrets",
	"labels",
	"annotations",
	"limits",
	"requests",
	"readOnlyRootFilesystem",
	"network",
	"registryAuth",
]);

function scaleLabel(
	labels: Record<string, string>,
	key: string,
	min: number,
	max: number,
): number | undefined {
	const v = labels[key];
	if (v === undefined) return undefined;
	if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max)
		throw bad(
			`labels.${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
		);
	return Number(v);
}

/** Parses a FunctionDeployment body strictly (docs/openfaas.md says what each field does here). */
export function parseDeployment(body: Buffer): Deployment {
	const d = jsonObject(body, "a FunctionDeployment");
	const unknown = Object.keys(d).filter((k) => !DEPLOYMENT_FIELDS.has(k));
	if (unknown.length)
		throw bad(
			`${unknown.map((k) => JSON.stringify(k)).join(", ")}: not a field of OpenFaaS's FunctionDeployment`,
		);
	const service = functionName(d.service, "service");
	checkNamespace(d.namespace, "namespace");
	const refused: string[] = [];
	if (Array.isArray(d.constraints) ? d.constraints.length : d.constraints)
		refused.push("constraints (Sigil has no placement)");
	if (d.readOnlyRootFilesystem === true)
		refused.push("readOnlyRootFilesystem (Sigil has no such switch)");
	if (d.network !== undefined && d.network !== null && d.network !== "")
		refused.push("network (functions share the gateway's networking)");
	// Registry credentials are never stored: an image is not pulled.
	if (
		d.registryAuth !== undefined &&
		d.registryAuth !== null &&
		d.registryAuth !== ""
	)
		refused.push("registryAuth (Sigil pulls no image)");
	if (refused.length) throw bad(`not supported: ${refused.join("; ")}`);
	if (d.image !== undefined && typeof d.image !== "string")
		throw bad("image must be a string");
	const image = (d.image as string | undefined) ?? "";
	if (image.length > 1024) throw bad("image is longer than 1024 characters");
	if (typeof d.envProcess !== "string" || d.envProcess.trim() === "")
		throw bad(
			`envProcess is required (faas-cli deploy --fprocess): Sigil runs it as a process function and does not pull or run the image${image ? ` ${image}` : ""}`,
		);
	if (d.envProcess.length > 4096)
		throw bad("envProcess is longer than 4096 characters");
	const envVars = stringMap(d.envVars, "envVars");
	for (const k of Object.keys(envVars))
		if (!ENV_NAME.test(k))
			throw bad(
				`envVars.${k.slice(0, 80)} is not an environment variable name`,
			);
	let secrets: string[] = [];
	if (d.secrets !== undefined && d.secrets !== null) {
		if (!Array.isArray(d.secrets) || d.secrets.length > 64)
			throw bad("secrets must be a list of up to 64 secret names");
		secrets = d.secrets.map((s, i) => {
			if (typeof s !== "string" || !NAME_PATTERN.test(s))
				throw bad(
					`secrets[${i}] ${JSON.stringify(s)} is not a secret name (lower-case letters, digits and '-')`,
				);
			return s;
		});
	}
	const labels = stringMap(d.labels, "labels");
	const annotations = stringMap(d.annotations, "annotations");
	const notHere = [
		...Object.keys(labels)
			.filter(
				(k) =>
					(k.startsWith("com.openfaas.") &&
						k !== SCALE_MIN &&
						k !== SCALE_MAX) ||
					k.startsWith(SIGIL_PREFIX),
			)
			.map((k) => `labels.${k}`),
		...Object.keys(annotations)
			.filter(
				(k) => k.startsWith("com.openfaas.") || k.startsWith(SIGIL_PREFIX),
			)
			.map((k) => `annotations.${k}`),
	];
	if (notHere.length)
		throw bad(
			`not supported: ${notHere.join(", ")} (of com.openfaas.* only the labels ${SCALE_MIN} and ${SCALE_MAX} mean something here; ${SIGIL_PREFIX}* is Sigil's own)`,
		);
	const min = scaleLabel(labels, SCALE_MIN, 0, 64);
	const max = scaleLabel(labels, SCALE_MAX, 1, 256);
	if (min !== undefined && max !== undefined && min > max)
		throw bad(`labels.${SCALE_MIN} must not exceed labels.${SCALE_MAX}`);
	const limits = resources(d.limits, "limits");
	const requests = resources(d.requests, "requests");
	const memory = limits?.memory ?? requests?.memory;
	return {
		service,
		image,
		envProcess: d.envProcess,
		envVars,
		secrets,
		labels,
		annotations,
		...(limits && { limits }),
		...(requests && { requests }),
		...(memory !== undefined && {
			memoryMb: memoryMiB(
				memory,
				limits?.memory ? "limits.memory" : "requests.memory",
			),
		}),
		...((min !== undefined || max !== undefined) && {
			concurrency: {
				...(min !== undefined && { min }),
				...(max !== undefined && { max }),
			},
		}),
	};
}

// ---------------------------------------------------------------------------------------------
// Targets: resolved once, authorized, handed to the handler.

export interface OpenFaasFunctionTarget extends Target {
	readonly kind: "openfaas-function";
	readonly name: string;
}

export interface DeploymentTarget extends OpenFaasFunctionTarget {
	readonly deployment: Deployment;
}

export interface OpenFaasSecretTarget extends Target {
	readonly kind: "openfaas-secret";
	readonly name: string;
	/** The value to store (create, update); never shown back. */
	readonly value?: Buffer;
}

async function functionTarget(
	{ principal, ctx }: ResolveInput,
	name: string,
): Promise<OpenFaasFunctionTarget> {
	const fn = await ctx.functions.lookup(name);
	return {
		kind: "openfaas-function",
		name,
		accountId: principal.accountId,
		resource: functionArn(ctx.region, principal.accountId, name),
		// Names are unique per gateway: another account's function is simply not here.
		...(fn && fn.accountId === principal.accountId && { fn }),
	};
}

/** `GET /system/functions[?namespace=openfaas-fn]`: every function of the caller's account. */
export const allFunctions: Resolver<AccountTarget> = async ({
	principal,
	ctx,
	rawQuery,
}) => {
	queryNamespace(rawQuery);
	return {
		kind: "account",
		accountId: principal.accountId,
		resource: functionArn(ctx.region, principal.accountId, "*"),
	};
};

/** `GET /system/function/NAME`: a bare name in the caller's account. */
export const namedFunction: Resolver<OpenFaasFunctionTarget> = async (
	input,
) => {
	const name = decodeParam(input.params.name, "function name");
	queryNamespace(input.rawQuery);
	return functionTarget(input, functionName(name, "function name"));
};

/** `POST|PUT /system/functions`: the FunctionDeployment in the body, checked in full first. */
export const deploymentOf: Resolver<DeploymentTarget> = async (input) => {
	queryNamespace(input.rawQuery);
	const deployment = parseDeployment(input.body);
	return {
		...(await functionTarget(input, deployment.service)),
		deployment,
	};
};

/** `DELETE /system/functions` with `{"functionName": NAME}` (faas-provider's DeleteFunctionRequest). */
export const deletionOf: Resolver<OpenFaasFunctionTarget> = async (input) => {
	queryNamespace(input.rawQuery);
	const body = jsonObject(input.body, '{"functionName": NAME}');
	const unknown = Object.keys(body).filter((k) => k !== "functionName");
	if (unknown.length)
		throw bad(
			`${unknown.map((k) => JSON.stringify(k)).join(", ")}: a delete request holds only "functionName"`,
		);
	return functionTarget(input, functionName(body.functionName, "functionName"));
};

export const allSecrets: Resolver<AccountTarget> = async ({
	principal,
	ctx,
	rawQuery,
}) => {
	queryNamespace(rawQuery);
	return {
		kind: "account",
		accountId: principal.accountId,
		resource: secretArn(ctx.region, principal.accountId, "*"),
	};
};

/** A faas-provider `Secret` body: `{name, value | rawValue}` to store, `{name}` to remove. */
export function secretOf(
	mode: "store" | "remove",
): Resolver<OpenFaasSecretTarget> {
	return async ({ principal, ctx, rawQuery, body }) => {
		queryNamespace(rawQuery);
		const s = jsonObject(body, "a Secret");
		const allowed =
			mode === "store"
				? ["name", "namespace", "value", "rawValue"]
				: ["name", "namespace"];
		const unknown = Object.keys(s).filter((k) => !allowed.includes(k));
		if (unknown.length)
			throw bad(
				`${unknown.map((k) => JSON.stringify(k)).join(", ")}: ${mode === "store" ? "a secret holds name, namespace and value or rawValue" : "removing a secret takes its name only"}`,
			);
		checkNamespace(s.namespace, "namespace");
		if (typeof s.name !== "string" || !NAME_PATTERN.test(s.name))
			throw bad(
				`name ${JSON.stringify(s.name ?? null)} is not a secret name (lower-case letters, digits and '-', 1–64)`,
			);
		let value: Buffer | undefined;
		if (mode === "store") {
			const hasValue = s.value !== undefined && s.value !== "";
			const hasRaw = s.rawValue !== undefined && s.rawValue !== "";
			if (hasValue === hasRaw)
				throw bad(
					"a secret needs exactly one of value (text) and rawValue (base64 bytes)",
				);
			if (hasValue) {
				if (typeof s.value !== "string") throw bad("value must be a string");
				value = Buffer.from(s.value, "utf8");
			} else {
				if (
					typeof s.rawValue !== "string" ||
					!/^[A-Za-z0-9+/]*={0,2}$/.test(s.rawValue)
				)
					throw bad("rawValue must be base64 (JSON's encoding of bytes)");
				value = Buffer.from(s.rawValue, "base64");
			}
		}
		return {
			kind: "openfaas-secret",
			name: s.name,
			accountId: principal.accountId,
			resource: secretArn(ctx.region, principal.accountId, s.name),
			...(value && { value }),
		};
	};
}

// ---------------------------------------------------------------------------------------------
// What the store keeps and what the API shows.

interface DeploymentFacts {
	readonly image: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly annotations: Readonly<Record<string, string>>;
	readonly requests?: Resources;
	readonly limits?: Resources;
}

interface StoredBundle {
	readonly files: readonly { path: string; data: string }[];
}

async function storedBundle(
	ctx: GatewayContext,
	accountId: string,
	name: string,
): Promise<StoredBundle | undefined> {
	const code = await ctx.store.functions.getCode(accountId, name);
	if (!code) return undefined;
	try {
		return JSON.parse(code.code.toString("utf8")) as StoredBundle;
	} catch {
		return undefined;
	}
}

function factsIn(
	bundle: StoredBundle | undefined,
): DeploymentFacts | undefined {
	const file = bundle?.files.find((f) => f.path === DEPLOYMENT_FILE);
	if (!file) return undefined;
	try {
		return JSON.parse(
			Buffer.from(file.data, "base64").toString("utf8"),
		) as DeploymentFacts;
	} catch {
		return undefined;
	}
}

const iso = (ms: number) => new Date(ms).toISOString();

function notPulled(ctx: GatewayContext, image: string): string {
	return `the image ${image} is recorded, not pulled or run: envProcess runs as a Sigil process function (isolation: ${ctx.functions.isolation})`;
}

/** faas-provider's FunctionStatus for one of Sigil's functions. */
async function functionStatus(
	ctx: GatewayContext,
	record: FunctionRecord,
): Promise<Record<string, unknown>> {
	const config = record.config as FunctionConfigInput;
	const facts = factsIn(await storedBundle(ctx, record.accountId, record.name));
	const live = await ctx.functions.lookup(record.name);
	const environment = config.environment ?? {};
	const annotations: Record<string, string> = {
		...facts?.annotations,
		"sigil.dev/runtime": config.runtime,
		"sigil.dev/trigger-auth": config.trigger?.auth ?? "none",
		...(facts?.image && {
			"sigil.dev/image-pulled": "false",
			"sigil.dev/note": notPulled(ctx, facts.image),
		}),
	};
	return {
		name: record.name,
		image: facts?.image ?? "",
		namespace: NAMESPACE,
		...(config.fprocess !== undefined && { envProcess: config.fprocess }),
		...(Object.keys(environment).length && { envVars: environment }),
		...(config.secrets?.length && { secrets: config.secrets }),
		labels: facts?.labels ?? {},
		annotations,
		// The bound Sigil applies, whatever the deployment said (256Mi when it said nothing).
		limits: { memory: `${config.memory ?? 256}Mi` },
		...(facts?.requests && { requests: facts.requests }),
		replicas: 1,
		// Sigil starts instances on demand: a function that is live is ready to answer.
		availableReplicas: live && live.accountId === record.accountId ? 1 : 0,
		createdAt: iso(record.createdAt),
	};
}

/** The Sigil function config a deployment becomes; Sigil-only settings of an update are kept. */
function configOf(
	d: Deployment,
	existing: FunctionConfigInput | undefined,
): FunctionConfigInput {
	return {
		runtime: "process",
		fprocess: d.envProcess,
		...(Object.keys(d.envVars).length && { environment: { ...d.envVars } }),
		...(d.secrets.length && { secrets: [...d.secrets] }),
		...(d.memoryMb !== undefined && { memory: d.memoryMb }),
		...(d.concurrency && {
			concurrency: { ...existing?.concurrency, ...d.concurrency },
		}),
		// No OpenFaaS field says these: an update keeps what `sigil deploy` set.
		...(existing?.trigger && { trigger: existing.trigger }),
		...(existing?.timeout !== undefined && { timeout: existing.timeout }),
		...(existing?.network !== undefined && { network: existing.network }),
	};
}

function bundleOf(d: Deployment) {
	const facts: DeploymentFacts = {
		image: d.image,
		labels: d.labels,
		annotations: d.annotations,
		...(d.requests && { requests: d.requests }),
		...(d.limits && { limits: d.limits }),
	};
	return {
		files: [
			{
				path: DEPLOYMENT_FILE,
				mode: 0o644,
				data: Buffer.from(JSON.stringify(facts)).toString("base64"),
			},
		],
	};
}

function deployAnswer(
	ex: Exchange,
	ctx: GatewayContext,
	d: Deployment,
	verb: "Deployed" | "Updated",
) {
	const host = ex.header("host") ?? "127.0.0.1";
	sendJson(ex, 202, {
		service: d.service,
		namespace: NAMESPACE,
		image: d.image,
		url: `http://${host}/function/${d.service}`,
		message: `${verb} ${d.service}: ${d.image ? notPulled(ctx, d.image) : `envProcess runs as a Sigil process function (isolation: ${ctx.functions.isolation})`}`,
		annotations: {
			"sigil.dev/runtime": "process",
			...(d.image && { "sigil.dev/image-pulled": "false" }),
		},
	});
}

// ---------------------------------------------------------------------------------------------
// Handlers.

export async function info({ ex, ctx }: Call<AccountTarget>): Promise<void> {
	const arch =
		process.arch === "x64"
			? "x86_64"
			: process.arch === "arm64"
				? "aarch64"
				: process.arch;
	sendJson(ex, 200, {
		provider: {
			provider: "sigil",
			orchestration: `sigil (isolation: ${ctx.functions.isolation})`,
			version: { sha: "", release: ctx.version },
		},
		version: { commit_message: "", sha: "", release: ctx.version },
		arch,
	});
}

export async function listFunctions({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const records = await ctx.store.functions.list(target.accountId);
	const out = [];
	for (const r of [...records].sort((a, b) => a.name.localeCompare(b.name)))
		out.push(await functionStatus(ctx, r));
	sendJson(ex, 200, out);
}

export async function getFunction({
	ex,
	ctx,
	target,
}: Call<OpenFaasFunctionTarget>): Promise<void> {
	const record = target.fn
		? await ctx.store.functions.get(target.accountId, target.name)
		: undefined;
	if (!record)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`No such function: ${target.name}`,
		);
	sendJson(ex, 200, await functionStatus(ctx, record));
}

/** POST: a new function. faas-cli deploy tries PUT first and POSTs after its 404. */
export async function deployFunction({
	ex,
	ctx,
	target,
}: Call<DeploymentTarget>): Promise<void> {
	const d = target.deployment;
	if (target.fn)
		throw new SigilError(
			"CONFLICT",
			`function ${d.service} already exists: update it with PUT /system/functions (faas-cli deploy does)`,
		);
	await ctx.functions.deploy(
		target.accountId,
		d.service,
		configOf(d, undefined),
		bundleOf(d),
	);
	deployAnswer(ex, ctx, d, "Deployed");
}

/** PUT: a new revision of an existing function (a rolling update in OpenFaaS's words). */
export async function updateFunction({
	ex,
	ctx,
	target,
}: Call<DeploymentTarget>): Promise<void> {
	const d = target.deployment;
	const record = target.fn
		? await ctx.store.functions.get(target.accountId, d.service)
		: undefined;
	if (!record)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`No such function: ${d.service}`,
		);
	const existing = record.config as FunctionConfigInput;
	const bundle = await storedBundle(ctx, target.accountId, d.service);
	const ownCode = (bundle?.files ?? []).some((f) => f.path !== DEPLOYMENT_FILE);
	if (existing.runtime !== "process" || ownCode)
		throw new SigilError(
			"CONFLICT",
			`function ${d.service} was deployed by sigil deploy (runtime ${existing.runtime}${ownCode ? ", with its own code" : ""}); a FunctionDeployment would replace it with envProcess alone — update it with sigil deploy, or remove it first`,
		);
	await ctx.functions.deploy(
		target.accountId,
		d.service,
		configOf(d, existing),
		bundleOf(d),
	);
	deployAnswer(ex, ctx, d, "Updated");
}

export async function deleteFunction({
	ex,
	ctx,
	target,
}: Call<OpenFaasFunctionTarget>): Promise<void> {
	if (!target.fn)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`No such function: ${target.name}`,
		);
	await ctx.functions.remove(target.accountId, target.name);
	send(ex, 202, Buffer.alloc(0));
}

export async function listSecrets({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const secrets = await ctx.store.secrets.list(target.accountId);
	sendJson(
		ex,
		200,
		secrets.map((s) => ({ name: s.name, namespace: NAMESPACE })),
	);
}

async function refreshUsers(
	ctx: GatewayContext,
	accountId: string,
	secret: string,
): Promise<string[]> {
	const users: string[] = [];
	for (const r of await ctx.store.functions.list(accountId)) {
		const c = r.config as FunctionConfigInput;
		if (c.secrets?.includes(secret) || c.trigger?.secrets?.includes(secret))
			users.push(r.name);
	}
	return users;
}

export async function createSecret({
	ex,
	ctx,
	target,
}: Call<OpenFaasSecretTarget>): Promise<void> {
	if (await ctx.store.secrets.get(target.accountId, target.name))
		throw new SigilError(
			"CONFLICT",
			`secret with the name "${target.name}" already exists: update it with PUT /system/secrets (faas-cli secret update)`,
		);
	await ctx.store.secrets.put(
		target.accountId,
		target.name,
		target.value ?? Buffer.alloc(0),
	);
	send(ex, 202, Buffer.alloc(0));
}

export async function updateSecret({
	ex,
	ctx,
	target,
}: Call<OpenFaasSecretTarget>): Promise<void> {
	if (!(await ctx.store.secrets.get(target.accountId, target.name)))
		throw new SigilError(
			"SECRET_NOT_FOUND",
			`unable to find secret: ${target.name}`,
		);
	await ctx.store.secrets.put(
		target.accountId,
		target.name,
		target.value ?? Buffer.alloc(0),
	);
	// Functions holding the old value as a file get the new one.
	for (const name of await refreshUsers(ctx, target.accountId, target.name))
		await ctx.functions.refresh(name);
	send(ex, 202, Buffer.alloc(0));
}

export async function deleteSecret({
	ex,
	ctx,
	target,
}: Call<OpenFaasSecretTarget>): Promise<void> {
	const users = await refreshUsers(ctx, target.accountId, target.name);
	if (users.length)
		throw new SigilError(
			"CONFLICT",
			`secret '${target.name}' is used by ${users.join(", ")}; remove it from them first`,
		);
	try {
		await ctx.store.secrets.delete(target.accountId, target.name);
	} catch (err) {
		if (isStoreError(err, "STORE_NOT_FOUND"))
			throw new SigilError(
				"SECRET_NOT_FOUND",
				`unable to find secret: ${target.name}`,
			);
		throw err;
	}
	send(ex, 202, Buffer.alloc(0));
}
