/**
 * `GET /healthz`, `GET /readyz` and `GET /metrics`: what an orchestrator and a scraper ask.
 *
 * They live at the root, not under /sigil/v1: Kubernetes probes, load balancers and Prometheus
 * (`metrics_path` default) expect these root paths, OpenFaaS's gateway serves them there too,
 * and /sigil/v1 stays the SigV4 API where only `info` is unauthenticated. They cannot collide
 * with functions, which live under /function/NAME and /async-function/NAME.
 *
 *   /healthz  the process serves requests: 200 `{"status":"ok"}`, touching nothing
 *   /readyz   the gateway can do its work: store reachable (a trivial query, 1 s), job queue,
 *             shared cache and change feed answering (each engine named: "store", "queue",
 *             "cache", "feed"), function runtimes accepting work, async worker running; else
 *             503 naming the failing check.
 *             Reasons are fixed sentences: never an error's own text (it may hold a path).
 *             A flood of probes costs at most one store query per second (one check in flight,
 *             its answer reused for a second).
 *   /metrics  Prometheus text; who may read it is decided by metrics/access.ts
 */

import { decideMetricsAccess, type MetricsAccess } from "../metrics/access.ts";
import {
	CONTENT_TYPE,
	type GatewayMetrics,
} from "../metrics/gateway-metrics.ts";
import type { ChangeFeed } from "../ports/change-feed.ts";
import { isQueueError, type JobQueue } from "../ports/job-queue.ts";
import { isCacheError, type SharedCache } from "../ports/shared-cache.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { GatewayContext } from "./context.ts";
import { fromCode, send, sendError, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import type { AccountTarget } from "./targets.ts";

export type CheckResult =
	| { readonly ok: true }
	| { readonly ok: false; readonly reason: string };

export interface ReadinessCheck {
	readonly name: string;
	run(): Promise<CheckResult>;
}

export interface Readiness {
	readonly ready: boolean;
	readonly checks: readonly {
		readonly name: string;
		readonly ok: boolean;
		readonly reason?: string;
	}[];
}

const OK: CheckResult = { ok: true };

/** Runs every check at once, each bounded by `timeoutMs` (a hung check is a failed one). */
export async function evaluate(
	checks: readonly ReadinessCheck[],
	timeoutMs: number,
): Promise<Readiness> {
	const results = await Promise.all(
		checks.map(async (c) => {
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<CheckResult>((resolve) => {
				timer = setTimeout(
					() =>
						resolve({
							ok: false,
							reason: `no answer within ${timeoutMs} ms`,
						}),
					timeoutMs,
				);
			});
			const r = await Promise.race([
				c
					.run()
					.catch(
						(): CheckResult => ({ ok: false, reason: "the check failed" }),
					),
				timeout,
			]);
			clearTimeout(timer);
			return { name: c.name, ok: r.ok, ...(!r.ok && { reason: r.reason }) };
		}),
	);
	return { ready: results.every((r) => r.ok), checks: results };
}

/** The store answers a trivial query (the root account, one indexed row). */
export function storeCheck(store: Store): ReadinessCheck {
	return {
		name: "store",
		async run() {
			try {
				await store.accounts.root();
				return OK;
			} catch (err) {
				// The code only: a store error's message may name the data directory.
				if (isStoreError(err))
					return {
						ok: false,
						reason:
							err.code === "STORE_CLOSED"
								? "the store is closed"
								: err.code === "STORE_BUSY"
									? "the store is busy (locked by another writer)"
									: `the store query failed (${err.code})`,
					};
				return { ok: false, reason: "the store query failed" };
			}
		},
	};
}

/** The job queue's engine answers (NATS JetStream; the store's queue adds nothing to "store"). */
export function queueCheck(queue: JobQueue): ReadinessCheck {
	return {
		name: "queue",
		async run() {
			try {
				await queue.check();
				return OK;
			} catch (err) {
				return {
					ok: false,
					reason: isQueueError(err, "QUEUE_CLOSED")
						? "the job queue is closed"
						: "the job queue's engine does not answer (asynchronous invocations are refused with 503 until it does)",
				};
			}
		},
	};
}

/** The shared cache answers (Redis: replay ids, rate windows, concurrency slots). */
export function cacheCheck(cache: SharedCache): ReadinessCheck {
	return {
		name: "cache",
		async run() {
			try {
				await cache.check();
				return OK;
			} catch (err) {
				return {
					ok: false,
					reason: isCacheError(err, "CACHE_CLOSED")
						? "the shared cache is closed"
						: "the shared cache does not answer (webhook deliveries and rate-limited calls are refused with 503 until it does)",
				};
			}
		},
	};
}

/**
 * The change feed is listening (PostgreSQL LISTEN on its own connection). While it is not,
 * changes made on other gateways reach this one only through the caches' TTL (5 s); after the
 * reconnect everything is reloaded.
 */
export function feedCheck(feed: ChangeFeed): ReadinessCheck {
	return {
		name: "feed",
		async run() {
			const listening = (feed as { readonly connected?: boolean }).connected;
			return listening === false
				? {
						ok: false,
						reason:
							"the change feed is not listening (reconnecting): changes from other gateways may take up to 5 s to apply here",
					}
				: OK;
		},
	};
}

/** A check on a fact the composition root keeps (runtimes open, worker running). */
export function stateCheck(
	name: string,
	failing: () => string | undefined,
): ReadinessCheck {
	return {
		name,
		async run() {
			const reason = failing();
			return reason === undefined ? OK : { ok: false, reason };
		},
	};
}

export interface HealthOptions {
	readonly checks: readonly ReadinessCheck[];
	readonly metrics: GatewayMetrics;
	readonly metricsAccess: MetricsAccess;
	/** Per check (default 1000 ms). */
	readonly timeoutMs?: number;
	/** How long one readiness answer is reused (default 1000 ms). */
	readonly reuseMs?: number;
}

/** What the three routes need of one running gateway. */
export class Health {
	readonly metrics: GatewayMetrics;
	readonly metricsAccess: MetricsAccess;
	readonly #checks: readonly ReadinessCheck[];
	readonly #timeoutMs: number;
	readonly #reuseMs: number;
	#pending: Promise<Readiness> | undefined;
	#last: { at: number; value: Readiness } | undefined;

	constructor(o: HealthOptions) {
		this.metrics = o.metrics;
		this.metricsAccess = o.metricsAccess;
		this.#checks = o.checks;
		this.#timeoutMs = o.timeoutMs ?? 1_000;
		this.#reuseMs = o.reuseMs ?? 1_000;
	}

	readiness(): Promise<Readiness> {
		const last = this.#last;
		if (last && performance.now() - last.at < this.#reuseMs)
			return Promise.resolve(last.value);
		this.#pending ??= evaluate(this.#checks, this.#timeoutMs).then((value) => {
			this.#last = { at: performance.now(), value };
			this.#pending = undefined;
			return value;
		});
		return this.#pending;
	}
}

// The gateway context has no slot for this (context.ts is shared); a WeakMap attaches it, as
// the async service does.
const attached = new WeakMap<GatewayContext, Health>();

export function attachHealth(ctx: GatewayContext, health: Health): void {
	attached.set(ctx, health);
}

function healthOf(ctx: GatewayContext): Health | undefined {
	return attached.get(ctx);
}

const HEALTHY = Buffer.from(JSON.stringify({ status: "ok" }));

export async function healthz({ ex }: Call<AccountTarget>): Promise<void> {
	send(ex, 200, HEALTHY, {
		"content-type": "application/json",
		"cache-control": "no-store",
	});
}

export async function readyz({ ex, ctx }: Call<AccountTarget>): Promise<void> {
	const health = healthOf(ctx);
	const r: Readiness = health
		? await health.readiness()
		: {
				ready: false,
				checks: [{ name: "gateway", ok: false, reason: "not started" }],
			};
	const failed = r.checks.find((c) => !c.ok);
	sendJson(
		ex,
		r.ready ? 200 : 503,
		{
			status: r.ready ? "ready" : "unavailable",
			...(failed && { check: failed.name, reason: failed.reason }),
			checks: r.checks,
		},
		{ "cache-control": "no-store" },
	);
}

export async function metrics({ ex, ctx }: Call<AccountTarget>): Promise<void> {
	const health = healthOf(ctx);
	if (!health) {
		sendError(ex, fromCode("ROUTE_NOT_FOUND", `no route for ${ex.rawPath}`));
		return;
	}
	const grant = decideMetricsAccess(health.metricsAccess, {
		remoteAddress: ex.sourceIp,
		headers: ex.req.headers,
	});
	if (!grant.ok) {
		sendError(
			ex,
			fromCode(
				grant.code,
				grant.code === "ROUTE_NOT_FOUND"
					? `no route for ${ex.rawPath}`
					: grant.message,
			),
		);
		return;
	}
	const text = await health.metrics.render(grant.scope);
	send(ex, 200, Buffer.from(text), {
		"content-type": CONTENT_TYPE,
		"cache-control": "no-store",
	});
}
