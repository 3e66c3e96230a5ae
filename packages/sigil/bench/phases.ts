/**
 * Where the gateway's main-thread CPU goes, by pipeline phase, from a V8 CPU profile (the
 * sampling profiler `--cpu-prof` uses, started in the gateway's process only for the measured
 * window — nothing of it exists in the gateway unless a bench asks for it).
 *
 * Method: every sample's stack is walked from the leaf towards the root; the innermost frame in
 * Sigil's own source decides the phase by its file (and, in pipeline.ts and server.ts, by its
 * function), so time spent inside Node or V8 on Sigil's behalf (a `writev` under respond.ts, a
 * `JSON.parse` under frames.ts) counts for the phase that asked for it. A stack with no Sigil
 * frame is Node's own work: the HTTP parser before a request reaches Sigil, socket writes and
 * reads completed later, garbage collection. Idle samples and the profiler's own are left out.
 * The sampler ticks on wall time, so on a loaded machine a sample can land while the thread is
 * preempted: the bench takes only the shares from here and the CPU itself from /proc.
 */

export const PHASES = [
	"parse",
	"verify",
	"authorize",
	"dispatch",
	"respond",
	"audit",
	"log+metrics",
	"pipeline",
	"socket I/O",
	"gc",
	"other",
] as const;
export type Phase = (typeof PHASES)[number];

/** What each phase holds, said once for the report. */
export const PHASE_MEANING: Record<Phase, string> = {
	parse:
		"HTTP parsing (node:http before Sigil), Exchange, routing, body read, trigger lookup",
	verify:
		"authenticate.ts, credentials, @sigil/signature (SigV4 parse + verify, payload HMAC)",
	authorize: "authorize.ts, iam/, @sigil/policy (the IAM decision)",
	dispatch:
		"trigger.ts, runtime/ (function-URL event, worker pool, frames to the instance and back)",
	respond: "respond.ts, function-url-response.ts, node:_http_outgoing",
	audit:
		"pipeline audit(), store/ (audit records, key last-use, write-behind batches)",
	"log+metrics": "the per-request log line (server.ts log) and metrics/",
	pipeline: "pipeline.ts's own code between the phases",
	"socket I/O":
		"stream and socket work with no Sigil frame (deferred writes, reads)",
	gc: "V8 garbage collection",
	other: "anything else (V8 program time, timers, Node internals)",
};

interface CallFrame {
	readonly functionName: string;
	readonly url: string;
}
interface ProfileNode {
	readonly id: number;
	readonly callFrame: CallFrame;
	readonly children?: readonly number[];
}
export interface CpuProfile {
	readonly nodes: readonly ProfileNode[];
	readonly samples: readonly number[];
	readonly timeDeltas: readonly number[];
	readonly startTime: number;
	readonly endTime: number;
}

const SIGIL_FILES: readonly [RegExp, Phase][] = [
	[/\/signature\/src\//, "verify"],
	[/\/gateway\/(authenticate|credentials|replay-guard)\.ts$/, "verify"],
	[/\/policy\/src\//, "authorize"],
	[/\/gateway\/authorize\.ts$/, "authorize"],
	[/\/iam\//, "authorize"],
	[/\/runtime\/function-url-response\.ts$/, "respond"],
	[/\/gateway\/respond\.ts$/, "respond"],
	[/\/gateway\/trigger\.ts$/, "dispatch"],
	[/\/runtime\//, "dispatch"],
	[/\/functions\/invocation-logs\.ts$/, "audit"],
	[/\/store\//, "audit"],
	[/\/metrics\//, "log+metrics"],
	[
		/\/gateway\/(exchange|router|route-path|body|cors|socket-guard|routes|route)\.ts$/,
		"parse",
	],
	[/\/functions\/registry\.ts$/, "parse"],
];

/** The phase of one Sigil frame, or undefined for a frame outside Sigil's source. */
function sigilPhase(f: CallFrame): Phase | undefined {
	if (!f.url.startsWith("file://") || f.url.includes("/node_modules/"))
		return undefined;
	if (f.url.endsWith("/gateway/pipeline.ts"))
		return f.functionName === "audit" || f.functionName === "decisionDetail"
			? "audit"
			: "pipeline";
	// server.ts's closures are anonymous (the request listener, the log line's writer): look further
	// out, to `log` for the log line, or to node:http's parser for the listener.
	if (f.url.endsWith("/gateway/server.ts"))
		return f.functionName === "log" ? "log+metrics" : undefined;
	for (const [re, phase] of SIGIL_FILES) if (re.test(f.url)) return phase;
	return "other";
}

/** The phase of Node's own work (no Sigil frame on the stack). */
function nodePhase(stack: readonly CallFrame[]): Phase {
	for (const f of stack) {
		if (/^node:_http_(server|common|incoming)$/.test(f.url)) return "parse";
		if (f.url === "node:_http_outgoing") return "respond";
		if (
			/^node:(net|internal\/stream_base_commons|internal\/streams\/)/.test(
				f.url,
			)
		)
			return "socket I/O";
	}
	return "other";
}

export interface PhaseBreakdown {
	/** Main-thread CPU in the profile (idle excluded), in microseconds. */
	readonly busyUs: number;
	readonly idleUs: number;
	/** The profiler's own work in the gateway's process, left out of `busyUs`. */
	readonly profilerUs: number;
	readonly byPhase: Readonly<Record<Phase, number>>;
	/** Time per (phase, deciding Sigil frame or Node frame, leaf frame), for looking closer. */
	readonly byFrame: ReadonlyMap<string, number>;
}

const short = (f: CallFrame) =>
	`${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(packages|node_modules)\//, "").replace(/^file:\/\//, "")}`;

/** Sums sample time per phase. */
export function phaseBreakdown(profile: CpuProfile): PhaseBreakdown {
	const byId = new Map<number, ProfileNode>();
	const parent = new Map<number, number>();
	for (const n of profile.nodes) {
		byId.set(n.id, n);
		for (const c of n.children ?? []) parent.set(c, n.id);
	}
	const phaseOfNode = new Map<number, Phase | "idle" | "profiler">();
	const frameOfNode = new Map<number, string>();
	const classify = (leaf: number): Phase | "idle" | "profiler" => {
		const known = phaseOfNode.get(leaf);
		if (known) return known;
		const stack: CallFrame[] = [];
		for (
			let id: number | undefined = leaf;
			id !== undefined;
			id = parent.get(id)
		) {
			const node = byId.get(id);
			if (node) stack.push(node.callFrame);
		}
		const top = stack[0]?.functionName;
		let phase: Phase | "idle" | "profiler";
		if (top === "(idle)") phase = "idle";
		// The bench's own profiler session (node:inspector, driven from bench/harness.ts).
		else if (stack.some((f) => f.url.includes("/sigil/bench/")))
			phase = "profiler";
		else if (top === "(garbage collector)") phase = "gc";
		else {
			phase = "other";
			let found: Phase | undefined;
			let decider: CallFrame | undefined;
			for (const f of stack) {
				found = sigilPhase(f);
				decider = f;
				if (found) break;
			}
			phase = found ?? nodePhase(stack);
			const leafFrame = stack[0];
			if (leafFrame)
				frameOfNode.set(
					leaf,
					`${phase}\t${found && decider ? short(decider) : "-"}\t${short(leafFrame)}`,
				);
		}
		phaseOfNode.set(leaf, phase);
		return phase;
	};
	const byPhase = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<
		Phase,
		number
	>;
	let idleUs = 0;
	let profilerUs = 0;
	const byFrame = new Map<string, number>();
	// timeDeltas[i] is the time from sample i-1 to sample i: it is spent in sample i's stack.
	for (let i = 0; i < profile.samples.length; i++) {
		const dt = profile.timeDeltas[i] ?? 0;
		const phase = classify(profile.samples[i] as number);
		if (phase === "idle") idleUs += dt;
		else if (phase === "profiler") profilerUs += dt;
		else {
			byPhase[phase] += dt;
			const key = frameOfNode.get(profile.samples[i] as number) ?? phase;
			byFrame.set(key, (byFrame.get(key) ?? 0) + dt);
		}
	}
	const busyUs = Object.values(byPhase).reduce((a, b) => a + b, 0);
	return { busyUs, idleUs, profilerUs, byPhase, byFrame };
}
