/**
 * The building blocks of the gateway's metrics: plain numeric accumulators that the request path
 * updates, and prom-client metrics that read them only when scraped.
 *
 * Why not prom-client's Counter and Histogram on the request path: every `inc`/`observe` with
 * labels validates the label object and builds a hash string of it (`labels()` children do it
 * too), i.e. string work per request and per series. Here a series is an object created once
 * (its label object built once, when the series first appears); the request path only does
 * number arithmetic and Map/WeakMap look-ups keyed by objects or small integers. prom-client
 * still owns what it is good at: the registry, the text exposition format (names, escaping,
 * HELP/TYPE lines), process metrics and scrape-time gauges.
 */
import { type Metric, type Registry, validateMetricName } from "prom-client";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
	readonly labels: Labels;
	readonly value: number;
	/** `NAME_bucket`, `NAME_sum`, `NAME_count` for histograms; the metric's name otherwise. */
	readonly metricName?: string;
}

/** Request and invocation latencies, in seconds: 1 ms to a minute (a function may run that long). */
export const DURATION_BUCKETS: readonly number[] = [
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
	60,
];

/** One histogram series. Counts are per bucket (cumulated at scrape), the last one is `+Inf`. */
export class HistogramCell {
	readonly buckets: readonly number[];
	readonly counts: Float64Array;
	sum = 0;
	count = 0;

	constructor(buckets: readonly number[] = DURATION_BUCKETS) {
		this.buckets = buckets;
		this.counts = new Float64Array(buckets.length + 1);
	}

	observe(seconds: number): void {
		const b = this.buckets;
		let i = 0;
		// Prometheus buckets are inclusive upper bounds (`le`).
		while (i < b.length && seconds > (b[i] as number)) i++;
		this.counts[i] = (this.counts[i] as number) + 1;
		this.sum += seconds;
		this.count++;
	}
}

/** `le` label values, built once per bucket layout. */
const LE = new WeakMap<readonly number[], readonly string[]>();

function leLabels(buckets: readonly number[]): readonly string[] {
	let le = LE.get(buckets);
	if (!le) {
		le = [...buckets.map(String), "+Inf"];
		LE.set(buckets, le);
	}
	return le;
}

/** The samples of one histogram series, as the exposition format wants them (cumulative). */
export function histogramSamples(
	name: string,
	labels: Labels,
	cell: HistogramCell,
	out: Sample[],
): void {
	const le = leLabels(cell.buckets);
	let cumulative = 0;
	for (let i = 0; i < cell.counts.length; i++) {
		cumulative += cell.counts[i] as number;
		out.push({
			metricName: `${name}_bucket`,
			labels: { ...labels, le: le[i] as string },
			value: cumulative,
		});
	}
	out.push({ metricName: `${name}_sum`, labels, value: cell.sum });
	out.push({ metricName: `${name}_count`, labels, value: cell.count });
}

export interface SnapshotMetricDef {
	readonly name: string;
	readonly help: string;
	readonly type: "counter" | "gauge" | "histogram";
	/** Runs at scrape time only. */
	readonly collect: () => Sample[] | Promise<Sample[]>;
}

/**
 * Registers a metric whose values are read from accumulators at scrape time. The registry
 * accepts any object with `name`, `help`, `type` and `get()`; its type only lists prom-client's
 * own classes, hence the cast.
 */
export function registerSnapshot(
	registry: Registry,
	def: SnapshotMetricDef,
): void {
	if (!validateMetricName(def.name))
		throw new Error(`invalid metric name ${def.name}`);
	const metric = {
		name: def.name,
		help: def.help,
		type: def.type,
		aggregator: "sum",
		async get() {
			return {
				name: def.name,
				help: def.help,
				type: def.type,
				aggregator: "sum",
				values: await def.collect(),
			};
		},
	};
	registry.registerMetric(metric as unknown as Metric);
}

/**
 * Codes used as label values (outcomes, failure reasons) mapped to small integers, so a request
 * is counted under a number. Codes are Sigil's and the signature library's stable codes and the
 * policy engine's decision reasons — a closed set in practice; anything else, or anything past
 * `max` distinct codes, counts as `OTHER`, so no input can grow the series without bound.
 */
export class CodeTable {
	readonly #index = new Map<string, number>();
	readonly #codes: string[] = ["OTHER"];
	readonly #max: number;

	constructor(max = 256) {
		this.#max = max;
	}

	indexOf(code: string): number {
		const i = this.#index.get(code);
		if (i !== undefined) return i;
		if (this.#codes.length >= this.#max || !/^[A-Z][A-Z0-9_]{0,63}$/.test(code))
			return 0;
		const n = this.#codes.length;
		this.#codes.push(code);
		this.#index.set(code, n);
		return n;
	}

	code(i: number): string {
		return this.#codes[i] ?? "OTHER";
	}

	get size(): number {
		return this.#codes.length;
	}
}

/** HTTP status codes as label values, built once each (only 100–599; anything else is `other`). */
const STATUS_TEXT: string[] = [];
export function statusLabel(status: number): string {
	if (!(status >= 100 && status <= 599)) return "other";
	let s = STATUS_TEXT[status];
	if (s === undefined) {
		s = String(status);
		STATUS_TEXT[status] = s;
	}
	return s;
}

export const STATUS_CLASSES = [
	"other",
	"1xx",
	"2xx",
	"3xx",
	"4xx",
	"5xx",
] as const;

export function statusClass(status: number): number {
	const c = Math.floor(status / 100);
	return c >= 1 && c <= 5 ? c : 0;
}

/** Methods are the caller's text: the usual ones by name, anything else as `OTHER`. */
export const METHOD_CLASSES = [
	"OTHER",
	"GET",
	"HEAD",
	"POST",
	"PUT",
	"DELETE",
	"PATCH",
	"OPTIONS",
] as const;

export function methodClass(method: string): number {
	switch (method) {
		case "GET":
			return 1;
		case "HEAD":
			return 2;
		case "POST":
			return 3;
		case "PUT":
			return 4;
		case "DELETE":
			return 5;
		case "PATCH":
			return 6;
		case "OPTIONS":
			return 7;
		default:
			return 0;
	}
}

/** Adds `by` to the count kept under `key`. */
export function bump(map: Map<number, number>, key: number, by = 1): void {
	map.set(key, (map.get(key) ?? 0) + by);
}
