/**
 * Each invocation's output, collected while it runs and handed to its audit record: the console
 * lines a Node instance sends back with its answer, the stderr of a process or python3 function,
 * an uncaught error's stack, a start failure's detail, and output a function wrote outside any
 * invocation (module init, timers, raw stdout/stderr of an instance) — that goes with the next
 * invocation of the function that completes.
 *
 * What leaves here is bounded ({@link MAX_INVOCATION_LOG_BYTES}, marked when cut) and never holds
 * the value of a secret the gateway knows for the function (its own secrets, its trigger's HMAC
 * or webhook secrets): each occurrence becomes `[redacted]`.
 */
import type { FunctionLogRecord } from "../runtime/node-runtime.ts";
import { RuntimeError } from "../runtime/types.ts";

/** One invocation's output as kept with its audit record. */
export const MAX_INVOCATION_LOG_BYTES = 64 * 1024;
export const REDACTED = "[redacted]";
/** Invocations whose output waits for its audit record (async jobs never take theirs). */
const MAX_PENDING = 2000;
/** A pending entry nobody took is dropped after this long. */
const PENDING_TTL_MS = 15 * 60_000;

interface Pending {
	text: string;
	readonly at: number;
	readonly fnKey: string;
}

/** The cut line ending output that was longer than the bound. */
export function cutMarker(limit: number): string {
	return `[sigil: output cut at ${limit} bytes]\n`;
}

/**
 * `text` within `limit` UTF-8 bytes: the beginning kept (cut after the last whole line that fits,
 * else on a character boundary), then the {@link cutMarker} line.
 */
export function boundOutput(
	text: string,
	limit = MAX_INVOCATION_LOG_BYTES,
): string {
	if (text.length <= limit / 4 || Buffer.byteLength(text) <= limit) return text;
	const marker = cutMarker(limit);
	const bytes = Buffer.from(text, "utf8");
	let end = limit - Buffer.byteLength(marker);
	const newline = bytes.lastIndexOf(0x0a, end - 1);
	if (newline > end / 2) end = newline + 1;
	else while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
	let head = bytes.subarray(0, end).toString("utf8");
	if (!head.endsWith("\n")) head += "\n";
	return head + marker;
}

/** `text` with every occurrence of each value replaced by `[redacted]` (longest values first). */
export function redact(text: string, values: readonly string[]): string {
	let out = text;
	for (const v of values)
		if (v !== "" && out.includes(v)) out = out.replaceAll(v, REDACTED);
	return out;
}

/**
 * An invocation's output as Lambda's log stream shows it: START, the output, END, REPORT
 * (durations in ms, the billed one rounded up to the next ms; memory in MB).
 */
export function lambdaLogText(
	requestId: string,
	output: string,
	m: { durationMs: number; memorySizeMb: number; maxMemoryUsedMb?: number },
): string {
	const used = Math.max(1, Math.ceil(m.maxMemoryUsedMb ?? 0));
	const report = [
		`REPORT RequestId: ${requestId}`,
		`Duration: ${m.durationMs.toFixed(2)} ms`,
		`Billed Duration: ${Math.max(1, Math.ceil(m.durationMs))} ms`,
		`Memory Size: ${m.memorySizeMb} MB`,
		`Max Memory Used: ${m.maxMemoryUsedMb !== undefined ? used : 0} MB`,
	].join("\t");
	const body = output === "" || output.endsWith("\n") ? output : `${output}\n`;
	return `START RequestId: ${requestId} Version: $LATEST\n${body}END RequestId: ${requestId}\n${report}\t\n`;
}

export class InvocationLogs {
	readonly #pending = new Map<string, Pending>();
	/** Output written outside any invocation, per function, waiting for the next one. */
	readonly #background = new Map<string, string>();
	/** Secret values per function (exact bytes as text), longest first. */
	readonly #secrets = new Map<string, string[]>();
	readonly #now: () => number;

	constructor(now: () => number = Date.now) {
		this.#now = now;
	}

	/**
	 * The values to redact from a function's output. Values of an earlier activation are kept
	 * too: its instances may still be draining.
	 */
	setSecrets(fnKey: string, values: readonly string[]): void {
		const all = new Set([...(this.#secrets.get(fnKey) ?? []), ...values]);
		const kept = [...all]
			.filter((v) => v.length >= 4)
			.sort((a, b) => b.length - a.length)
			.slice(0, 256);
		this.#secrets.set(fnKey, kept);
	}

	/** The sink a runtime reports each invocation's (or background) output to. */
	sink(fnKey: string): (record: FunctionLogRecord) => void {
		return (record) => {
			if (record.text === "") return;
			if (record.requestId === undefined) {
				const before = this.#background.get(fnKey) ?? "";
				this.#background.set(
					fnKey,
					keepTail(before + record.text, MAX_INVOCATION_LOG_BYTES),
				);
			} else this.add(record.requestId, fnKey, record.text);
		};
	}

	/** Appends output to an invocation (skipped when that text is there already). */
	add(requestId: string, fnKey: string, text: string): void {
		if (text === "") return;
		const entry = this.#pending.get(requestId);
		if (entry) {
			if (entry.text.includes(text)) return;
			entry.text = keepHead(
				entry.text +
					(entry.text.endsWith("\n") || entry.text === "" ? "" : "\n") +
					text,
			);
			return;
		}
		this.#evict();
		this.#pending.set(requestId, {
			text: keepHead(text),
			at: this.#now(),
			fnKey,
		});
	}

	/**
	 * Records what a runtime failure tells the function's owner (a start failure's module error,
	 * a crash's stderr) with the invocation it ended.
	 */
	addFailure(requestId: string, fnKey: string, err: unknown): void {
		if (!(err instanceof RuntimeError)) return;
		const parts = [`${err.code}: ${err.message}`];
		if (err.detail) parts.push(err.detail);
		this.add(requestId, fnKey, `${parts.join("\n").replace(/\n*$/, "")}\n`);
	}

	/** The invocation's output so far, redacted and bounded, without taking it. */
	peek(requestId: string, fnKey: string): string {
		return this.#finish(fnKey, this.#withBackground(requestId, fnKey, false));
	}

	/** The invocation's output, redacted and bounded; it (and waiting background output) is then gone. */
	take(requestId: string, fnKey: string | undefined): string {
		if (fnKey === undefined) {
			const entry = this.#pending.get(requestId);
			if (!entry) return "";
			fnKey = entry.fnKey;
		}
		const text = this.#withBackground(requestId, fnKey, true);
		this.#pending.delete(requestId);
		return this.#finish(fnKey, text);
	}

	#withBackground(requestId: string, fnKey: string, consume: boolean): string {
		const entry = this.#pending.get(requestId);
		const own = entry?.text ?? "";
		const background = this.#background.get(fnKey) ?? "";
		if (background === "") return own;
		if (consume) {
			this.#background.delete(fnKey);
			// peek() showed it to the invocation; the audit record keeps it with the same one.
			if (entry) entry.text = background + own;
		}
		return background + own;
	}

	#finish(fnKey: string, text: string): string {
		if (text === "") return "";
		return boundOutput(redact(text, this.#secrets.get(fnKey) ?? []));
	}

	#evict(): void {
		const now = this.#now();
		for (const [id, e] of this.#pending) {
			if (this.#pending.size < MAX_PENDING && now - e.at < PENDING_TTL_MS)
				break;
			this.#pending.delete(id);
		}
	}
}

/** Memory bound while collecting: a little over the stored bound, so the cut can be marked. */
function keepHead(text: string): string {
	const max = 2 * MAX_INVOCATION_LOG_BYTES;
	return text.length > max ? text.slice(0, max) : text;
}

function keepTail(text: string, max: number): string {
	return text.length > max ? text.slice(text.length - max) : text;
}
