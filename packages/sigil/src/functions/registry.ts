/**
 * The deployed functions this gateway serves: their validated config, their unpacked code and a
 * live runtime each. Deploying builds the new runtime first and only then retires the old one
 * (which finishes its in-flight work), so a redeploy drops no request.
 *
 * Names are one namespace across accounts (the URL /function/NAME names one function): the
 * store's unique index on the name decides who holds it, and a lookup is one probe of that
 * index. Every trigger request looks its name up before anyone is authenticated, so names found
 * missing are remembered for a few seconds in a bounded map: a flood of random names costs at
 * most one probe per name per TTL and a fixed amount of memory.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
	type FunctionConfig,
	type FunctionConfigInput,
	parseFunctionConfig,
} from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { ExecutionRoles } from "../iam/execution-role.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import type { SharedCache } from "../ports/shared-cache.ts";
import { resolvePython } from "../runtime/python3-runtime.ts";
import type { RuntimeIsolation } from "../runtime/sandbox.ts";
import { type FunctionRuntime, RuntimeError } from "../runtime/types.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { FunctionRecord, FunctionVersionRecord } from "../store/types.ts";
import { bundleBytes, decodeBundle, materialiseBundle } from "./bundle.ts";
import { withClusterSlots } from "./cluster-slots.ts";
import { createRuntime } from "./create-runtime.ts";
import { InvocationLogs } from "./invocation-logs.ts";
import { withRateLimit } from "./rate-limited.ts";
import { throttled } from "./throttled-runtime.ts";

export interface DeployedFunction {
	readonly accountId: string;
	readonly name: string;
	readonly arn: string;
	readonly revision: number;
	readonly config: FunctionConfig;
	readonly record: FunctionRecord;
	readonly runtime: FunctionRuntime;
	/** The published version this runs (Lambda's PublishVersion); absent for `$LATEST`. */
	readonly version?: number;
	/**
	 * Set on an alias's function URL (`/function/NAME:ALIAS/`): the alias whose URL config
	 * (`config.trigger`) this is and whose own resource policy decides; `arn` stays the function's.
	 */
	readonly qualifier?: string;
}

interface Built {
	readonly config: FunctionConfig;
	readonly runtime: FunctionRuntime;
	readonly secretsDir: string | undefined;
}

export interface RegistryOptions {
	readonly store: Store;
	readonly dataDir: string;
	readonly region: string;
	/** How long a retired runtime may take to finish in-flight work. */
	readonly drainMs?: number;
	/** How long a name found missing is answered from memory (default 3 s). */
	readonly negativeCacheTtlMs?: number;
	/** Names found missing remembered at most (default 10,000; oldest go first). */
	readonly negativeCacheMax?: number;
	/** The clock of the negative cache (default `Date.now`). */
	readonly now?: () => number;
	/** Published versions kept running at once (default 32; the least recently used goes first). */
	readonly maxLiveVersions?: number;
	/** How functions are kept from the gateway (default `none`: in-process, as a library would). */
	readonly isolation?: RuntimeIsolation;
	/** Where each invocation's output is collected for its audit record (default: a fresh one). */
	readonly logs?: InvocationLogs;
	/**
	 * Execution roles: the deploy-time checks of a function's `role` and the credentials its
	 * instances get. Without it, a function naming a role is refused.
	 */
	readonly executionRoles?: ExecutionRoles;
	/**
	 * Where reserved concurrency is counted across gateways (Redis); without it each gateway's
	 * runtime bounds its own invocations only (one gateway: the same thing).
	 */
	readonly reservedSlots?: SharedCache;
	/**
	 * Where functions' `rateLimit` windows are counted (the gateway's shared cache: memory for one
	 * gateway, Redis for many); without it a `rateLimit` cannot be kept and the deploy is refused.
	 */
	readonly rateWindows?: SharedCache;
}

export class FunctionRegistry {
	readonly #opts: RegistryOptions;
	readonly #live = new Map<string, DeployedFunction>();
	/**
	 * Running published versions by `versionKey`, least recently used first. A version never
	 * changes, so its runtime is only retired when the version or its function goes, or to make
	 * room; the key includes the version's creation time, so a function deleted and created
	 * again never gets the old one's version 1.
	 */
	readonly #versions = new Map<string, RunningVersion>();
	/** In-flight loads, so concurrent first requests build one runtime. */
	readonly #loading = new Map<string, Promise<DeployedFunction | undefined>>();
	/**
	 * Names found missing → until when that answer stands. The TTL is constant, so insertion
	 * order is expiry order: eviction pops from the front.
	 */
	readonly #missing = new Map<string, number>();
	/** Deploys and removals of one name run one after another (see `#serial`). */
	readonly #locks = new Map<string, Promise<void>>();
	#closed = false;
	readonly #secretDirs = new Map<FunctionRuntime, string | undefined>();
	readonly #now: () => number;
	/** Each invocation's output, redacted of the function's secrets, until its audit record takes it. */
	readonly logs: InvocationLogs;
	readonly #missingTtlMs: number;
	readonly #missingMax: number;

	constructor(opts: RegistryOptions) {
		this.#opts = opts;
		this.#now = opts.now ?? Date.now;
		this.logs = opts.logs ?? new InvocationLogs();
		this.#missingTtlMs = opts.negativeCacheTtlMs ?? 3_000;
		this.#missingMax = Math.max(1, opts.negativeCacheMax ?? 10_000);
	}

	/** The isolation every runtime of this registry is built with. */
	get isolation(): RuntimeIsolation["kind"] {
		return this.#opts.isolation?.kind ?? "none";
	}

	/** How many names are remembered as missing (bounded by `negativeCacheMax`). */
	get negativeCacheSize(): number {
		return this.#missing.size;
	}

	arnOf(accountId: string, name: string): string {
		return `arn:aws:lambda:${this.#opts.region}:${accountId}:function:${name}`;
	}

	/** The live function called `name` (names are unique across accounts, as URLs must be). */
	async lookup(name: string): Promise<DeployedFunction | undefined> {
		const live = this.#live.get(name);
		if (live) return live;
		let pending = this.#loading.get(name);
		if (!pending) {
			if (this.#knownMissing(name)) return undefined;
			pending = this.#load(name).finally(() => this.#loading.delete(name));
			this.#loading.set(name, pending);
		}
		return pending;
	}

	async #load(name: string): Promise<DeployedFunction | undefined> {
		const record = await this.#opts.store.functions.findByName(name);
		if (!record) {
			this.#rememberMissing(name);
			return undefined;
		}
		return this.#activate(record);
	}

	#knownMissing(name: string): boolean {
		const until = this.#missing.get(name);
		if (until === undefined) return false;
		if (until > this.#now()) return true;
		this.#missing.delete(name);
		return false;
	}

	#rememberMissing(name: string): void {
		const now = this.#now();
		this.#missing.delete(name);
		// Front of the map: the soonest to expire. Drop the expired, then the oldest while full.
		for (const [oldest, until] of this.#missing) {
			if (until > now && this.#missing.size < this.#missingMax) break;
			this.#missing.delete(oldest);
		}
		this.#missing.set(name, now + this.#missingTtlMs);
	}

	/**
	 * Runs `fn` after every earlier deploy or removal of `name` on this gateway has finished, so
	 * a burst of deploys of one name stores and goes live in order (the store's revisions, and its
	 * unique name index, order deploys between gateways).
	 */
	async #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
		const prior = this.#locks.get(name) ?? Promise.resolve();
		let release = () => {};
		const mine = new Promise<void>((resolve) => {
			release = resolve;
		});
		const tail = prior.then(() => mine);
		this.#locks.set(name, tail);
		await prior;
		try {
			return await fn();
		} finally {
			release();
			if (this.#locks.get(name) === tail) this.#locks.delete(name);
		}
	}

	/**
	 * The running runtime of a published version: its own config and code, whatever `$LATEST`
	 * has become since. `fn` is the function's live `$LATEST` (whose record the version belongs
	 * to); the caller has read `version` from the store for this request, so a version deleted
	 * meanwhile is never served from here.
	 */
	async versionOf(
		fn: DeployedFunction,
		version: FunctionVersionRecord,
	): Promise<DeployedFunction> {
		if (version.accountId !== fn.accountId || version.name !== fn.name)
			throw new SigilError(
				"INTERNAL",
				`version ${version.version} does not belong to function ${fn.name}`,
			);
		const key = versionKey(version);
		const known = this.#versions.get(key);
		if (known) {
			// Most recently used: to the back.
			this.#versions.delete(key);
			this.#versions.set(key, known);
			return known.running;
		}
		const pending = this.#buildVersion(fn, version);
		const entry: RunningVersion = { fn, version, running: pending };
		this.#versions.set(key, entry);
		pending.catch(() => {
			if (this.#versions.get(key) === entry) this.#versions.delete(key);
		});
		const max = Math.max(1, this.#opts.maxLiveVersions ?? 32);
		for (const [oldest, { running }] of this.#versions) {
			if (this.#versions.size <= max) break;
			this.#versions.delete(oldest);
			void running.then(
				(v) => this.#retire(v.runtime, this.#opts.drainMs ?? 30_000),
				() => {},
			);
		}
		return pending;
	}

	/** Version `n` of `fn` running, read from the store now; `undefined` when it was deleted. */
	async publishedVersion(
		fn: DeployedFunction,
		n: number,
	): Promise<DeployedFunction | undefined> {
		const version = await this.#opts.store.versions.get(
			fn.accountId,
			fn.name,
			n,
		);
		return version && this.versionOf(fn, version);
	}

	async #buildVersion(
		fn: DeployedFunction,
		version: FunctionVersionRecord,
	): Promise<DeployedFunction> {
		const { accountId, name } = fn;
		// Reserved concurrency belongs to the function, not to a snapshot of it (Lambda's
		// versions carry none): the version's runtime is built without it.
		const { reservedConcurrency: _, ...config } = version.config;
		const built = await this.#build(
			accountId,
			name,
			config,
			version.codeSha256,
			async () => {
				const code = await this.#opts.store.versions.getCode(
					accountId,
					name,
					version.version,
				);
				if (!code)
					throw new SigilError(
						"INTERNAL",
						`code of ${name} version ${version.version} is missing from the store`,
					);
				return code.code;
			},
			version.version,
		);
		this.#secretDirs.set(built.runtime, built.secretsDir);
		return {
			accountId,
			name,
			arn: fn.arn,
			revision: version.fromRevision,
			config: built.config,
			record: {
				...fn.record,
				config: version.config,
				codeSha256: version.codeSha256,
				codeSize: version.codeSize,
			},
			runtime: built.runtime,
			version: version.version,
		};
	}

	/** Retires the running versions of a function (all of them, or the one numbered `only`). */
	retireVersions(accountId: string, name: string, only?: number): void {
		const prefix = `${accountId}\0${name}\0${only === undefined ? "" : `${only}\0`}`;
		for (const [key, { running }] of this.#versions) {
			if (!key.startsWith(prefix)) continue;
			this.#versions.delete(key);
			void running.then(
				(v) => this.#retire(v.runtime, this.#opts.drainMs ?? 30_000),
				() => {},
			);
		}
	}

	/** Builds `record` and makes it live; `force` replaces even the same revision (a refresh). */
	async #activate(
		record: FunctionRecord,
		force = false,
	): Promise<DeployedFunction> {
		const built = await this.#build(
			record.accountId,
			record.name,
			record.config,
			record.codeSha256,
			async () => {
				const code = await this.#opts.store.functions.getCode(
					record.accountId,
					record.name,
					record.revision,
				);
				if (!code)
					throw new SigilError(
						"INTERNAL",
						`code of ${record.name} revision ${record.revision} is missing from the store`,
					);
				return code.code;
			},
		);
		return this.#goLive(record, built, force);
	}

	/**
	 * Everything a live function needs, made before anything is stored or swapped: the validated
	 * config, the unpacked code, its own secrets folder and a started runtime. A deploy whose
	 * runtime cannot start fails here and leaves the live version (and the store) untouched.
	 */
	async #build(
		accountId: string,
		name: string,
		stored: unknown,
		codeSha256: string,
		loadCode: () => Promise<Buffer>,
		version?: number,
	): Promise<Built> {
		if (this.#closed)
			throw new SigilError("SHUTTING_DOWN", "the gateway is shutting down");
		const parsed = parseFunctionConfig(stored);
		if (!parsed.ok)
			throw new SigilError(
				"INTERNAL",
				`stored config of ${name} no longer validates: ${parsed.issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
			);
		const config = parsed.config;
		const codeDir = await materialiseBundle(
			join(this.#opts.dataDir, "code"),
			codeSha256,
			loadCode,
		);
		const secretsDir = await this.#writeSecrets(
			accountId,
			name,
			config.secrets,
		);
		try {
			const arn = this.arnOf(accountId, name);
			this.logs.setSecrets(
				arn,
				await this.#secretValues(accountId, [
					...config.secrets,
					...config.trigger.secrets,
				]),
			);
			const credentials =
				config.role === undefined
					? undefined
					: await this.#roles().credentialsFor(
							accountId,
							name,
							config.role,
							// Whatever the function prints of its secret key or token is redacted.
							(values) => this.logs.setSecrets(arn, values),
						);
			const runtime = this.#reserved(
				accountId,
				name,
				config,
				await createRuntime({
					name,
					config,
					codeDir,
					secretsDir,
					onLog: this.logs.sink(arn),
					arn,
					region: this.#opts.region,
					isolation: this.#opts.isolation ?? { kind: "none" },
					...(version !== undefined && { version: String(version) }),
					...(credentials && { credentials, roleCheck: credentials }),
				}),
			);
			return { config, runtime, secretsDir };
		} catch (err) {
			if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
			throw err;
		}
	}

	/**
	 * Swaps `built` in as the live version of its name, unless this account's same or a newer
	 * revision is live already (a lookup and a deploy that built one revision each, or activations
	 * finishing out of order): then `built` is retired and the live one stays.
	 */
	#goLive(
		record: FunctionRecord,
		built: Built,
		force = false,
	): DeployedFunction {
		this.#secretDirs.set(built.runtime, built.secretsDir);
		this.#missing.delete(record.name);
		const current = this.#live.get(record.name);
		if (
			!force &&
			current &&
			current.runtime !== built.runtime &&
			current.accountId === record.accountId &&
			current.revision >= record.revision
		) {
			void this.#retire(built.runtime, 0);
			return current;
		}
		const fn: DeployedFunction = {
			accountId: record.accountId,
			name: record.name,
			arn: this.arnOf(record.accountId, record.name),
			revision: record.revision,
			config: built.config,
			record,
			runtime: built.runtime,
		};
		this.#live.set(record.name, fn);
		if (current && current.runtime !== built.runtime)
			void this.#retire(current.runtime, this.#opts.drainMs ?? 30_000);
		return fn;
	}

	/** Closes a runtime (letting in-flight work finish) and removes its secrets folder. */
	async #retire(runtime: FunctionRuntime, graceMs: number): Promise<void> {
		await runtime.close(graceMs).catch(() => {});
		const dir = this.#secretDirs.get(runtime);
		this.#secretDirs.delete(runtime);
		if (dir) await rm(dir, { recursive: true, force: true });
	}

	/** With `reservedSlots`, a function's reserved concurrency holds across every gateway. */
	#reserved(
		accountId: string,
		name: string,
		config: FunctionConfig,
		runtime: FunctionRuntime,
	): FunctionRuntime {
		// Reserved concurrency 0 (Lambda's throttle): deployed, and every invocation refused.
		if (config.reservedConcurrency === 0) return throttled(runtime);
		const counted = this.#rateLimited(accountId, name, config, runtime);
		const slots = this.#opts.reservedSlots;
		// 0 throttles every call (the runtime refuses them itself): no slot to count.
		if (!slots || !config.reservedConcurrency) return counted;
		return withClusterSlots(counted, slots, {
			accountId,
			name,
			limit: config.reservedConcurrency,
			timeoutMs: config.timeoutMs,
		});
	}

	/** With a `rateLimit`, each invocation is counted in the shared cache's window first. */
	#rateLimited(
		accountId: string,
		name: string,
		config: FunctionConfig,
		runtime: FunctionRuntime,
	): FunctionRuntime {
		if (config.rateLimit) {
			const windows = this.#opts.rateWindows;
			if (!windows)
				throw new SigilError(
					"INVALID_CONFIG",
					`function ${name} has a rateLimit, and this gateway was started without a shared cache to count it in`,
				);
			return withRateLimit(runtime, windows, {
				accountId,
				name,
				...config.rateLimit,
			});
		}
		return runtime;
	}

	/**
	 * Validates, stores and activates a function; returns it live. `by` is the caller the front
	 * door authenticated: a role new to the function is passed by it (iam:PassRole), so a front
	 * door that can set a role must say who asks.
	 */
	async deploy(
		accountId: string,
		name: string,
		input: FunctionConfigInput,
		code: unknown,
		by?: IamPrincipal,
		options: DeployOptions = {},
	): Promise<{ fn: DeployedFunction; created: boolean }> {
		const parsed = parseFunctionConfig(input, "config");
		if (!parsed.ok)
			throw new SigilError(
				"INVALID_CONFIG",
				`invalid function config:\n${parsed.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
				{ issues: parsed.issues },
			);
		let bytes: Buffer | undefined;
		let sha256: string | undefined;
		if (code !== undefined) {
			try {
				({ bytes, sha256 } = bundleBytes(decodeBundle(code)));
			} catch (err) {
				throw new SigilError("BUNDLE_INVALID", (err as Error).message);
			}
		}
		return this.#serial(name, () =>
			this.#deploy(
				accountId,
				name,
				input,
				parsed.config,
				bytes,
				sha256,
				by,
				options,
			),
		);
	}

	async #deploy(
		accountId: string,
		name: string,
		input: FunctionConfigInput,
		config: FunctionConfig,
		bytes: Buffer | undefined,
		sha256: string | undefined,
		by: IamPrincipal | undefined,
		options: DeployOptions,
	): Promise<{ fn: DeployedFunction; created: boolean }> {
		const { store } = this.#opts;
		// Refuses early, before a runtime is built, when another account holds the name. Only a
		// shortcut: two gateways racing both pass it, and the store's unique index decides.
		const holder = await store.functions.findByName(name);
		if (holder && holder.accountId !== accountId) throw nameTaken(name);
		const existing = holder;
		if (config.role !== undefined) {
			// As Lambda: passing a role is checked when it is new to the function (create, or a
			// config update naming another); a code update or a redeploy keeps what was passed.
			const passed =
				existing !== undefined &&
				(existing.config as { role?: unknown }).role === config.role;
			if (!passed && by === undefined)
				throw new SigilError(
					"INTERNAL",
					`deploy of ${name}: a new role must be passed by an authenticated caller`,
				);
			await this.#roles().authorizeDeploy(
				accountId,
				config.role,
				passed ? undefined : by,
			);
		}
		const needed = new Set([...config.secrets, ...config.trigger.secrets]);
		for (const secret of needed) {
			if (!(await store.secrets.get(accountId, secret)))
				throw new SigilError(
					"SECRET_NOT_FOUND",
					`secret '${secret}' does not exist in account ${accountId}: create it first with \`sigil secret create ${secret}\``,
				);
		}
		const codeSha = sha256 ?? existing?.codeSha256;
		if (!codeSha)
			throw new SigilError(
				"BAD_REQUEST",
				`function '${name}' is new: its code is required`,
			);
		const built = await this.#build(
			accountId,
			name,
			input,
			codeSha,
			async () => {
				if (bytes) return bytes;
				const current = await store.functions.getCode(accountId, name);
				if (!current)
					throw new SigilError(
						"INTERNAL",
						`code of ${name} is missing from the store`,
					);
				return current.code;
			},
		);
		let record: FunctionRecord | undefined;
		let created: boolean;
		try {
			if (options.loadProbe !== false) await loadProbe(name, built.runtime);
			let revision: number;
			try {
				({ revision, created } = await store.functions.put({
					accountId,
					name,
					config: input as Record<string, unknown>,
					...(bytes && { code: bytes }),
				}));
			} catch (err) {
				// Lost the name to another account's concurrent deploy (the unique index said so).
				if (isStoreError(err, "STORE_CONFLICT") && !existing)
					throw nameTaken(name);
				throw err;
			}
			record = await store.functions.get(accountId, name);
			if (!record)
				throw new SigilError(
					"INTERNAL",
					`function ${name} vanished right after it was stored`,
				);
			if (record.revision === revision)
				return { fn: this.#goLive(record, built), created };
		} catch (err) {
			await this.#retire(built.runtime, 0);
			throw err;
		}
		// Another gateway on this store deployed a newer revision meanwhile: serve that one.
		await this.#retire(built.runtime, 0);
		return { fn: await this.#activate(record), created };
	}

	#roles(): ExecutionRoles {
		const roles = this.#opts.executionRoles;
		if (roles === undefined)
			throw new SigilError(
				"INVALID_CONFIG",
				"config.role: this gateway runs no execution roles (the registry was built without them)",
			);
		return roles;
	}

	/** Re-reads secrets and restarts a function's runtime (after a secret it uses changed). */
	async refresh(name: string): Promise<void> {
		await this.#serial(name, async () => {
			const live = this.#live.get(name);
			if (!live) return;
			const record = await this.#opts.store.functions.get(live.accountId, name);
			if (record) await this.#activate(record, true);
			// Its running versions too: they read the function's secrets anew.
			await this.#restartVersions(live.accountId, (v) => v.name === name);
		});
	}

	/**
	 * Another gateway (or this one) changed function `name` in the store (the change feed said
	 * so): the next lookup re-reads it, and a live version is replaced by the stored revision at
	 * once — or retired when the function is gone — so no stale revision is served after this.
	 */
	async changed(name: string): Promise<void> {
		this.#missing.delete(name);
		await this.#serial(name, async () => {
			const live = this.#live.get(name);
			if (!live || this.#closed) return;
			const record = await this.#opts.store.functions.findByName(name);
			if (record && record.accountId === live.accountId) {
				if (record.revision !== live.revision)
					await this.#activate(record, true);
				return;
			}
			// Deleted, or the name now belongs to another account: drop ours; a lookup loads theirs.
			this.#live.delete(name);
			this.retireVersions(live.accountId, name);
			void this.#retire(live.runtime, this.#opts.drainMs ?? 30_000);
		});
	}

	/**
	 * Resolves, in the background of a start, what the first request to a deployed function would
	 * otherwise wait for: the python3 interpreter behind a version manager's shim (pyenv's costs
	 * ~130 ms here, once per gateway process). Only when a python3 function exists; failures are
	 * left for that first request to meet and report. Says what it resolved.
	 */
	async prepareRuntimes(): Promise<{ python3?: string }> {
		const store = this.#opts.store;
		for (const account of await store.accounts.list())
			for (const fn of await store.functions.list(account.accountId))
				if (fn.config.runtime === "python3")
					return { python3: await resolvePython() };
		return {};
	}

	/** The change feed may have missed changes: check every live function against the store. */
	async reconcile(): Promise<void> {
		this.#missing.clear();
		await Promise.allSettled(
			[...this.#live.keys()].map((n) => this.changed(n)),
		);
	}

	/** A secret changed: restart the live functions of that account that read it. */
	async secretChanged(accountId: string, secret: string): Promise<void> {
		const using = [...this.#live.values()].filter(
			(fn) =>
				fn.accountId === accountId &&
				(fn.config.secrets.includes(secret) ||
					fn.config.trigger.secrets.includes(secret)),
		);
		await Promise.allSettled(using.map((fn) => this.refresh(fn.name)));
		// Running versions that read it, whatever $LATEST reads now.
		await this.#restartVersions(
			accountId,
			(v) =>
				v.config.secrets.includes(secret) ||
				v.config.trigger.secrets.includes(secret),
		);
	}

	/**
	 * Builds the running versions `uses` picks again (re-reading their secrets) and swaps each
	 * in once it runs, draining the old one, as a deploy replaces `$LATEST`: an invocation never
	 * meets a closed runtime, and one that fails to start leaves the old one serving.
	 */
	async #restartVersions(
		accountId: string,
		uses: (v: DeployedFunction) => boolean,
	): Promise<void> {
		const restarts: Promise<void>[] = [];
		for (const [key, entry] of this.#versions) {
			if (!key.startsWith(`${accountId}\0`)) continue;
			restarts.push(
				(async () => {
					const old = await entry.running.catch(() => undefined);
					if (!old || !uses(old)) return;
					const next = this.#buildVersion(entry.fn, entry.version);
					const fresh = await next.catch(() => undefined);
					if (!fresh) return;
					if (this.#versions.get(key) === entry) {
						this.#versions.set(key, { ...entry, running: next });
						void this.#retire(old.runtime, this.#opts.drainMs ?? 30_000);
					} else void this.#retire(fresh.runtime, 0);
				})(),
			);
		}
		await Promise.allSettled(restarts);
	}

	async remove(accountId: string, name: string): Promise<void> {
		const live = await this.#serial(name, async () => {
			try {
				await this.#opts.store.functions.delete(accountId, name);
			} catch (err) {
				if (isStoreError(err, "STORE_NOT_FOUND"))
					throw new SigilError(
						"FUNCTION_NOT_FOUND",
						`function '${name}' does not exist in account ${accountId}`,
					);
				throw err;
			}
			const fn = this.#live.get(name);
			this.#live.delete(name);
			return fn;
		});
		// Outside the lock: draining may take a while, and a new deploy of the name need not wait.
		this.retireVersions(accountId, name);
		if (live) await this.#retire(live.runtime, this.#opts.drainMs ?? 30_000);
		// The function's secrets folder, if no new deploy of the name put a runtime's folder in it.
		await rmdir(this.#secretsRoot(accountId, name)).catch(() => {});
	}

	/** Stops every runtime, letting in-flight invocations finish for up to `graceMs`. */
	async close(graceMs: number): Promise<void> {
		this.#closed = true;
		const versions = [...this.#versions.values()].map((e) => e.running);
		this.#versions.clear();
		await Promise.allSettled([
			...[...this.#live.values()].map((fn) =>
				this.#retire(fn.runtime, graceMs),
			),
			...versions.map(async (pending) =>
				this.#retire((await pending).runtime, graceMs),
			),
		]);
		this.#live.clear();
		this.#missing.clear();
	}

	#secretsRoot(accountId: string, name: string): string {
		return join(this.#opts.dataDir, "run", "secrets", accountId, name);
	}

	/** The values of the named secrets as text (what a function could print), for redaction. */
	async #secretValues(
		accountId: string,
		names: readonly string[],
	): Promise<string[]> {
		const values: string[] = [];
		for (const secret of new Set(names)) {
			const value = await this.#opts.store.secrets.get(accountId, secret);
			if (!value) continue;
			const text = value.toString("utf8");
			values.push(text, text.trim());
			values.push(value.toString("base64"));
			values.push(value.toString("hex"));
		}
		return values;
	}

	/** Secrets reach functions as files (one per secret, exact bytes), never as environment. */
	async #writeSecrets(
		accountId: string,
		name: string,
		secrets: readonly string[],
	): Promise<string | undefined> {
		if (secrets.length === 0) return undefined;
		// One folder per activation: a redeploy never changes files a running version reads.
		const dir = join(this.#secretsRoot(accountId, name), randomUUID());
		await mkdir(dir, { recursive: true, mode: 0o700 });
		for (const secret of secrets) {
			const value = await this.#opts.store.secrets.get(accountId, secret);
			if (!value)
				throw new SigilError(
					"SECRET_NOT_FOUND",
					`function ${name} uses secret '${secret}', which does not exist`,
				);
			await writeFile(join(dir, secret), value, { mode: 0o600 });
		}
		return dir;
	}
}

/** A published version's runtime (being built, or running) and what it was built from. */
interface RunningVersion {
	readonly fn: DeployedFunction;
	readonly version: FunctionVersionRecord;
	readonly running: Promise<DeployedFunction>;
}

/** One published version of one incarnation of a function. */
function versionKey(v: FunctionVersionRecord): string {
	return `${v.accountId}\0${v.name}\0${v.version}\0${v.createdAt}`;
}

/** Says the name is held, never by whom: another tenant learns no account id from a deploy. */
function nameTaken(name: string): SigilError {
	return new SigilError(
		"CONFLICT",
		`the function name '${name}' is taken by another account; function URLs are unique per gateway, pick another name`,
	);
}

export interface DeployOptions {
	/**
	 * Load the new code in an instance before it goes live and refuse it when it does not load
	 * (default). Lambda's control plane turns it off: AWS stores a function whose handler does not
	 * load and fails its invocations (Runtime.ImportModuleError), and its clients expect that.
	 */
	readonly loadProbe?: boolean;
}

/** How long a deploy waits for new code to load (Lambda's init phase has the same 10 s). */
const LOAD_PROBE_MS = 10_000;

/**
 * Loads new code in a sandboxed instance before the revision is stored or goes live, so a module
 * that throws at import, lacks its handler export or never finishes loading is refused at deploy
 * (HANDLER_LOAD_FAILED, with the load error) instead of failing every request after it.
 */
async function loadProbe(
	name: string,
	runtime: FunctionRuntime,
): Promise<void> {
	if (!runtime.probe) return;
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(
			() =>
				reject(
					new SigilError(
						"HANDLER_LOAD_FAILED",
						`function ${name} did not finish loading its handler within ${LOAD_PROBE_MS / 1000} s (top-level await that never settles?); nothing was deployed, the live revision keeps serving`,
					),
				),
			LOAD_PROBE_MS,
		);
	});
	try {
		await Promise.race([runtime.probe(), timeout]);
	} catch (err) {
		if (err instanceof SigilError) throw err;
		const detail = err instanceof RuntimeError ? err.detail?.trim() : undefined;
		throw new SigilError(
			"HANDLER_LOAD_FAILED",
			`function ${name} does not load: ${(err as Error).message}${detail ? `\n${detail}` : ""}\nnothing was deployed; the live revision keeps serving`,
		);
	} finally {
		clearTimeout(timer);
	}
}
