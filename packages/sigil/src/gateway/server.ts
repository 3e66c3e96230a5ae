/**
 * The composition root: one function that validates the configuration once (frozen), opens the
 * ports it names (Store, JobQueue, SharedCache, ChangeFeed; the embedded defaults being one
 * choice), ensures the root account and its key, builds the function registry and the caches
 * (invalidated by the change feed, so a change on any gateway is enforced on every one) and
 * serves HTTP. Everything the gateway is made of is wired here and nowhere else.
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
import {
	describeEngines,
	type EngineFlags,
	resolveEngines,
} from "../config/gateway-config.ts";
import { ConsoleAssets } from "../console/static-assets.ts";
import { SigilError } from "../errors.ts";
import { FunctionRegistry } from "../functions/registry.ts";
import { Authorizer } from "../iam/authorizer.ts";
import { ExecutionRoles } from "../iam/execution-role.ts";
import {
	type FunctionUrlAuthModel,
	parseFunctionUrlAuth,
} from "../iam/function-url-auth.ts";
import { SessionTokenCodec } from "../iam/session-token.ts";
import { resolveMetricsAccess } from "../metrics/access.ts";
import { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import {
	type CgroupProbe,
	describeProcessBound,
	detectPidsCgroup,
} from "../runtime/cgroup.ts";
import {
	DEFAULT_UID_RANGE,
	detectSandbox,
	type Isolation,
	type RuntimeIsolation,
	type SandboxHost,
	type SandboxProbe,
	type UidRange,
} from "../runtime/sandbox.ts";
import { loadOrCreateMasterKey } from "../store/master-key.ts";
import type { Store } from "../store/store.ts";
import { announceChanges } from "./announce-changes.ts";
import { ensureRoot, type GatewayPorts, openPorts } from "./bootstrap.ts";
import { subscribeCaches } from "./change-invalidation.ts";
import type { GatewayContext, LogEntry } from "./context.ts";
import { CredentialCache } from "./credentials.ts";
import { deployExamples, type ExampleInfo } from "./examples.ts";
import { Exchange } from "./exchange.ts";
import {
	attachHealth,
	cacheCheck,
	feedCheck,
	Health,
	queueCheck,
	stateCheck,
	storeCheck,
} from "./health.ts";
import { stderrLines } from "./log-lines.ts";
import {
	type MetricsListener,
	parseListenAddress,
	startMetricsListener,
} from "./metrics-listener.ts";
import { handleRequest } from "./pipeline.ts";
import { SharedCacheReplayGuard, StoreReplayGuard } from "./replay-guard.ts";
import { Router } from "./router.ts";
import { ROUTES } from "./routes.ts";
import {
	guardServer,
	httpServerOptions,
	resolveLimits,
	type ServerLimits,
} from "./socket-guard.ts";
import { TriggerSecretCache } from "./trigger-secrets.ts";

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
	/**
	 * How functions are kept from the gateway (default `sandbox`: bubblewrap, own uid, limits).
	 * When the sandbox cannot start here the gateway refuses to start: `process` or `none` must
	 * be chosen explicitly, never fallen back to. See docs/runtimes.md.
	 */
	readonly isolation?: Isolation;
	/** With `sandbox` under a root gateway: the uids functions get (default 0x70000000 + 65,536). */
	readonly sandboxUids?: UidRange;
	/**
	 * `HOST:PORT` where /metrics is also served, to every caller of that address (a private
	 * interface a remote scraper reaches); default `SIGIL_METRICS_LISTEN`. See metrics-listener.ts.
	 */
	readonly metricsListen?: string;
	/**
	 * How long the sessions given to functions with an execution role last (default an hour,
	 * as AssumeRole's). Instances are recycled before theirs expire; tests shorten it.
	 */
	readonly executionRoleSessionMs?: number;
	/**
	 * Which permissions a function URL call needs: `url-only` (lambda:InvokeFunctionUrl; the
	 * default, the seeds' model) or `url-and-invoke` (also lambda:InvokeFunction, AWS's model for
	 * URLs made since October 2025). Default `SIGIL_FUNCTION_URL_AUTH`.
	 */
	readonly functionUrlAuth?: string;
	/** The web console's built files (default packages/console/dist beside this package). */
	readonly consoleDir?: string;
	/**
	 * The engines (`sigil up --store postgres://… --queue nats://… --cache redis://…`); each
	 * unset one falls back to SIGIL_STORE / SIGIL_QUEUE / SIGIL_CACHE, then to the embedded
	 * default. See config/gateway-config.ts and docs/operations.md.
	 */
	readonly engines?: EngineFlags;
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
	/** The isolation functions run with, and in words for the start-up line. */
	readonly isolation: Isolation;
	readonly isolationSummary: string;
	/** Which permissions a function URL call needs (iam/function-url-auth.ts). */
	readonly functionUrlAuth: FunctionUrlAuthModel;
	/** The second metrics address (`metricsListen`), when one was asked for. */
	readonly metricsUrl?: string;
	/** The engines it runs on, in words (passwords removed). */
	readonly engines: ReturnType<typeof describeEngines>;
	close(): Promise<void>;
}

/** The gateway's own secrets: read once at start, then gone from its environment. */
const OWN_SECRETS = /^(SIGIL_ROOT_|SIGIL_MASTER_KEY$)/;

/**
 * Removes the gateway's secrets from `process.env` (and so from /proc/self/environ's view
 * through Node, and from every child spawned without an explicit environment). The kernel's
 * copy of the initial environment block stays: that is why functions also never see the
 * gateway's /proc.
 */
export function scrubOwnSecrets(target: NodeJS.ProcessEnv = process.env): void {
	for (const name of Object.keys(target))
		if (OWN_SECRETS.test(name)) delete target[name];
}

/** How instances' pids cgroups are found: SIGIL_CGROUP's value, and the probe (tests replace it). */
export interface CgroupChoice {
	readonly setting?: string | undefined;
	readonly probe?: (setting: string | undefined) => Promise<CgroupProbe>;
}

/**
 * Resolves the isolation chosen into what runtimes need; refuses a sandbox that cannot start,
 * and a cgroup folder named in SIGIL_CGROUP that cannot be used (found ones are optional).
 */
export async function resolveIsolation(
	choice: Isolation,
	uidRange: UidRange = DEFAULT_UID_RANGE,
	probeSandbox: () => Promise<SandboxProbe> = detectSandbox,
	cgroupChoice: CgroupChoice = {},
): Promise<{ isolation: RuntimeIsolation; summary: string }> {
	const setting = cgroupChoice.setting;
	const named = setting !== undefined && setting !== "" && setting !== "off";
	// Only sandboxed instances get cgroups: a folder named for none is refused, not ignored.
	if (choice !== "sandbox" && named)
		throw new SigilError(
			"GATEWAY_CONFIG_INVALID",
			`SIGIL_CGROUP: functions get pids cgroups only with --isolation sandbox, not ${choice}; unset it or set it to off`,
		);
	if (choice !== "sandbox")
		return {
			isolation: { kind: choice },
			summary:
				choice === "process"
					? "process (chosen explicitly: functions are processes of their own, but with the gateway's uid and file system, no sandbox)"
					: "none (chosen explicitly: Node functions run inside the gateway's process, others with its uid and file system)",
		};
	const probe = await probeSandbox();
	if (!probe.ok)
		throw new SigilError(
			"SANDBOX_UNAVAILABLE",
			`functions cannot be sandboxed here: ${probe.reason}. Install bubblewrap (npm run setup), or choose a weaker isolation explicitly with --isolation process (or none)`,
		);
	const cgroups = await (cgroupChoice.probe ?? detectPidsCgroup)(setting);
	if (!cgroups.ok && named)
		throw new SigilError(
			"SANDBOX_UNAVAILABLE",
			`SIGIL_CGROUP=${setting} cannot hold the functions' cgroups: ${cgroups.reason}. Name a folder this gateway may create cgroups in, or unset SIGIL_CGROUP`,
		);
	const h: SandboxHost = cgroups.ok
		? { ...probe.host, pidsCgroup: cgroups.cgroup }
		: probe.host;
	const uids = h.privileged
		? `each function its own uid in ${uidRange.first}–${uidRange.first + uidRange.count - 1}`
		: "uid nobody in a user namespace";
	const processes = describeProcessBound(cgroups, h.privileged);
	return {
		isolation: { kind: "sandbox", host: h, uidRange },
		summary: `sandbox (bubblewrap ${h.version}; ${uids}; ${processes}; node, python3, provided and http instances and process requests each in a sandbox)`,
	};
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
	// A copy, read from here on: the gateway's own secrets then leave process.env at once.
	const env = { ...(options.env ?? process.env) };
	scrubOwnSecrets();
	// The default: stderr, one write per event-loop turn for all the lines of that turn.
	const write = options.log ?? ((line: string) => stderrLines().line(line));
	const log = (entry: LogEntry) =>
		write(JSON.stringify({ t: new Date().toISOString(), ...entry }));
	// SIGIL_METRICS / SIGIL_METRICS_TOKEN: a bad value stops the start, before anything is opened.
	const metricsAccess = resolveMetricsAccess(env);
	// Which permissions a function URL call needs: a bad value stops the start, like the above.
	const functionUrlAuth = parseFunctionUrlAuth(
		options.functionUrlAuth ?? env.SIGIL_FUNCTION_URL_AUTH,
		options.functionUrlAuth !== undefined
			? "functionUrlAuth"
			: "SIGIL_FUNCTION_URL_AUTH",
	);
	const metricsListen = options.metricsListen ?? env.SIGIL_METRICS_LISTEN;
	const metricsAt = metricsListen
		? parseListenAddress(metricsListen)
		: undefined;
	// The engines: validated once, frozen, and only then is anything opened.
	const engines = resolveEngines(options.engines ?? {}, env);
	const enginesShown = describeEngines(engines);
	await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
	const chosen = await resolveIsolation(
		options.isolation ?? "sandbox",
		options.sandboxUids,
		detectSandbox,
		{ setting: env.SIGIL_CGROUP },
	);
	// Every gateway on one store must hold the same key: the store keeps a check value from its
	// first start and refuses to open under another key (STORE_MASTER_KEY_MISMATCH, saying so).
	const masterKey = await loadOrCreateMasterKey(options.dataDir, env);
	const ports: GatewayPorts = await openPorts({
		engines,
		dataDir: options.dataDir,
		masterKey: masterKey.key,
		log,
		now: Date.now,
		...(options.async?.leaseMs !== undefined && {
			leaseMs: options.async.leaseMs,
		}),
		...(options.async?.maxAttempts !== undefined && {
			maxAttempts: options.async.maxAttempts,
		}),
	});
	// Every write, from any front door, is announced to the other gateways.
	const store = announceChanges(ports.store, ports.feed, log);
	let asyncService: AsyncService | undefined;
	let unsubscribe = () => {};
	try {
		const authorizer = new Authorizer(store, { log, functionUrlAuth });
		const sessions = new SessionTokenCodec(masterKey.key);
		const functions = new FunctionRegistry({
			store,
			executionRoles: new ExecutionRoles({
				store,
				authorizer,
				sessions,
				region: options.region,
				now: Date.now,
				...(options.executionRoleSessionMs !== undefined && {
					sessionMs: options.executionRoleSessionMs,
				}),
			}),
			dataDir: options.dataDir,
			region: options.region,
			drainMs: options.drainMs ?? 30_000,
			isolation: chosen.isolation,
			// Counted across gateways only when they share a cache (Redis); one gateway bounds its own.
			...(engines.cache.kind === "redis" && { reservedSlots: ports.cache }),
			// Rate windows are counted in the cache whatever it is: memory keeps one gateway's.
			rateWindows: ports.cache,
		});
		const credentials = new CredentialCache(store);
		const triggerSecrets = new TriggerSecretCache(store);
		// Subscribed before anything is loaded, so no change made meanwhile is missed.
		unsubscribe = subscribeCaches(ports.feed, {
			functions,
			credentials,
			triggerSecrets,
			authorizer,
			log,
		});
		const root = await ensureRoot(store, env);
		const ctx: GatewayContext = {
			store,
			functions,
			credentials,
			triggerSecrets,
			sessions,
			authorizer,
			keyCache: new SigningKeyCache(),
			// Redis when chosen (every gateway at once); else the store's replay log, which also
			// survives a restart (an in-memory cache would forget every id).
			replay:
				engines.cache.kind === "redis"
					? new SharedCacheReplayGuard(ports.cache)
					: new StoreReplayGuard(store.replay),
			region: options.region,
			maxSkewMs: options.maxSkewMs ?? 5 * 60_000,
			now: Date.now,
			version: VERSION,
			log,
			maxBodyBytes: 1024 * 1024,
			consoleAssets: new ConsoleAssets(options.consoleDir),
		};
		const examples = options.examplesDir
			? await deployExamples(options.examplesDir, root.accountId, ctx)
			: [];
		asyncService = await startAsync(
			ctx,
			{
				queue: ports.queue,
				cache: ports.cache,
				// JetStream's shortest pull is 1 s: a claim waits there instead of polling.
				claimWaitMs: engines.queue.kind === "nats" ? 1_000 : 0,
				recordsInStore: engines.queue.kind === "embedded",
			},
			{
				allowPrivateCallbacks: env.SIGIL_CALLBACK_ALLOW_PRIVATE === "1",
				...options.async,
			},
		);
		const router = new Router(ROUTES);
		let inFlight = 0;
		let idle: (() => void) | undefined;
		// Set as close() takes each part down, so /readyz turns 503 while the gateway drains.
		let workerStopped = false;
		let runtimesClosed = false;
		// The scrape and the probes read these facts; the request path only adds numbers.
		const metrics = new GatewayMetrics(
			ROUTES,
			{
				inFlight: () => inFlight,
				connections: () =>
					new Promise((resolve) =>
						server.getConnections((err, n) => resolve(err ? 0 : n)),
					),
				queue: async () => ({
					// The store's jobs table only: JetStream's depth is per account (its stream info).
					queued:
						engines.queue.kind === "embedded"
							? await store.jobs.countQueued()
							: 0,
					running: asyncService?.worker.running ?? 0,
				}),
				functionExists: async (name) => {
					try {
						return (await store.functions.findByName(name)) !== undefined;
					} catch {
						return undefined;
					}
				},
			},
			{ version: VERSION },
		);
		attachHealth(
			ctx,
			new Health({
				metrics,
				metricsAccess,
				checks: [
					storeCheck(store),
					queueCheck(ports.queue),
					cacheCheck(ports.cache),
					feedCheck(ports.feed),
					// Runtimes start per function on first use: one tenant's function that cannot
					// start is that function's 502, never the whole gateway taken out of rotation.
					stateCheck("runtimes", () =>
						runtimesClosed
							? "function runtimes are closed: the gateway is shutting down"
							: undefined,
					),
					// A worker paused by configuration is the operator's choice, not a fault.
					stateCheck("queue-worker", () =>
						workerStopped
							? "the async queue worker is stopped: the gateway is shutting down"
							: undefined,
					),
				],
			}),
		);
		const limits = resolveLimits(options.server, env);
		const server: Server = createServer(
			httpServerOptions(limits),
			(req, res) => {
				if (!guard.admit(req, res)) return;
				inFlight++;
				res.once("close", () => {
					if (--inFlight === 0) idle?.();
				});
				void handleRequest(new Exchange(req, res), router, ctx, metrics);
			},
		);
		// Connection cap, idle timeout, client errors: everything a client can hold at the socket level.
		const guard = guardServer(server, limits, log);
		server.on("drop", () => metrics.connectionRefused());
		// Meanwhile, what a deployed function's first request would wait for (the python3
		// interpreter behind a shim); a failure is met and reported by that request instead.
		void functions
			.prepareRuntimes()
			.then((found) => {
				if (found.python3 !== undefined)
					log({ at: "runtimes", python3: found.python3 });
			})
			.catch(() => {});
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
			isolation: chosen.isolation.kind,
		});
		log({ at: "isolation", isolation: chosen.summary });
		log({ at: "engines", ...enginesShown });
		let metricsListener: MetricsListener | undefined;
		if (metricsAt)
			metricsListener = await startMetricsListener(
				metricsAt,
				metrics,
				log,
			).catch((err: unknown) => {
				// The gateway is listening already: take it down with the failed start.
				server.close();
				server.closeAllConnections();
				throw err;
			});

		let closing: Promise<void> | undefined;
		const close = () => {
			closing ??= (async () => {
				// The worker first: no new claims; running jobs get the drain time, then keep their lease.
				workerStopped = true;
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
				await metricsListener?.close();
				runtimesClosed = true;
				unsubscribe();
				await functions.close(1_000);
				await ports.close();
				log({ at: "stopped" });
				if (!options.log) stderrLines().flush();
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
			isolation: chosen.isolation.kind,
			isolationSummary: chosen.summary,
			functionUrlAuth,
			...(metricsListener && { metricsUrl: metricsListener.url }),
			engines: enginesShown,
			close,
		};
	} catch (err) {
		unsubscribe();
		await asyncService?.stop(0);
		await ports.close().catch(() => {});
		throw err;
	}
}
