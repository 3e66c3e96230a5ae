/**
 * The deployed functions this gateway serves: their validated config, their unpacked code and a
 * live runtime each. Deploying builds the new runtime first and only then retires the old one
 * (which finishes its in-flight work), so a redeploy drops no request.
 */
import { createHash } from "node:crypto";
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
		if (this.#closed)
			throw new SigilError("SHUTTING_DOWN", "the gateway is shutting down");
		const parsed = parseFunctionConfig(record.config);
		if (!parsed.ok)
			throw new SigilError(
				"INTERNAL",
				`stored config of ${record.name} no longer validates: ${parsed.issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
			);
		const config = parsed.config;
		const codeDir = await this.#materialiseCode(record);
		const secretsDir = await this.#writeSecrets(
			record.accountId,
			record.name,
			config.secrets,
		);
		const runtime = await createRuntime({
			name: record.name,
			config,
			codeDir,
			secretsDir,
			arn: this.arnOf(record.accountId, record.name),
		});
		const fn: DeployedFunction = {
			accountId: record.accountId,
			name: record.name,
			arn: this.arnOf(record.accountId, record.name),
			revision: record.revision,
			config,
			record,
			runtime,
		};
		const previous = this.#live.get(record.name);
		this.#live.set(record.name, fn);
		if (previous && previous.runtime !== runtime)
			void previous.runtime.close(this.#opts.drainMs ?? 30_000);
		return fn;
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
		if (code !== undefined) {
			try {
				bytes = bundleBytes(decodeBundle(code)).bytes;
			} catch (err) {
				throw new SigilError("BUNDLE_INVALID", (err as Error).message);
			}
		}
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
		return { fn: await this.#activate(record), created };
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
		if (live) await live.runtime.close(this.#opts.drainMs ?? 30_000);
		await rm(this.#secretsDir(accountId, name), {
			recursive: true,
			force: true,
		});
	}

	/** Stops every runtime, letting in-flight invocations finish for up to `graceMs`. */
	async close(graceMs: number): Promise<void> {
		this.#closed = true;
		await Promise.allSettled(
			[...this.#live.values()].map((fn) => fn.runtime.close(graceMs)),
		);
		this.#live.clear();
	}

	async #materialiseCode(record: FunctionRecord): Promise<string> {
		const dir = join(this.#opts.dataDir, "code", record.codeSha256);
		const marker = join(dir, ".sigil-complete");
		try {
			await access(marker);
			return dir;
		} catch {
			// Not unpacked yet on this machine: fetch from the store and unpack.
		}
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
		if (createHash("sha256").update(code.code).digest("hex") !== code.sha256)
			throw new SigilError(
				"INTERNAL",
				`code of ${record.name} does not match its checksum`,
			);
		const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
		await unpackBundle(
			decodeBundle(JSON.parse(code.code.toString("utf8"))),
			tmp,
		);
		await writeFile(join(tmp, ".sigil-complete"), "");
		await rm(dir, { recursive: true, force: true });
		await rename(tmp, dir);
		return dir;
	}

	#secretsDir(accountId: string, name: string): string {
		return join(this.#opts.dataDir, "run", "secrets", accountId, name);
	}

	/** Secrets reach functions as files (one per secret, exact bytes), never as environment. */
	async #writeSecrets(
		accountId: string,
		name: string,
		secrets: readonly string[],
	): Promise<string | undefined> {
		const dir = this.#secretsDir(accountId, name);
		await rm(dir, { recursive: true, force: true });
		if (secrets.length === 0) return undefined;
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
