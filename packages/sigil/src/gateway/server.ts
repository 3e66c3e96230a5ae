/**
 * The composition root: one function that opens the store, ensures the root account and its
 * key, builds the function registry and serves HTTP. Everything the gateway is made of is wired
 * here and nowhere else.
 */
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SigningKeyCache } from "@sigil/signature";
import {
	type AsyncOptions,
	type AsyncService,
	startAsync,
} from "../async/index.ts";
import { FunctionRegistry } from "../functions/registry.ts";
import { Authorizer } from "../iam/authorizer.ts";
import { SessionTokenCodec } from "../iam/session-token.ts";
import { loadOrCreateMasterKey } from "../store/master-key.ts";
import { openSqliteStore } from "../store/sqlite/open.ts";
import type { Store } from "../store/store.ts";
import { ensureRoot } from "./bootstrap.ts";
import type { GatewayContext, LogEntry } from "./context.ts";
import { CredentialCache } from "./credentials.ts";
import { deployExamples, type ExampleInfo } from "./examples.ts";
import { Exchange } from "./exchange.ts";
import { handleRequest } from "./pipeline.ts";
import { StoreReplayGuard } from "./replay-guard.ts";
import { Router } from "./router.ts";
import { ROUTES } from "./routes.ts";
import {
	guardServer,
	httpServerOptions,
	resolveLimits,
	type ServerLimits,
} from "./socket-guard.ts";

export const VERSION = "0.1.0";

export interface GatewayOptions {
	readonly host: string;
	readonly port: number;
	readonly dataDir: string;
	readonly region: string;
	/** Reads SIGIL_MASTER_KEY, SIGIL_ROOT_ACCESS_KEY_ID, SIGIL_ROOT_SECRET_ACCESS_KEY. */
	readonly env?: Record<string, string | undefined>;
	/** A folder with a `sigil.yml` whose functions are deployed into the root account at start. */
	readonly examplesDir?: string;
	readonly log?: (line: string) => void;
	/** SigV4 clock skew allowed, default 5 minutes. */
	readonly maxSkewMs?: number;
	/** How long shutdown waits for in-flight requests. */
	readonly drainMs?: number;
	/** The asynchronous-invocation worker: concurrency, lease, retries, queue bounds. */
	readonly async?: AsyncOptions;
	/** Socket-level limits (connections, header/request/idle timeouts, header count, pipelining); see socket-guard.ts. */
	readonly server?: ServerLimits;
}

export interface Gateway {
	readonly url: string;
	readonly region: string;
	readonly rootAccountId: string;
	/** Set only when this start created the root key and generated its secret. */
	readonly createdRootKey?: {
		readonly accessKeyId: string;
		readonly secretAccessKey: string;
	};
	readonly examples: readonly ExampleInfo[];
	readonly store: Store;
	close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
	const env = options.env ?? process.env;
	const write =
		options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	const log = (entry: LogEntry) =>
		write(JSON.stringify({ t: new Date().toISOString(), ...entry }));
	await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
	const masterKey = await loadOrCreateMasterKey(options.dataDir, env);
	const store = await openSqliteStore({
		dataDir: options.dataDir,
		masterKey: masterKey.key,
	});
	let asyncService: AsyncService | undefined;
	try {
		const root = await ensureRoot(store, env);
		const functions = new FunctionRegistry({
			store,
			dataDir: options.dataDir,
			region: options.region,
			drainMs: options.drainMs ?? 30_000,
		});
		const ctx: GatewayContext = {
			store,
			functions,
			credentials: new CredentialCache(store),
			sessions: new SessionTokenCodec(masterKey.key),
			authorizer: new Authorizer(store, { log }),
			keyCache: new SigningKeyCache(),
			replay: new StoreReplayGuard(store.replay),
			region: options.region,
			maxSkewMs: options.maxSkewMs ?? 5 * 60_000,
			now: Date.now,
			version: VERSION,
			log,
			maxBodyBytes: 1024 * 1024,
		};
		const examples = options.examplesDir
			? await deployExamples(options.examplesDir, root.accountId, ctx)
			: [];
		asyncService = await startAsync(ctx, {
			allowPrivateCallbacks: env.SIGIL_CALLBACK_ALLOW_PRIVATE === "1",
			...options.async,
		});
		const router = new Router(ROUTES);
		let inFlight = 0;
		let idle: (() => void) | undefined;
		const limits = resolveLimits(options.server, env);
		const server: Server = createServer(
			httpServerOptions(limits),
			(req, res) => {
				if (!guard.admit(req, res)) return;
				inFlight++;
				res.once("close", () => {
					if (--inFlight === 0) idle?.();
				});
				void handleRequest(new Exchange(req, res), router, ctx);
			},
		);
		// Connection cap, idle timeout, client errors: everything a client can hold at the socket level.
		const guard = guardServer(server, limits, log);
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(options.port, options.host, () => resolve());
		});
		const address = server.address() as AddressInfo;
		const host =
			address.family === "IPv6" ? `[${address.address}]` : address.address;
		const url = `http://${host}:${address.port}`;
		log({
			at: "listening",
			url,
			region: options.region,
			dataDir: options.dataDir,
		});

		let closing: Promise<void> | undefined;
		const close = () => {
			closing ??= (async () => {
				// The worker first: no new claims; running jobs get the drain time, then keep their lease.
				await asyncService?.stop(options.drainMs ?? 30_000);
				server.close();
				server.closeIdleConnections();
				if (inFlight > 0) {
					const drained = new Promise<void>((resolve) => {
						idle = resolve;
					});
					await Promise.race([
						drained,
						new Promise((r) =>
							setTimeout(r, options.drainMs ?? 30_000).unref(),
						),
					]);
				}
				server.closeAllConnections();
				await functions.close(1_000);
				await store.close();
				log({ at: "stopped" });
			})();
			return closing;
		};
		return {
			url,
			region: options.region,
			rootAccountId: root.accountId,
			...(root.createdKey && { createdRootKey: root.createdKey }),
			examples,
			store,
			close,
		};
	} catch (err) {
		await asyncService?.stop(0);
		await store.close().catch(() => {});
		throw err;
	}
}
