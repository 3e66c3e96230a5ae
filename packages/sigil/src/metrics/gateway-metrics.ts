/**
 * What the gateway measures, and how it is exposed (Prometheus text, through prom-client).
 *
 *   family                                           labels
 *   sigil_http_requests_total                        route, method, status_class, outcome
 *   sigil_http_request_duration_seconds              route
 *   sigil_http_requests_in_flight                    —
 *   sigil_http_open_connections                      —
 *   sigil_http_connections_refused_total             — (over SIGIL_MAX_CONNECTIONS)
 *   sigil_auth_decisions_total                       scheme, phase, outcome, reason
 *   sigil_async_queue_depth                          status (queued: the store's, all gateways;
 *                                                    running: this gateway's worker)
 *   sigil_build_info                                 version
 *   process_*, nodejs_*                              prom-client's default process metrics
 * and, for trusted scrapers only (they name every account's functions):
 *   sigil_function_invocation_duration_seconds       function, runtime
 *   sigil_function_errors_total                      function, runtime, code
 *   gateway_function_invocation_started              function_name   (OpenFaaS's names, so its
 *   gateway_function_invocation_total                function_name, code   dashboards and the
 *   gateway_functions_seconds                        function_name, code   idler work unchanged)
 *
 * Every label value comes from a closed set: route NAMES from the table (never the path),
 * method classes, status classes, the stable outcome codes, the trigger schemes, the policy
 * engine's decision reasons, and names of functions that are deployed (a name an anonymous
 * caller invents never reaches a label: unknown names are not functions). No principal, ARN,
 * key id, request id or account id is ever a label.
 */
import type { Decision } from "@sigil/policy";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { DeployedFunction } from "../functions/registry.ts";
import type { AuthOutcome } from "../gateway/authenticate.ts";
import type { RouteAuthorization } from "../gateway/authorize.ts";
import type { Exchange } from "../gateway/exchange.ts";
import type { GatewayRoute } from "../gateway/route.ts";
import {
	bump,
	CodeTable,
	HistogramCell,
	histogramSamples,
	type Labels,
	METHOD_CLASSES,
	methodClass,
	registerSnapshot,
	type Sample,
	STATUS_CLASSES,
	statusClass,
	statusLabel,
} from "./series.ts";

/** The pipeline's hooks: called once per authentication and once at the end of every request. */
export interface RequestMeter {
	authenticated(
		route: GatewayRoute,
		fn: DeployedFunction | undefined,
		auth: AuthOutcome,
	): void;
	finished(
		ex: Exchange,
		route: GatewayRoute | undefined,
		fn: DeployedFunction | undefined,
		outcome: string,
		started: number,
		authz: RouteAuthorization | undefined,
		invoked: DeployedFunction | undefined,
		invokeStarted: number,
	): void;
}

/** Facts read only when scraped. */
export interface MetricSources {
	inFlight(): number;
	connections(): Promise<number>;
	/** Undefined when the queue cannot be read (the store is down: /readyz says why). */
	queue(): Promise<{ queued: number; running: number } | undefined>;
	/** Whether a function of that name is still deployed; undefined when it cannot be told. */
	functionExists(name: string): Promise<boolean | undefined>;
}

export interface GatewayMetricsOptions {
	readonly version: string;
	/** Functions with their own series at most; later ones share `function="_other"`. */
	readonly maxFunctionSeries?: number;
	/** How often series of deleted functions are dropped (at most; at scrape time). */
	readonly pruneEveryMs?: number;
}

/** Which scrape: everything, or only what may be shown outside the operator's own host. */
export type MetricsScope = "all" | "gateway";

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Schemes as the auth-decision label names them; trigger auth types map onto them. */
const SCHEMES = ["sigv4", "acs3", "hmac", "webhook", "none"] as const;
const TRIGGER_SCHEME: Readonly<Record<string, number>> = {
	aws_iam: 0,
	acs3: 1,
	hmac: 2,
	webhook: 3,
	none: 4,
};
const PHASES = ["authenticate", "authorize"] as const;
const OUTCOMES = ["allowed", "denied"] as const;

/** Routes whose handler runs a function synchronously (the others enqueue, or manage). */
const SYNC_ALWAYS = 1;
const SYNC_UNLESS_EVENT = 2;
export const INVOKING_ROUTES: ReadonlyMap<string, number> = new Map([
	["trigger", SYNC_ALWAYS],
	// Lambda Invoke: `Event` enqueues and `DryRun` only checks; RequestResponse runs it.
	["lambda-invoke", SYNC_UNLESS_EVENT],
]);

class RouteSeries {
	readonly labels: Labels;
	readonly duration = new HistogramCell();
	/** key = (outcome × 8 + method class) × 8 + status class → requests. */
	readonly requests = new Map<number, number>();
	readonly invokes: number;
	constructor(name: string) {
		this.labels = { route: name };
		this.invokes = INVOKING_ROUTES.get(name) ?? 0;
	}
}

class FunctionSeries {
	readonly name: string;
	readonly labels: Labels;
	readonly openfaas: Labels;
	readonly duration = new HistogramCell();
	/** outcome code index → failed invocations. */
	readonly errors = new Map<number, number>();
	/** HTTP status → (count, duration), OpenFaaS's `code` label. */
	readonly byStatus = new Map<number, HistogramCell>();
	started = 0;
	constructor(name: string, runtime: string) {
		this.name = name;
		this.labels = { function: name, runtime };
		// OpenFaaS names a function NAME.NAMESPACE; Sigil's one namespace is openfaas-fn's.
		this.openfaas = {
			function_name: name === "_other" ? name : `${name}.openfaas-fn`,
		};
	}
}

/** Process metrics are the process's, not a gateway's: one registry (and one GC observer) per process. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
	if (!processRegistry) {
		processRegistry = new Registry();
		collectDefaultMetrics({ register: processRegistry });
	}
	return processRegistry;
}

export class GatewayMetrics implements RequestMeter {
	readonly #gateway = new Registry();
	/** Per-function series: operator data (every account's function names). */
	readonly #functions = new Registry();
	readonly #sources: MetricSources;
	readonly #routes = new Map<GatewayRoute, RouteSeries>();
	readonly #unmatched = new RouteSeries("unmatched");
	readonly #codes = new CodeTable();
	/** key = ((reason × 2 + phase) × 2 + outcome) × 8 + scheme → decisions. */
	readonly #auth = new Map<number, number>();
	readonly #fns = new Map<string, FunctionSeries>();
	readonly #byFn = new WeakMap<DeployedFunction, FunctionSeries>();
	readonly #overflow = new FunctionSeries("_other", "_other");
	readonly #maxFns: number;
	readonly #pruneEveryMs: number;
	#lastPrune = 0;
	#refused = 0;

	constructor(
		routes: readonly GatewayRoute[],
		sources: MetricSources,
		options: GatewayMetricsOptions,
	) {
		this.#sources = sources;
		this.#maxFns = options.maxFunctionSeries ?? 1000;
		this.#pruneEveryMs = options.pruneEveryMs ?? 60_000;
		for (const r of routes) this.#routes.set(r, new RouteSeries(r.name));
		this.#codes.indexOf("OK");
		this.#register(options.version);
	}

	// ---- the request path: numbers only ------------------------------------------------------

	authenticated(
		route: GatewayRoute,
		fn: DeployedFunction | undefined,
		auth: AuthOutcome,
	): void {
		if (route.auth === "none") return;
		const reason = auth.ok ? 1 : this.#codes.indexOf(auth.error.code);
		bump(
			this.#auth,
			((reason * 2 + 0) * 2 + (auth.ok ? 0 : 1)) * 8 + schemeOf(route, fn),
		);
	}

	finished(
		ex: Exchange,
		route: GatewayRoute | undefined,
		fn: DeployedFunction | undefined,
		outcome: string,
		started: number,
		authz: RouteAuthorization | undefined,
		invoked: DeployedFunction | undefined,
		invokeStarted: number,
	): void {
		const now = performance.now();
		const s = (route && this.#routes.get(route)) ?? this.#unmatched;
		const status = ex.res.statusCode;
		const oc = this.#codes.indexOf(outcome);
		bump(
			s.requests,
			(oc * 8 + methodClass(ex.method)) * 8 + statusClass(status),
		);
		s.duration.observe((now - started) / 1000);
		if (authz && route) this.#authorized(schemeOf(route, fn), authz.decision);
		if (
			invoked &&
			s.invokes !== 0 &&
			(s.invokes === SYNC_ALWAYS || syncInvocation(ex))
		)
			this.#invocation(invoked, ex, status, oc, (now - invokeStarted) / 1000);
	}

	/** A connection closed at once because the gateway holds its maximum. */
	connectionRefused(): void {
		this.#refused++;
	}

	#authorized(scheme: number, d: Decision): void {
		const reason = this.#codes.indexOf(d.reason);
		bump(this.#auth, ((reason * 2 + 1) * 2 + (d.allowed ? 0 : 1)) * 8 + scheme);
	}

	#invocation(
		fn: DeployedFunction,
		ex: Exchange,
		status: number,
		outcome: number,
		seconds: number,
	): void {
		const s = this.#seriesOf(fn);
		s.started++;
		s.duration.observe(seconds);
		let cell = s.byStatus.get(status);
		if (!cell) {
			cell = new HistogramCell();
			s.byStatus.set(status, cell);
		}
		cell.observe(seconds);
		// A Lambda function's own failure is a 200 with X-Amz-Function-Error, as in AWS.
		if (outcome !== 1) bump(s.errors, outcome);
		else if (ex.res.hasHeader("x-amz-function-error"))
			bump(s.errors, this.#codes.indexOf("FUNCTION_ERROR"));
	}

	#seriesOf(fn: DeployedFunction): FunctionSeries {
		let s = this.#byFn.get(fn);
		if (s) return s;
		// Once per deployed revision: a new DeployedFunction object per deploy.
		const key = `${fn.name}\u0000${fn.config.runtime}`;
		s = this.#fns.get(key);
		if (!s) {
			if (this.#fns.size >= this.#maxFns) s = this.#overflow;
			else {
				s = new FunctionSeries(fn.name, fn.config.runtime);
				this.#fns.set(key, s);
			}
		}
		this.#byFn.set(fn, s);
		return s;
	}

	// ---- scrape time ------------------------------------------------------------------------

	/** The exposition: process metrics, the gateway's, and per-function series when `all`. */
	async render(scope: MetricsScope): Promise<string> {
		const parts = [
			await processMetrics().metrics(),
			await this.#gateway.metrics(),
		];
		if (scope === "all") {
			await this.#prune();
			parts.push(await this.#functions.metrics());
		}
		return parts.join("\n");
	}

	/** Drops the series of functions deleted since (bounded by the functions deployed, not ever). */
	async #prune(): Promise<void> {
		const now = performance.now();
		if (now - this.#lastPrune < this.#pruneEveryMs) return;
		this.#lastPrune = now;
		for (const [key, s] of this.#fns)
			if ((await this.#sources.functionExists(s.name)) === false)
				this.#fns.delete(key);
	}

	#register(version: string): void {
		const g = this.#gateway;
		const src = this.#sources;
		new Gauge({
			name: "sigil_build_info",
			help: "The running Sigil version (always 1).",
			labelNames: ["version"],
			registers: [g],
		}).set({ version }, 1);
		new Gauge({
			name: "sigil_http_requests_in_flight",
			help: "Requests being handled now.",
			registers: [g],
			collect() {
				this.set(src.inFlight());
			},
		});
		new Gauge({
			name: "sigil_http_open_connections",
			help: "Open client connections.",
			registers: [g],
			async collect() {
				this.set(await src.connections());
			},
		});
		new Gauge({
			name: "sigil_async_queue_depth",
			help: "Asynchronous jobs by status: queued (in the store, every gateway sharing it) and running (on this gateway's worker).",
			labelNames: ["status"],
			registers: [g],
			async collect() {
				this.reset();
				const q = await src.queue().catch(() => undefined);
				if (!q) return;
				this.set({ status: "queued" }, q.queued);
				this.set({ status: "running" }, q.running);
			},
		});
		registerSnapshot(g, {
			name: "sigil_http_connections_refused_total",
			help: "Connections closed at once because the gateway held its maximum (SIGIL_MAX_CONNECTIONS).",
			type: "counter",
			collect: () => [{ labels: {}, value: this.#refused }],
		});
		registerSnapshot(g, {
			name: "sigil_http_requests_total",
			help: "Requests by route name (from the route table), method, status class and outcome code.",
			type: "counter",
			collect: () => {
				const out: Sample[] = [];
				for (const s of [...this.#routes.values(), this.#unmatched])
					for (const [key, value] of s.requests)
						out.push({
							labels: {
								...s.labels,
								method: METHOD_CLASSES[(key >> 3) & 7] as string,
								status_class: STATUS_CLASSES[key & 7] as string,
								outcome: this.#codes.code(key >> 6),
							},
							value,
						});
				return out;
			},
		});
		registerSnapshot(g, {
			name: "sigil_http_request_duration_seconds",
			help: "Time from the request's arrival to the end of its handling, by route name.",
			type: "histogram",
			collect: () => {
				const out: Sample[] = [];
				for (const s of [...this.#routes.values(), this.#unmatched])
					if (s.duration.count > 0)
						histogramSamples(
							"sigil_http_request_duration_seconds",
							s.labels,
							s.duration,
							out,
						);
				return out;
			},
		});
		registerSnapshot(g, {
			name: "sigil_auth_decisions_total",
			help: "Authentication (scheme, failure code) and authorization (policy decision reason) outcomes.",
			type: "counter",
			collect: () =>
				[...this.#auth].map(([key, value]) => ({
					labels: {
						scheme: SCHEMES[key & 7] as string,
						phase: PHASES[(key >> 4) & 1] as string,
						outcome: OUTCOMES[(key >> 3) & 1] as string,
						reason: this.#codes.code(key >> 5),
					},
					value,
				})),
		});
		this.#registerFunctions();
	}

	#registerFunctions(): void {
		const f = this.#functions;
		const all = () => [...this.#fns.values(), this.#overflow];
		registerSnapshot(f, {
			name: "sigil_function_invocation_duration_seconds",
			help: "Synchronous invocations of deployed functions: time until the answer's headers.",
			type: "histogram",
			collect: () => {
				const out: Sample[] = [];
				for (const s of all())
					if (s.duration.count > 0)
						histogramSamples(
							"sigil_function_invocation_duration_seconds",
							s.labels,
							s.duration,
							out,
						);
				return out;
			},
		});
		registerSnapshot(f, {
			name: "sigil_function_errors_total",
			help: "Failed synchronous invocations by code (FUNCTION_TIMEOUT, FUNCTION_CRASHED, FUNCTION_ERROR, …).",
			type: "counter",
			collect: () => {
				const out: Sample[] = [];
				for (const s of all())
					for (const [code, value] of s.errors)
						out.push({
							labels: { ...s.labels, code: this.#codes.code(code) },
							value,
						});
				return out;
			},
		});
		registerSnapshot(f, {
			name: "gateway_function_invocation_started",
			help: "Function invocations started (OpenFaaS's name).",
			type: "counter",
			collect: () =>
				all()
					.filter((s) => s.started > 0)
					.map((s) => ({ labels: s.openfaas, value: s.started })),
		});
		registerSnapshot(f, {
			name: "gateway_function_invocation_total",
			help: "Function invocations by HTTP status code (OpenFaaS's name).",
			type: "counter",
			collect: () => {
				const out: Sample[] = [];
				for (const s of all())
					for (const [status, cell] of s.byStatus)
						out.push({
							labels: { ...s.openfaas, code: statusLabel(status) },
							value: cell.count,
						});
				return out;
			},
		});
		registerSnapshot(f, {
			name: "gateway_functions_seconds",
			help: "Function invocation time by HTTP status code (OpenFaaS's name).",
			type: "histogram",
			collect: () => {
				const out: Sample[] = [];
				for (const s of all())
					for (const [status, cell] of s.byStatus)
						histogramSamples(
							"gateway_functions_seconds",
							{ ...s.openfaas, code: statusLabel(status) },
							cell,
							out,
						);
				return out;
			},
		});
	}
}

function schemeOf(
	route: GatewayRoute,
	fn: DeployedFunction | undefined,
): number {
	if (route.auth !== "trigger") return 0;
	// An unknown name is answered as an AWS_IAM function (pipeline.ts): SigV4 it is.
	return fn ? (TRIGGER_SCHEME[fn.config.trigger.auth] ?? 0) : 0;
}

function syncInvocation(ex: Exchange): boolean {
	const type = ex.req.headers["x-amz-invocation-type"];
	return type === undefined || type === "RequestResponse";
}
