/**
 * Which engines a gateway runs on, chosen once at start from `sigil up --store … --queue …
 * --cache …` or `SIGIL_STORE` / `SIGIL_QUEUE` / `SIGIL_CACHE` (a flag wins over its variable; any
 * subset may be set, the rest stay embedded). Validated strictly — an unknown scheme or query
 * parameter stops the start with the key path in the message — then frozen: the composition root
 * (gateway/bootstrap.ts `openPorts`) reads it and nothing else.
 *
 * - store: `sqlite` (default: the data directory's file) or `postgres://…` / `postgresql://…`
 *   (`?schema=NAME`, default `sigil`; `sslmode` passes through to node-postgres). The change feed
 *   follows the store: PostgreSQL LISTEN/NOTIFY on that database, else in memory.
 * - queue: `embedded` (default: the store's jobs table) or `nats://host:port[,nats://…]`
 *   (`?stream=NAME`, default `SIGIL_JOBS`).
 * - cache: `memory` (default) or `redis://…` / `rediss://…` (`?prefix=TEXT`, default `sigil:`).
 *
 * URLs may carry passwords: `describeEngines` is the only form that reaches a log or a page.
 */
import { SigilError } from "../errors.ts";

export type StoreChoice =
	| { readonly kind: "sqlite" }
	| {
			readonly kind: "postgres";
			/** The URL node-postgres gets (our own `schema` parameter removed). */
			readonly url: string;
			readonly schema: string;
	  };

export type QueueChoice =
	| { readonly kind: "embedded" }
	| {
			readonly kind: "nats";
			/** One or more servers, comma-separated, without our `stream` parameter. */
			readonly url: string;
			readonly stream: string;
	  };

export type CacheChoice =
	| { readonly kind: "memory" }
	| {
			readonly kind: "redis";
			readonly url: string;
			readonly keyPrefix: string;
	  };

export interface EngineConfig {
	readonly store: StoreChoice;
	readonly queue: QueueChoice;
	readonly cache: CacheChoice;
}

/** What `sigil up` passes from its flags; `undefined` leaves the choice to the environment. */
export interface EngineFlags {
	readonly store?: string | undefined;
	readonly queue?: string | undefined;
	readonly cache?: string | undefined;
}

export const ENGINE_ENV = {
	store: "SIGIL_STORE",
	queue: "SIGIL_QUEUE",
	cache: "SIGIL_CACHE",
} as const;

const SCHEMA = /^[a-z_][a-z0-9_]{0,56}$/;
const STREAM = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX = /^[A-Za-z0-9_:.-]{1,64}$/;
/** Longest engine URL accepted (a connection string, not a document). */
const MAX_URL = 2048;

function invalid(where: string, message: string): SigilError {
	return new SigilError("GATEWAY_CONFIG_INVALID", `${where}: ${message}`);
}

/** The value of one choice and where it came from (for messages: `--queue` or `SIGIL_QUEUE`). */
function pick(
	name: keyof EngineFlags,
	flags: EngineFlags,
	env: Record<string, string | undefined>,
): { value: string; where: string } | undefined {
	const flag = flags[name];
	if (flag !== undefined) return { value: flag.trim(), where: `--${name}` };
	const fromEnv = env[ENGINE_ENV[name]];
	if (fromEnv !== undefined && fromEnv.trim() !== "")
		return { value: fromEnv.trim(), where: ENGINE_ENV[name] };
	return undefined;
}

/**
 * Parses `value` as a URL whose scheme is one of `schemes`; returns it with the query parameters
 * split off. A parameter outside `allowed` is refused, never passed on and ignored.
 */
function parseUrl(
	where: string,
	value: string,
	schemes: readonly string[],
	allowed: readonly string[],
): { url: URL; params: Map<string, string> } {
	if (value.length > MAX_URL)
		throw invalid(where, `the URL is longer than ${MAX_URL} characters`);
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw invalid(
			where,
			`not a URL; expected ${schemes.map((s) => `${s}//…`).join(" or ")}`,
		);
	}
	if (!schemes.includes(url.protocol))
		throw invalid(
			where,
			`the scheme ${JSON.stringify(url.protocol.replace(/:$/, ""))} is not supported; use ${schemes.map((s) => `${s}//…`).join(" or ")}`,
		);
	if (!url.hostname) throw invalid(where, "the URL names no host");
	const params = new Map<string, string>();
	for (const [key, v] of url.searchParams) {
		if (!allowed.includes(key))
			throw invalid(
				where,
				`the query parameter ${JSON.stringify(key)} is not supported${allowed.length ? ` (only ${allowed.join(", ")})` : ""}`,
			);
		if (params.has(key))
			throw invalid(where, `the query parameter ${key} is given twice`);
		params.set(key, v);
	}
	return { url, params };
}

function storeChoice(
	flags: EngineFlags,
	env: Record<string, string | undefined>,
): StoreChoice {
	const given = pick("store", flags, env);
	if (!given || given.value === "sqlite") return { kind: "sqlite" };
	const { url, params } = parseUrl(
		given.where,
		given.value,
		["postgres:", "postgresql:"],
		["schema", "sslmode"],
	);
	const schema = params.get("schema") ?? "sigil";
	if (!SCHEMA.test(schema))
		throw invalid(
			given.where,
			`schema must be a lower-case identifier of at most 57 characters, got ${JSON.stringify(schema)}`,
		);
	url.searchParams.delete("schema");
	return { kind: "postgres", url: url.toString(), schema };
}

function queueChoice(
	flags: EngineFlags,
	env: Record<string, string | undefined>,
): QueueChoice {
	const given = pick("queue", flags, env);
	if (!given || given.value === "embedded") return { kind: "embedded" };
	// Several servers are one comma-separated value; the stream parameter may end the last one.
	const servers = given.value.split(",").map((s) => s.trim());
	let stream: string | undefined;
	const urls = servers.map((server, i) => {
		const { url, params } = parseUrl(
			given.where,
			server,
			["nats:"],
			i === servers.length - 1 ? ["stream"] : [],
		);
		stream = params.get("stream") ?? stream;
		url.search = "";
		return url.toString().replace(/\/$/, "");
	});
	const name = stream ?? "SIGIL_JOBS";
	if (!STREAM.test(name))
		throw invalid(
			given.where,
			`stream must be 1–64 letters, digits, _ or -, got ${JSON.stringify(name)}`,
		);
	return { kind: "nats", url: urls.join(","), stream: name };
}

function cacheChoice(
	flags: EngineFlags,
	env: Record<string, string | undefined>,
): CacheChoice {
	const given = pick("cache", flags, env);
	if (!given || given.value === "memory") return { kind: "memory" };
	const { url, params } = parseUrl(
		given.where,
		given.value,
		["redis:", "rediss:"],
		["prefix"],
	);
	const keyPrefix = params.get("prefix") ?? "sigil:";
	if (!PREFIX.test(keyPrefix))
		throw invalid(
			given.where,
			`prefix must be 1–64 letters, digits or _ : . -, got ${JSON.stringify(keyPrefix)}`,
		);
	url.searchParams.delete("prefix");
	return { kind: "redis", url: url.toString(), keyPrefix };
}

/** Validates the engine choices once; the result is frozen. */
export function resolveEngines(
	flags: EngineFlags,
	env: Record<string, string | undefined>,
): EngineConfig {
	return Object.freeze({
		store: Object.freeze(storeChoice(flags, env)),
		queue: Object.freeze(queueChoice(flags, env)),
		cache: Object.freeze(cacheChoice(flags, env)),
	});
}

/** A URL without its password (for logs, /readyz and errors). */
export function redactUrl(url: string): string {
	return url
		.split(",")
		.map((one) => {
			try {
				const u = new URL(one);
				if (u.password) u.password = "***";
				return u.toString();
			} catch {
				return "(an unparsable URL)";
			}
		})
		.join(",");
}

/** The engines in words, passwords removed: the start-up line and GET /sigil/v1/info. */
export function describeEngines(config: EngineConfig): {
	store: string;
	queue: string;
	cache: string;
	feed: string;
} {
	const s = config.store;
	const q = config.queue;
	const c = config.cache;
	return {
		store:
			s.kind === "sqlite"
				? "sqlite (the data directory)"
				: `postgres ${redactUrl(s.url)} schema ${s.schema}`,
		queue:
			q.kind === "embedded"
				? "embedded (the store's jobs table)"
				: `nats ${redactUrl(q.url)} stream ${q.stream}`,
		cache:
			c.kind === "memory"
				? "memory (this gateway only)"
				: `redis ${redactUrl(c.url)} prefix ${c.keyPrefix}`,
		feed:
			s.kind === "postgres"
				? "postgres LISTEN/NOTIFY"
				: "memory (this gateway only)",
	};
}
