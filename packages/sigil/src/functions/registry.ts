/**
 * The deployed functions this gateway serves: their validated config, their unpacked code and a
 * live runtime each. Deploying builds the new runtime first and only then retires the old one
 * (which finishes its in-flight work), so a redeploy drops no request.
 */
import { createHash, randomUUID } from "node:crypto";
import { access, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
	type FunctionConfig,
	type FunctionConfigInput,
	parseFunctionConfig,
} from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { FunctionRuntime } from "../runtime/types.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { FunctionRecord } from "../store/types.ts";
import { bundleBytes, decodeBundle, unpackBundle } from "./bundle.ts";
import { createRuntime } from "./create-runtime.ts";

export interface DeployedFunction {
	readonly accountId: string;
	readonly name: string;
	readonly arn: string;
	readonly revision: number;
	readonly config: FunctionConfig;
	readonly record: FunctionRecord;
	readonly runtime: FunctionRuntime;
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
}

export class FunctionRegistry {
	readonly #opts: RegistryOptions;
	readonly #live = new Map<string, DeployedFunction>();
	/** In-flight loads, so concurrent first requests build one runtime. */
	readonly #loading = new Map<string, Promise<DeployedFunction | undefined>>();
	#closed = false;
	readonly #secretDirs = new Map<FunctionRuntime, string | undefined>();

	constructor(opts: RegistryOptions) {
		this.#opts = opts;
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
			pending = this.#load(name).finally(() => this.#loading.delete(name));
			this.#loading.set(name, pending);
		}
		return pending;
	}

	async #load(name: string): Promise<DeployedFunction | undefined> {
		const { store } = this.#opts;
		for (const account of await store.accounts.list()) {
			const record = await store.functions.get(account.accountId, name);
			if (record) return this.#activate(record);
		}
		return undefined;
	}

	async #activate(record: FunctionRecord): Promise<DeployedFunction> {
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
		return this.#goLive(record, built);
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
		const codeDir = await this.#materialiseCode(codeSha256, loadCode);
		const secretsDir = await this.#writeSecrets(
			accountId,
			name,
			config.secrets,
		);
		try {
			const runtime = await createRuntime({
				name,
				config,
				codeDir,
				secretsDir,
				arn: this.arnOf(accountId, name),
			});
			return { config, runtime, secretsDir };
		} catch (err) {
			if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
			throw err;
		}
	}

	#goLive(record: FunctionRecord, built: Built): DeployedFunction {
		const fn: DeployedFunction = {
			accountId: record.accountId,
			name: record.name,
			arn: this.arnOf(record.accountId, record.name),
			revision: record.revision,
			config: built.config,
			record,
			runtime: built.runtime,
		};
		const previous = this.#live.get(record.name);
		this.#live.set(record.name, fn);
		this.#secretDirs.set(built.runtime, built.secretsDir);
		if (previous && previous.runtime !== built.runtime)
			void this.#retire(previous.runtime, this.#opts.drainMs ?? 30_000);
		return fn;
	}

	/** Closes a runtime (letting in-flight work finish) and removes its secrets folder. */
	async #retire(runtime: FunctionRuntime, graceMs: number): Promise<void> {
		await runtime.close(graceMs).catch(() => {});
		const dir = this.#secretDirs.get(runtime);
		this.#secretDirs.delete(runtime);
		if (dir) await rm(dir, { recursive: true, force: true });
	}

	/** Validates, stores and activates a function; returns it live. */
	async deploy(
		accountId: string,
		name: string,
		input: FunctionConfigInput,
		code: unknown,
	): Promise<{ fn: DeployedFunction; created: boolean }> {
		const parsed = parseFunctionConfig(input, "config");
		if (!parsed.ok)
			throw new SigilError(
				"INVALID_CONFIG",
				`invalid function config:\n${parsed.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
				{ issues: parsed.issues },
			);
		const { store } = this.#opts;
		for (const other of await store.accounts.list()) {
			if (
				other.accountId !== accountId &&
				(await store.functions.get(other.accountId, name))
			)
				throw new SigilError(
					"CONFLICT",
					`the function name '${name}' is taken by another account; function URLs are unique per gateway`,
				);
		}
		const needed = new Set([
			...parsed.config.secrets,
			...parsed.config.trigger.secrets,
		]);
		for (const secret of needed) {
			if (!(await store.secrets.get(accountId, secret)))
				throw new SigilError(
					"SECRET_NOT_FOUND",
					`secret '${secret}' does not exist in account ${accountId}: create it first with \`sigil secret create ${secret}\``,
				);
		}
		let bytes: Buffer | undefined;
		let sha256: string | undefined;
		if (code !== undefined) {
			try {
				({ bytes, sha256 } = bundleBytes(decodeBundle(code)));
			} catch (err) {
				throw new SigilError("BUNDLE_INVALID", (err as Error).message);
			}
		}
		const existing = await store.functions.get(accountId, name);
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
		try {
			const { created } = await store.functions.put({
				accountId,
				name,
				config: input as Record<string, unknown>,
				...(bytes && { code: bytes }),
			});
			const record = await store.functions.get(accountId, name);
			if (!record)
				throw new SigilError(
					"INTERNAL",
					`function ${name} vanished right after it was stored`,
				);
			return { fn: this.#goLive(record, built), created };
		} catch (err) {
			await this.#retire(built.runtime, 0);
			throw err;
		}
	}

	/** Re-reads secrets and restarts a function's runtime (after a secret it uses changed). */
	async refresh(name: string): Promise<void> {
		const live = this.#live.get(name);
		if (!live) return;
		const record = await this.#opts.store.functions.get(live.accountId, name);
		if (record) await this.#activate(record);
	}

	async remove(accountId: string, name: string): Promise<void> {
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
		const live = this.#live.get(name);
		this.#live.delete(name);
		if (live) await this.#retire(live.runtime, this.#opts.drainMs ?? 30_000);
		await rm(this.#secretsRoot(accountId, name), {
			recursive: true,
			force: true,
		});
	}

	/** Stops every runtime, letting in-flight invocations finish for up to `graceMs`. */
	async close(graceMs: number): Promise<void> {
		this.#closed = true;
		await Promise.allSettled(
			[...this.#live.values()].map((fn) => this.#retire(fn.runtime, graceMs)),
		);
		this.#live.clear();
	}

	/** Unpacks a code bundle once per machine, under its SHA-256 (atomic rename: never half-written). */
	async #materialiseCode(
		sha256: string,
		loadCode: () => Promise<Buffer>,
	): Promise<string> {
		const dir = join(this.#opts.dataDir, "code", sha256);
		try {
			await access(join(dir, ".sigil-complete"));
			return dir;
		} catch {
			// Not unpacked yet on this machine.
		}
		const bytes = await loadCode();
		if (createHash("sha256").update(bytes).digest("hex") !== sha256)
			throw new SigilError(
				"INTERNAL",
				`code bundle ${sha256} does not match its checksum`,
			);
		const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`;
		try {
			await unpackBundle(decodeBundle(JSON.parse(bytes.toString("utf8"))), tmp);
			await writeFile(join(tmp, ".sigil-complete"), "");
			await rm(dir, { recursive: true, force: true });
			await rename(tmp, dir);
		} finally {
			await rm(tmp, { recursive: true, force: true });
		}
		return dir;
	}

	#secretsRoot(accountId: string, name: string): string {
		return join(this.#opts.dataDir, "run", "secrets", accountId, name);
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
