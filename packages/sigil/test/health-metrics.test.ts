// Health and metrics (issue 10) against a real gateway: /healthz answers without the store,
// /readyz names the failing check, /metrics is strict Prometheus text whose counters move with
// real signed and denied invocations, whose labels never carry a key id, an ARN, a request id or
// a name an anonymous caller invented, and which only trusted scrapers read in full.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { evaluate, stateCheck } from "../src/gateway/health.ts";
import { parseListenAddress } from "../src/gateway/metrics-listener.ts";
import { ROUTES } from "../src/gateway/routes.ts";
import { startGateway } from "../src/gateway/server.ts";
import {
	decideMetricsAccess,
	isLoopback,
	resolveMetricsAccess,
} from "../src/metrics/access.ts";
import { INVOKING_ROUTES } from "../src/metrics/gateway-metrics.ts";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { createUser, type Keys, OK_HANDLER } from "./helpers/iam.ts";

// ---- a strict parser of the text exposition format (version 0.0.4) ---------------------------

interface Sample {
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
}
interface Family {
	readonly name: string;
	type?: string;
	help?: string;
	readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseLabels(text: string, line: string): Record<string, string> {
	const labels: Record<string, string> = {};
	let i = 0;
	while (i < text.length) {
		const eq = text.indexOf("=", i);
		assert.ok(eq > i, `label name expected: ${line}`);
		const name = text.slice(i, eq);
		assert.match(name, LABEL_NAME, `label name in ${line}`);
		assert.ok(!(name in labels), `duplicate label ${name}: ${line}`);
		assert.equal(text[eq + 1], '"', `quoted value expected: ${line}`);
		let value = "";
		let j = eq + 2;
		for (;;) {
			const c = text[j];
			assert.ok(c !== undefined, `unterminated label value: ${line}`);
			if (c === '"') break;
			if (c === "\\") {
				const e = text[j + 1];
				assert.ok(
					e === "\\" || e === '"' || e === "n",
					`bad escape in ${line}`,
				);
				value += e === "n" ? "\n" : e;
				j += 2;
				continue;
			}
			assert.notEqual(c, "\n");
			value += c;
			j++;
		}
		labels[name] = value;
		i = j + 1;
		if (text[i] === ",") i++;
		else assert.equal(i, text.length, `',' or '}' expected: ${line}`);
	}
	return labels;
}

function parseValue(v: string, line: string): number {
	if (v === "+Inf") return Number.POSITIVE_INFINITY;
	if (v === "-Inf") return Number.NEGATIVE_INFINITY;
	if (v === "NaN" || v === "Nan") return Number.NaN;
	assert.match(v, /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, `value of ${line}`);
	return Number(v);
}

function parseExposition(text: string): Map<string, Family> {
	assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
	const families = new Map<string, Family>();
	const seen = new Set<string>();
	const family = (name: string) => {
		let f = families.get(name);
		if (!f) {
			f = { name, samples: [] };
			families.set(name, f);
		}
		return f;
	};
	for (const line of text.slice(0, -1).split("\n")) {
		if (line === "") continue;
		const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
		if (meta) {
			const [, kind, name, rest] = meta as unknown as [
				string,
				string,
				string,
				string,
			];
			assert.match(name, METRIC_NAME, line);
			const f = family(name);
			if (kind === "TYPE") {
				assert.equal(f.type, undefined, `TYPE twice for ${name}`);
				assert.equal(f.samples.length, 0, `TYPE after samples of ${name}`);
				assert.ok(TYPES.has(rest), `type of ${line}`);
				f.type = rest;
			} else {
				assert.equal(f.help, undefined, `HELP twice for ${name}`);
				f.help = rest;
			}
			continue;
		}
		if (line.startsWith("#")) continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(
			line,
		);
		assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
		const [, name, rawLabels, rawValue] = m as unknown as [
			string,
			string,
			string | undefined,
			string,
		];
		const labels = rawLabels ? parseLabels(rawLabels, line) : {};
		const base = name.replace(/_(bucket|sum|count)$/, "");
		const owner =
			families.get(name)?.type !== undefined
				? (families.get(name) as Family)
				: families.get(base);
		assert.ok(owner?.type, `sample before its TYPE: ${line}`);
		if (owner.name !== name)
			assert.ok(
				owner.type === "histogram" || owner.type === "summary",
				`suffixed sample of a ${owner.type}: ${line}`,
			);
		const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
		assert.ok(!seen.has(key), `duplicate series ${line}`);
		seen.add(key);
		owner.samples.push({ name, labels, value: parseValue(rawValue, line) });
	}
	for (const f of families.values())
		if (f.type === "histogram") checkHistogram(f);
	return families;
}

/** Buckets cumulative, ordered by `le`, ending in `+Inf` equal to `_count`. */
function checkHistogram(f: Family): void {
	const series = new Map<string, { le: number; v: number }[]>();
	const counts = new Map<string, number>();
	const keyOf = (labels: Record<string, string>) =>
		JSON.stringify(
			Object.entries(labels)
				.filter(([k]) => k !== "le")
				.sort(),
		);
	for (const s of f.samples) {
		const k = keyOf(s.labels);
		if (s.name === `${f.name}_bucket`) {
			const le = s.labels.le;
			assert.ok(le !== undefined, `${f.name} bucket without le`);
			const list = series.get(k) ?? [];
			list.push({ le: parseValue(le, f.name), v: s.value });
			series.set(k, list);
		} else if (s.name === `${f.name}_count`) counts.set(k, s.value);
	}
	for (const [k, buckets] of series) {
		for (let i = 1; i < buckets.length; i++) {
			assert.ok(
				(buckets[i] as { le: number }).le >
					(buckets[i - 1] as { le: number }).le,
			);
			assert.ok(
				(buckets[i] as { v: number }).v >= (buckets[i - 1] as { v: number }).v,
				`${f.name} buckets cumulative`,
			);
		}
		const last = buckets.at(-1) as { le: number; v: number };
		assert.equal(last.le, Number.POSITIVE_INFINITY, `${f.name} ends at +Inf`);
		assert.equal(last.v, counts.get(k), `${f.name} +Inf bucket is _count`);
	}
}

/** The value of the one sample of `name` whose labels include `match` (0 when absent). */
function sampleValue(
	fams: Map<string, Family>,
	name: string,
	match: Record<string, string>,
): number {
	const base = name.replace(/_(bucket|sum|count)$/, "");
	const f = fams.get(name) ?? fams.get(base);
	const hits = (f?.samples ?? []).filter(
		(s) =>
			s.name === name &&
			Object.entries(match).every(([k, v]) => s.labels[k] === v),
	);
	return hits.reduce((n, s) => n + s.value, 0);
}

function labelValues(fams: Map<string, Family>): string[] {
	return [...fams.values()].flatMap((f) =>
		f.samples.flatMap((s) => Object.values(s.labels)),
	);
}

/** Series of Sigil's own families (process metrics come and go with GC kinds and handles). */
function sigilSeries(fams: Map<string, Family>): number {
	let n = 0;
	for (const f of fams.values())
		if (/^(sigil|gateway)_/.test(f.name)) n += f.samples.length;
	return n;
}

// ---- the gateway --------------------------------------------------------------------------

let gw: TestGateway;
let nobody: { arn: string; keys: Keys };

async function scrape(
	base = gw.url,
	headers: Record<string, string> = {},
): Promise<Map<string, Family>> {
	const res = await fetch(`${base}/metrics`, { headers });
	assert.equal(res.status, 200, await res.clone().text());
	assert.match(
		res.headers.get("content-type") ?? "",
		/^text\/plain; version=0\.0\.4/,
	);
	return parseExposition(await res.text());
}

before(async () => {
	gw = await startTestGateway();
	await gw.deploy(
		"iam-fn",
		{ runtime: "node", trigger: { auth: "aws_iam" } },
		{ "index.mjs": OK_HANDLER },
	);
	nobody = await createUser(gw, "nobody");
});
after(() => gw.stop());

describe("probes", () => {
	test("GET /healthz: 200 {status: ok}; HEAD too", async () => {
		const res = await fetch(`${gw.url}/healthz`);
		assert.equal(res.status, 200);
		assert.deepEqual(await res.json(), { status: "ok" });
		const head = await fetch(`${gw.url}/healthz`, { method: "HEAD" });
		assert.equal(head.status, 200);
	});

	test("GET /readyz: 200 with every check ok", async () => {
		const res = await fetch(`${gw.url}/readyz`);
		assert.equal(res.status, 200);
		const body = (await res.json()) as {
			status: string;
			checks: { name: string; ok: boolean }[];
		};
		assert.equal(body.status, "ready");
		assert.deepEqual(
			body.checks.map((c) => [c.name, c.ok]),
			[
				["store", true],
				["queue", true],
				["cache", true],
				["feed", true],
				["runtimes", true],
				["queue-worker", true],
			],
		);
	});

	test("the probes and the scrape are at the root, public, and not functions", () => {
		for (const name of ["healthz", "readyz", "metrics"]) {
			const r = ROUTES.find((x) => x.name === name);
			assert.ok(r, name);
			assert.equal(r.pattern, `/${name}`);
			assert.equal(r.auth, "none");
			assert.equal(r.authorization.by, "nothing");
		}
		for (const name of INVOKING_ROUTES.keys())
			assert.ok(
				ROUTES.some((r) => r.name === name),
				`${name} is a route of the table`,
			);
	});
});

describe("readiness after the store is closed", () => {
	test("503 naming the store, no path in the answer; /healthz and /metrics still answer", async () => {
		const g = await startTestGateway();
		try {
			assert.equal((await fetch(`${g.url}/readyz`)).status, 200);
			await g.gateway.store.close();
			// One answer is reused for up to a second.
			await new Promise((r) => setTimeout(r, 1_100));
			const res = await fetch(`${g.url}/readyz`);
			assert.equal(res.status, 503);
			const text = await res.text();
			const body = JSON.parse(text) as {
				status: string;
				check: string;
				reason: string;
			};
			assert.equal(body.status, "unavailable");
			assert.equal(body.check, "store");
			assert.equal(body.reason, "the store is closed");
			assert.ok(!text.includes(g.dataDir), "no data directory in the answer");
			assert.ok(!text.includes("/tmp"), "no path in the answer");
			// Liveness never touches the store: the process still serves.
			assert.equal((await fetch(`${g.url}/healthz`)).status, 200);
			const fams = await scrape(g.url);
			assert.equal(
				sampleValue(fams, "sigil_async_queue_depth", { status: "queued" }),
				0,
			);
		} finally {
			await g.stop();
		}
	});

	test("a stopped worker, a hung check: named, the hung one bounded by the timeout", async () => {
		const r = await evaluate(
			[
				stateCheck("store", () => undefined),
				stateCheck("queue-worker", () => "the async queue worker is stopped"),
				{ name: "slow", run: () => new Promise(() => {}) },
			],
			50,
		);
		assert.equal(r.ready, false);
		assert.deepEqual(r.checks, [
			{ name: "store", ok: true },
			{
				name: "queue-worker",
				ok: false,
				reason: "the async queue worker is stopped",
			},
			{ name: "slow", ok: false, reason: "no answer within 50 ms" },
		]);
	});
});

describe("GET /metrics", () => {
	test("counters move after a signed invocation and a denied one", async () => {
		const before = await scrape();
		const ok = await gw.signed("GET", "/function/iam-fn", {
			service: "lambda",
		});
		assert.equal(ok.status, 200);
		const denied = await signedFetch(gw.url, "GET", "/function/iam-fn", {
			service: "lambda",
			credentials: nobody.keys,
		});
		assert.equal(denied.status, 403);
		const unsigned = await fetch(`${gw.url}/function/iam-fn`);
		assert.equal(unsigned.status, 403);
		const after = await scrape();
		const delta = (name: string, labels: Record<string, string>) =>
			sampleValue(after, name, labels) - sampleValue(before, name, labels);

		const trigger = { route: "trigger", method: "GET" };
		assert.equal(
			delta("sigil_http_requests_total", {
				...trigger,
				status_class: "2xx",
				outcome: "OK",
			}),
			1,
		);
		assert.equal(
			delta("sigil_http_requests_total", {
				...trigger,
				status_class: "4xx",
				outcome: "ACCESS_DENIED",
			}),
			1,
		);
		assert.equal(
			delta("sigil_http_requests_total", { ...trigger, status_class: "4xx" }),
			2,
		);
		assert.equal(
			delta("sigil_http_request_duration_seconds_count", { route: "trigger" }),
			3,
		);
		assert.equal(
			delta("sigil_auth_decisions_total", {
				scheme: "sigv4",
				phase: "authenticate",
				outcome: "allowed",
			}),
			2,
		);
		assert.equal(
			delta("sigil_auth_decisions_total", {
				scheme: "sigv4",
				phase: "authenticate",
				outcome: "denied",
			}),
			1,
		);
		assert.equal(
			delta("sigil_auth_decisions_total", {
				scheme: "sigv4",
				phase: "authorize",
				outcome: "denied",
				reason: "NO_IDENTITY_ALLOW",
			}),
			1,
		);
		assert.equal(
			delta("sigil_auth_decisions_total", {
				scheme: "sigv4",
				phase: "authorize",
				outcome: "allowed",
			}),
			1,
		);
		// Only the invocation that ran is one; OpenFaaS's names carry it too.
		assert.equal(
			delta("sigil_function_invocation_duration_seconds_count", {
				function: "iam-fn",
				runtime: "node",
			}),
			1,
		);
		assert.equal(
			delta("gateway_function_invocation_total", {
				function_name: "iam-fn.openfaas-fn",
				code: "200",
			}),
			1,
		);
		assert.equal(
			delta("gateway_functions_seconds_count", {
				function_name: "iam-fn.openfaas-fn",
				code: "200",
			}),
			1,
		);
		assert.equal(
			delta("gateway_function_invocation_started", {
				function_name: "iam-fn.openfaas-fn",
			}),
			1,
		);
		// Process metrics are prom-client's defaults.
		assert.ok(after.get("process_cpu_user_seconds_total"));
		assert.ok(after.get("nodejs_eventloop_lag_seconds"));
		assert.equal(
			sampleValue(after, "sigil_build_info", {}),
			1,
			"one build-info series",
		);
		assert.ok(sampleValue(after, "sigil_http_requests_in_flight", {}) >= 1);
		assert.ok(sampleValue(after, "sigil_http_open_connections", {}) >= 1);
	});

	test("no label holds a key id, an ARN, an account id, a request id or a name a caller invented; a flood of random names adds no series", async () => {
		const ids: string[] = [];
		const probe = await gw.signed("GET", "/function/iam-fn", {
			service: "lambda",
		});
		ids.push(probe.headers.get("x-sigil-request-id") ?? "");
		// Warm every outcome the flood produces, then count.
		const random = () => `x${randomBytes(6).toString("hex")}`;
		const invented: string[] = [];
		const flood = async (n: number) => {
			for (let i = 0; i < n; i += 25)
				await Promise.all(
					Array.from({ length: 25 }, async (_, j) => {
						const name = random();
						invented.push(name);
						const res =
							j % 5 === 0
								? await gw.signed("GET", `/function/${name}`, {
										service: "lambda",
									})
								: await fetch(`${gw.url}/function/${name}/${random()}`, {
										method: j % 2 ? "POST" : "GET",
									});
						ids.push(res.headers.get("x-sigil-request-id") ?? "");
						await res.arrayBuffer();
						assert.equal(res.status, 403);
					}),
				);
		};
		await flood(50);
		const before = sigilSeries(await scrape());
		await flood(300);
		const fams = await scrape();
		assert.equal(sigilSeries(fams), before, "the flood added no series");

		const values = labelValues(fams);
		const forbidden = [
			ROOT_KEY.accessKeyId,
			nobody.keys.accessKeyId,
			gw.gateway.rootAccountId,
			...ids.filter(Boolean),
			...invented,
		];
		for (const v of values) {
			assert.ok(!v.includes("arn:"), `an ARN in a label: ${v}`);
			assert.ok(!/AKIA|ASIA/.test(v), `a key id in a label: ${v}`);
			for (const f of forbidden)
				assert.ok(!v.includes(f), `${f} in a label value: ${v}`);
		}
		// Function series exist only for the deployed function.
		const fnNames = new Set(
			(fams.get("gateway_function_invocation_total")?.samples ?? []).map(
				(s) => s.labels.function_name,
			),
		);
		assert.deepEqual([...fnNames], ["iam-fn.openfaas-fn"]);
		const routes = new Set(
			(fams.get("sigil_http_requests_total")?.samples ?? []).map(
				(s) => s.labels.route,
			),
		);
		for (const r of routes)
			assert.ok(
				r === "unmatched" || ROUTES.some((x) => x.name === r),
				`route label ${r} is a route name`,
			);
	});

	test("a request through a proxy on this host (a forwarding header) is refused by default", async () => {
		for (const h of ["x-forwarded-for", "forwarded", "x-real-ip"]) {
			const res = await fetch(`${gw.url}/metrics`, {
				headers: { [h]: h === "forwarded" ? "for=203.0.113.9" : "203.0.113.9" },
			});
			assert.equal(res.status, 403, h);
			const body = (await res.json()) as { error: { code: string } };
			assert.equal(body.error.code, "ACCESS_DENIED");
		}
	});

	test("SIGIL_METRICS=public: gateway-wide series to anyone, per-function series only with the token", async () => {
		const token = randomBytes(24).toString("hex");
		const g = await startTestGateway({
			env: { SIGIL_METRICS: "public", SIGIL_METRICS_TOKEN: token },
		});
		try {
			await g.deploy(
				"pub-fn",
				{ runtime: "node", trigger: { auth: "none" } },
				{ "index.mjs": OK_HANDLER },
			);
			assert.equal((await fetch(`${g.url}/function/pub-fn`)).status, 200);
			const remote = { "x-forwarded-for": "203.0.113.9" };
			const open = await scrape(g.url, remote);
			assert.ok(open.get("sigil_http_requests_total"));
			for (const name of open.keys())
				assert.ok(
					!/^(gateway_function|gateway_functions|sigil_function)/.test(name),
					`${name} is operator data`,
				);
			assert.ok(!labelValues(open).some((v) => v.includes("pub-fn")));
			const full = await scrape(g.url, {
				...remote,
				authorization: `Bearer ${token}`,
			});
			assert.equal(
				sampleValue(full, "gateway_function_invocation_total", {
					function_name: "pub-fn.openfaas-fn",
				}),
				1,
			);
			const wrong = await fetch(`${g.url}/metrics`, {
				headers: { ...remote, authorization: `Bearer ${token}x` },
			});
			assert.equal(wrong.status, 403);
		} finally {
			await g.stop();
		}
	});
});

describe("SIGIL_METRICS_LISTEN: a second address for a remote scraper", () => {
	test("every caller of that address gets the full view; it serves /metrics and nothing else", async () => {
		const g = await startTestGateway({
			env: { SIGIL_METRICS_LISTEN: "127.0.0.1:0" },
		});
		try {
			await g.deploy(
				"listen-fn",
				{ runtime: "node", trigger: { auth: "none" } },
				{ "index.mjs": OK_HANDLER },
			);
			assert.equal((await fetch(`${g.url}/function/listen-fn`)).status, 200);
			const url = g.gateway.metricsUrl as string;
			assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
			assert.notEqual(new URL(url).port, new URL(g.url).port);
			// Trusted by address: a forwarding header changes nothing there…
			const res = await fetch(url, {
				headers: { "x-forwarded-for": "203.0.113.9" },
			});
			assert.equal(res.status, 200);
			const fams = parseExposition(await res.text());
			assert.equal(
				sampleValue(fams, "gateway_function_invocation_total", {
					function_name: "listen-fn.openfaas-fn",
					code: "200",
				}),
				1,
			);
			// …while the gateway's own /metrics keeps its policy.
			const main = await fetch(`${g.url}/metrics`, {
				headers: { "x-forwarded-for": "203.0.113.9" },
			});
			assert.equal(main.status, 403);
			const base = url.replace(/\/metrics$/, "");
			for (const path of [
				"/",
				"/healthz",
				"/function/listen-fn",
				"/sigil/v1/info",
			])
				assert.equal((await fetch(`${base}${path}`)).status, 404, path);
			assert.equal((await fetch(url, { method: "POST" })).status, 405);
		} finally {
			await g.stop();
		}
	});

	test("the address must be HOST:PORT", () => {
		assert.deepEqual(parseListenAddress("10.0.0.5:9464"), {
			host: "10.0.0.5",
			port: 9464,
		});
		assert.deepEqual(parseListenAddress("[::1]:9464"), {
			host: "::1",
			port: 9464,
		});
		for (const bad of [
			"9464",
			"10.0.0.5",
			":9464",
			"host:99999",
			"::1:9464",
			"a b:1",
		])
			assert.throws(() => parseListenAddress(bad), /HOST:PORT/, bad);
	});
});

/** This host's first non-loopback IPv4 address: a peer that is not loopback, without leaving the host. */
const outside = Object.values(networkInterfaces())
	.flat()
	.find((a) => a && a.family === "IPv4" && !a.internal)?.address;

test("a caller from a non-loopback address is refused /metrics (probes still answer)", {
	skip: outside ? false : "no non-loopback IPv4 address on this host",
}, async () => {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-test-"));
	const g = await startGateway({
		host: outside as string,
		port: 0,
		dataDir,
		region: "us-east-1",
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
		},
		log: () => {},
		drainMs: 1_000,
	});
	try {
		// The gateway listens on that address only, so the connection's peer is that address too.
		const res = await fetch(`${g.url}/metrics`);
		assert.equal(res.status, 403);
		const body = (await res.json()) as {
			error: { code: string; message: string };
		};
		assert.equal(body.error.code, "ACCESS_DENIED");
		assert.match(body.error.message, /this host's callers only/);
		assert.equal((await fetch(`${g.url}/healthz`)).status, 200);
		assert.equal((await fetch(`${g.url}/readyz`)).status, 200);
	} finally {
		await g.close();
		await rm(dataDir, { recursive: true, force: true });
	}
});

describe("the metrics access decision", () => {
	const loopback = resolveMetricsAccess({});
	const remote = { remoteAddress: "10.0.0.5", headers: {} };
	const local = { remoteAddress: "127.0.0.1", headers: {} };

	test("loopback by default: this host's callers get everything, others are refused", () => {
		assert.equal(loopback.mode, "loopback");
		assert.deepEqual(decideMetricsAccess(loopback, local), {
			ok: true,
			scope: "all",
		});
		for (const addr of ["::1", "::ffff:127.0.0.1", "127.1.2.3"])
			assert.equal(
				decideMetricsAccess(loopback, { remoteAddress: addr, headers: {} }).ok,
				true,
				addr,
			);
		for (const addr of [
			"10.0.0.5",
			"192.168.1.1",
			"::ffff:10.0.0.5",
			"2001:db8::1",
			"128.0.0.1",
			"127.0.0.1.example",
			"",
		]) {
			const g = decideMetricsAccess(loopback, {
				remoteAddress: addr,
				headers: {},
			});
			assert.equal(g.ok, false, addr);
			assert.equal(!g.ok && g.code, "ACCESS_DENIED");
		}
		assert.equal(
			decideMetricsAccess(loopback, {
				...local,
				headers: { "x-forwarded-for": "10.0.0.5" },
			}).ok,
			false,
		);
		assert.equal(isLoopback("::ffff:127.0.0.1"), true);
	});

	test("public: the gateway-wide view to anyone; off: 404; the token: everything", () => {
		const pub = resolveMetricsAccess({ SIGIL_METRICS: "public" });
		assert.deepEqual(decideMetricsAccess(pub, remote), {
			ok: true,
			scope: "gateway",
		});
		assert.deepEqual(decideMetricsAccess(pub, local), {
			ok: true,
			scope: "all",
		});
		const off = resolveMetricsAccess({ SIGIL_METRICS: "off" });
		const g = decideMetricsAccess(off, local);
		assert.equal(!g.ok && g.code, "ROUTE_NOT_FOUND");
		const token = "0123456789abcdef0123";
		const withToken = resolveMetricsAccess({ SIGIL_METRICS_TOKEN: token });
		assert.deepEqual(
			decideMetricsAccess(withToken, {
				...remote,
				headers: { authorization: `Bearer ${token}` },
			}),
			{ ok: true, scope: "all" },
		);
		for (const authorization of [
			`Bearer ${token}0`,
			"Bearer ",
			token,
			`Basic ${token}`,
		])
			assert.equal(
				decideMetricsAccess(withToken, { ...local, headers: { authorization } })
					.ok,
				false,
				authorization,
			);
		assert.equal(decideMetricsAccess(withToken, remote).ok, false);
	});

	test("a bad setting stops the start instead of opening or closing metrics by surprise", () => {
		assert.throws(
			() => resolveMetricsAccess({ SIGIL_METRICS: "yes" }),
			/SIGIL_METRICS must be one of loopback, public, off/,
		);
		assert.throws(
			() => resolveMetricsAccess({ SIGIL_METRICS_TOKEN: "short" }),
			/at least 16 characters/,
		);
	});
});
