/**
 * A pool of warm instances running one function: min/max instances, per-instance concurrency,
 * a bounded FIFO wait queue, a timeout per invocation, heap limits, crash isolation (a dead or
 * killed instance is replaced) and idle retirement. An instance is a worker thread (isolation
 * `none`, the default here) or the function's own process, sandboxed or not
 * (`process-instance.ts`): the pool only sees {@link Instance}.
 */
import { Worker } from "node:worker_threads";
import { RuntimeError } from "./types.ts";
import type {
	DoneMessage,
	HostMessage,
	InvokeMessage,
	WorkerBoot,
	WorkerMessage,
} from "./worker-protocol.ts";

export interface WorkerPoolOptions {
	readonly name: string;
	readonly boot: WorkerBoot;
	/** The worker's whole `process.env` (the gateway's own environment is not inherited). */
	readonly env: Record<string, string>;
	readonly memoryMb: number;
	readonly timeoutMs: number;
	readonly minInstances: number;
	readonly maxInstances: number;
	readonly perInstanceConcurrency: number;
	readonly maxQueue: number;
	/** An idle worker above `minInstances` is retired after this long. */
	readonly idleTimeoutMs: number;
	/**
	 * An instance older than this takes no new invocation and is retired once its last one ends
	 * (the renewal of the credentials it was started with, role-credentials.ts). Default: none.
	 */
	readonly maxInstanceAgeMs?: number;
	/** Output written outside any invocation (module init, timers, raw stdout/stderr). */
	readonly onBackgroundLog?: (text: string) => void;
	/** How instances start (default: worker threads from `boot`, `env` and `memoryMb`). */
	readonly instances?: InstanceFactory;
}

/** One running instance as the pool drives it. */
export interface Instance {
	/** Sends one batch of messages (one per event-loop turn, see `#dispatch`). */
	post(batch: HostMessage[]): void;
	/** Ends the instance at once; resolves when it is gone. */
	terminate(): Promise<unknown>;
}

/** What an instance reports to its pool. */
export interface InstanceEvents {
	/** A batch of messages from the instance. */
	message(batch: WorkerMessage[]): void;
	/** The instance ended by itself; `why` completes "function NAME …", `detail` is for the owner. */
	exit(why: string, detail?: string): void;
	/** Raw output of the instance (stdout/stderr). */
	log(text: string): void;
}

export type InstanceFactory = (events: InstanceEvents) => Instance;

/** Worker threads inside the gateway's process (isolation `none`). */
export function threadInstances(o: {
	readonly boot: WorkerBoot;
	readonly env: Record<string, string>;
	readonly memoryMb: number;
}): InstanceFactory {
	return (events) => {
		const worker = new Worker(WORKER_SCRIPT, {
			workerData: o.boot,
			env: o.env,
			resourceLimits: { maxOldGenerationSizeMb: o.memoryMb },
			// Raw stdout/stderr of the function are captured, not mixed into the gateway's own.
			stdout: true,
			stderr: true,
		});
		let lastError: (Error & { code?: string }) | undefined;
		const background = (chunk: Buffer) => events.log(chunk.toString("utf8"));
		worker.stdout.on("data", background);
		worker.stderr.on("data", background);
		// Workers answer in batches (one message per event-loop turn, see function-host.ts).
		worker.on("message", (batch: WorkerMessage[]) => events.message(batch));
		worker.on("error", (err) => {
			lastError = err;
		});
		worker.on("exit", (code) => {
			const err = lastError;
			events.exit(
				err?.code === "ERR_WORKER_OUT_OF_MEMORY"
					? `ran out of memory (memoryMb ${o.memoryMb})`
					: err !== undefined
						? `crashed: ${err.message}`
						: `exited with code ${code} (process.exit in the handler?)`,
				err?.stack,
			);
		});
		return {
			post: (batch) => worker.postMessage(batch),
			terminate: () => worker.terminate(),
		};
	};
}

/** One job for the pool: the event JSON and what the worker needs to build its context. */
export interface PoolJob {
	readonly requestId: string;
	readonly eventJson: string;
	/** See {@link InvokeMessage.eventIsJson}. */
	readonly eventIsJson?: true;
	readonly clientContext?: string;
	readonly signal?: AbortSignal;
	/** Receives the job's response stream, if its handler streams (stream-relay.ts). */
	readonly stream?: StreamSink;
}

/** How a stream's receiver talks back to the instance sending it. */
export interface StreamControl {
	/** The receiver took `bytes` more (the instance may send that much more). */
	ack(bytes: number): void;
	/** Nobody will read the rest: the instance stops the handler's stream. */
	cancel(reason: string): void;
}

/** The receiving end of one job's response stream, fed by the pool. */
export interface StreamSink {
	/** Called once, when the job is handed to an instance. */
	bind(control: StreamControl): void;
	/** Each returns why the instance broke the stream protocol, if it did (its instance ends). */
	start(contentType: string): string | undefined;
	chunk(data: Buffer): string | undefined;
}

export interface PoolStats {
	readonly instances: number;
	readonly ready: number;
	readonly busy: number;
	readonly queued: number;
	/** Workers started since creation (replacements included). */
	readonly started: number;
}

interface Slot {
	instance: Instance | undefined;
	state: "starting" | "ready" | "dead";
	readonly inFlight: Map<number, Pending>;
	idleTimer: NodeJS.Timeout | undefined;
	/** Messages for the instance this event-loop turn, sent to it as one batch. */
	outbox: HostMessage[];
	/** When the instance was started (`Date.now()`), for `maxInstanceAgeMs`. */
	readonly bornAt: number;
	ageTimer: NodeJS.Timeout | undefined;
}

interface Pending {
	readonly id: number;
	readonly job: PoolJob;
	readonly resolve: (done: DoneMessage) => void;
	readonly reject: (err: unknown) => void;
	settled: boolean;
	timer: NodeJS.Timeout | undefined;
	onAbort: (() => void) | undefined;
}

const WORKER_SCRIPT = new URL("./worker-entry.ts", import.meta.url);

export class WorkerPool {
	readonly #o: WorkerPoolOptions;
	readonly #instances: InstanceFactory;
	readonly #slots = new Set<Slot>();
	readonly #queue: Pending[] = [];
	#nextId = 1;
	#started = 0;
	#closing = false;
	#startBroken = false;
	#onDrained: (() => void) | undefined;
	/** Callers of {@link warm} waiting for the next instance to be ready or to fail loading. */
	#warmWaiters: { ok: () => void; fail: (err: RuntimeError) => void }[] = [];

	constructor(options: WorkerPoolOptions) {
		this.#o = options;
		this.#instances = options.instances ?? threadInstances(options);
		for (let i = 0; i < options.minInstances; i++) this.#spawn();
	}

	/** Runs one job; rejects with a {@link RuntimeError} (or the signal's reason when aborted). */
	run(job: PoolJob): Promise<DoneMessage> {
		if (this.#closing) return Promise.reject(closedError(this.#o.name));
		if (job.signal?.aborted) return Promise.reject(job.signal.reason);
		// Admission: everything admitted but unfinished must fit the capacity the pool can reach
		// plus the wait queue, so a burst is cut at exactly max×concurrency+maxQueue.
		const capacity =
			this.#o.maxInstances * this.#o.perInstanceConcurrency + this.#o.maxQueue;
		if (this.#admitted() >= capacity) {
			return Promise.reject(
				new RuntimeError(
					"FUNCTION_QUEUE_FULL",
					`function ${this.#o.name} is at its concurrency limit and its wait queue (${this.#o.maxQueue}) is full`,
				),
			);
		}
		return new Promise((resolve, reject) => {
			const p: Pending = {
				id: this.#nextId++,
				job,
				resolve,
				reject,
				settled: false,
				timer: undefined,
				onAbort: undefined,
			};
			if (job.signal !== undefined) {
				p.onAbort = () => this.#abort(p);
				job.signal.addEventListener("abort", p.onAbort, { once: true });
			}
			this.#queue.push(p);
			this.#pump();
		});
	}

	/**
	 * Resolves once an instance has loaded the handler, starting one when none is ready or
	 * starting; rejects with FUNCTION_START_FAILED and the load error when it cannot. A deploy
	 * calls it before the revision goes live, so code that throws at import is refused there and
	 * not at its first request. The instance stays warm for that first request.
	 */
	warm(): Promise<void> {
		if (this.#closing) return Promise.reject(closedError(this.#o.name));
		const states = [...this.#slots].map((s) => s.state);
		if (states.includes("ready")) return Promise.resolve();
		return new Promise((ok, fail) => {
			this.#warmWaiters.push({ ok, fail });
			if (!states.includes("starting")) this.#spawn();
		});
	}

	stats(): PoolStats {
		let ready = 0;
		let busy = 0;
		for (const s of this.#slots) {
			if (s.state === "ready") ready++;
			busy += s.inFlight.size;
		}
		return {
			instances: this.#slots.size,
			ready,
			busy,
			queued: this.#queue.length,
			started: this.#started,
		};
	}

	/** Stops taking work, lets admitted work finish for up to `graceMs`, then terminates every worker. */
	async close(graceMs: number): Promise<void> {
		this.#closing = true;
		for (const w of this.#warmWaiters.splice(0))
			w.fail(closedError(this.#o.name));
		if (this.#admitted() > 0) {
			let timer: NodeJS.Timeout | undefined;
			await new Promise<void>((done) => {
				this.#onDrained = done;
				timer = setTimeout(done, graceMs);
			});
			clearTimeout(timer);
		}
		for (const p of this.#queue.splice(0))
			this.#settle(p, undefined, closedError(this.#o.name));
		const exits: Promise<unknown>[] = [];
		for (const slot of [...this.#slots])
			exits.push(
				this.#kill(
					slot,
					"FUNCTION_CLOSED",
					`function ${this.#o.name} was closed`,
				),
			);
		await Promise.all(exits);
	}

	#admitted(): number {
		let n = this.#queue.length;
		for (const s of this.#slots) n += s.inFlight.size;
		return n;
	}

	#spawn(): void {
		const o = this.#o;
		this.#started++;
		const slot: Slot = {
			instance: undefined,
			state: "starting",
			inFlight: new Map(),
			idleTimer: undefined,
			outbox: [],
			bornAt: Date.now(),
			ageTimer: undefined,
		};
		this.#slots.add(slot);
		if (o.maxInstanceAgeMs !== undefined) {
			slot.ageTimer = setTimeout(
				() => this.#retireIfAged(slot),
				o.maxInstanceAgeMs,
			);
			slot.ageTimer.unref();
		}
		slot.instance = this.#instances({
			message: (batch) => {
				for (const msg of batch) this.#onMessage(slot, msg);
			},
			log: (text) => o.onBackgroundLog?.(text),
			exit: (why, detail) => {
				if (slot.state === "dead") return;
				// Dying before "ready" (process.exit or OOM while the module loads) is a load failure.
				if (slot.state === "starting")
					this.#startFailed(
						slot,
						`the worker ${why.replace(" (process.exit in the handler?)", "")} while loading the handler\n${detail ?? ""}`,
					);
				else
					void this.#kill(
						slot,
						"FUNCTION_CRASHED",
						`function ${o.name} ${why}`,
						detail,
					);
			},
		});
	}

	/** A worker could not load the handler. No automatic restart for minInstances after this: broken code would loop. */
	#startFailed(slot: Slot, detail: string): void {
		this.#startBroken = true;
		const error = () =>
			new RuntimeError(
				"FUNCTION_START_FAILED",
				`function ${this.#o.name} could not load its handler`,
				detail,
			);
		// With no healthy worker left, waiting requests would only wait for the same failure.
		if (![...this.#slots].some((s) => s.state === "ready")) {
			for (const p of this.#queue.splice(0))
				this.#settle(p, undefined, error());
			for (const w of this.#warmWaiters.splice(0)) w.fail(error());
		}
		const e = error();
		void this.#kill(slot, e.code, e.message, detail);
	}

	#onMessage(slot: Slot, msg: WorkerMessage): void {
		switch (msg.type) {
			case "ready":
				slot.state = "ready";
				this.#startBroken = false;
				for (const w of this.#warmWaiters.splice(0)) w.ok();
				this.#pump();
				// Started for a job another worker took: it may retire like any idle one.
				this.#armIdle(slot);
				return;
			case "startFailed":
				this.#startFailed(slot, msg.detail);
				return;
			case "log":
				this.#o.onBackgroundLog?.(msg.text);
				return;
			case "streamStart":
			case "chunk": {
				const problem = this.#onStream(slot, msg);
				if (problem !== undefined)
					void this.#kill(
						slot,
						"FUNCTION_CRASHED",
						`function ${this.#o.name} broke the gateway protocol (${problem})`,
					);
				return;
			}
			case "done": {
				const p = slot.inFlight.get(msg.id);
				if (p === undefined) return;
				slot.inFlight.delete(msg.id);
				clearTimeout(p.timer);
				this.#settle(p, msg, undefined);
				if (this.#retireIfAged(slot)) return;
				this.#armIdle(slot);
				this.#pump();
				return;
			}
		}
	}

	/** Feeds a stream message to its job's sink; returns why it breaks the protocol, if it does. */
	#onStream(
		slot: Slot,
		msg: Extract<WorkerMessage, { type: "streamStart" | "chunk" }>,
	): string | undefined {
		const p = slot.inFlight.get(msg.id);
		// Timed out or killed meanwhile: the job is over, what was still on its way is dropped.
		if (p === undefined) return undefined;
		const sink = p.job.stream;
		if (sink === undefined)
			return "a response stream for a job that takes none";
		if (msg.type === "streamStart")
			return typeof msg.contentType === "string" &&
				/^[\x20-\x7e]{1,256}$/.test(msg.contentType)
				? sink.start(msg.contentType)
				: "a bad stream content type";
		if (typeof msg.data !== "string")
			return "a stream chunk that is not base64";
		return sink.chunk(Buffer.from(msg.data, "base64"));
	}

	/** Queues a message for the instance, sent with this event-loop turn's batch. */
	#send(slot: Slot, msg: HostMessage): void {
		if (slot.state === "dead") return;
		if (slot.outbox.push(msg) === 1) setImmediate(() => this.#flush(slot));
	}

	/** Hands queued jobs to ready workers with room, then starts workers for what is still waiting. */
	#pump(): void {
		const conc = this.#o.perInstanceConcurrency;
		while (this.#queue.length > 0) {
			let best: Slot | undefined;
			for (const s of this.#slots) {
				if (s.state !== "ready" || s.inFlight.size >= conc || this.#aged(s))
					continue;
				if (best === undefined || s.inFlight.size < best.inFlight.size)
					best = s;
			}
			if (best === undefined) break;
			this.#dispatch(best, this.#queue.shift() as Pending);
		}
		let starting = 0;
		for (const s of this.#slots) if (s.state === "starting") starting++;
		let waiting = this.#queue.length - starting * conc;
		while (waiting > 0 && this.#slots.size < this.#o.maxInstances) {
			this.#spawn();
			waiting -= conc;
		}
		if (!this.#closing && !this.#startBroken)
			while (this.#slots.size < this.#o.minInstances) this.#spawn();
		this.#checkDrained();
	}

	#dispatch(slot: Slot, p: Pending): void {
		clearTimeout(slot.idleTimer);
		slot.idleTimer = undefined;
		slot.inFlight.set(p.id, p);
		const deadline = Date.now() + this.#o.timeoutMs;
		p.timer = setTimeout(() => this.#timeout(slot, p), this.#o.timeoutMs);
		const msg: InvokeMessage = {
			type: "invoke",
			id: p.id,
			requestId: p.job.requestId,
			eventJson: p.job.eventJson,
			...(p.job.eventIsJson === true && { eventIsJson: true }),
			deadline,
			...(p.job.clientContext !== undefined && {
				clientContext: p.job.clientContext,
			}),
		};
		p.job.stream?.bind({
			ack: (bytes) => this.#send(slot, { type: "ack", id: p.id, bytes }),
			cancel: (reason) =>
				this.#send(slot, { type: "cancel", id: p.id, reason }),
		});
		// One postMessage per worker per event-loop turn: under load many requests arrive in one
		// turn, and each message costs the main thread far more than the bytes it carries.
		this.#send(slot, msg);
	}

	#flush(slot: Slot): void {
		const batch = slot.outbox;
		slot.outbox = [];
		// A worker killed meanwhile has already failed these invocations.
		if (slot.state !== "dead" && batch.length > 0) slot.instance?.post(batch);
	}

	/** The code may still be spinning, so the whole worker goes; its other jobs crash with it. */
	#timeout(slot: Slot, p: Pending): void {
		slot.inFlight.delete(p.id);
		this.#settle(
			p,
			undefined,
			new RuntimeError(
				"FUNCTION_TIMEOUT",
				`function ${this.#o.name} timed out after ${this.#o.timeoutMs} ms`,
			),
		);
		void this.#kill(
			slot,
			"FUNCTION_CRASHED",
			`function ${this.#o.name}: another invocation on the same instance timed out`,
		);
	}

	/** Removes a worker for good: fails what runs on it, terminates it, and refills the pool. */
	#kill(
		slot: Slot,
		code: RuntimeError["code"],
		message: string,
		detail?: string,
	): Promise<unknown> {
		if (slot.state === "dead") return Promise.resolve();
		slot.state = "dead";
		clearTimeout(slot.idleTimer);
		clearTimeout(slot.ageTimer);
		this.#slots.delete(slot);
		for (const p of slot.inFlight.values()) {
			clearTimeout(p.timer);
			this.#settle(p, undefined, new RuntimeError(code, message, detail));
		}
		slot.inFlight.clear();
		const exited = slot.instance?.terminate() ?? Promise.resolve();
		this.#pump();
		return exited;
	}

	/** Past `maxInstanceAgeMs`: the instance takes nothing new. */
	#aged(slot: Slot): boolean {
		const max = this.#o.maxInstanceAgeMs;
		return max !== undefined && Date.now() - slot.bornAt >= max;
	}

	/** Retires an aged instance with nothing in flight (a fresh one starts as work needs it). */
	#retireIfAged(slot: Slot): boolean {
		if (!this.#aged(slot) || slot.inFlight.size > 0 || slot.state === "dead")
			return false;
		void this.#kill(
			slot,
			"FUNCTION_CLOSED",
			`function ${this.#o.name}: instance retired at its credentials' renewal`,
		);
		return true;
	}

	#armIdle(slot: Slot): void {
		if (slot.inFlight.size > 0 || slot.state !== "ready") return;
		clearTimeout(slot.idleTimer);
		slot.idleTimer = setTimeout(() => {
			if (slot.inFlight.size === 0 && this.#slots.size > this.#o.minInstances) {
				void this.#kill(slot, "FUNCTION_CLOSED", "retired while idle");
			}
		}, this.#o.idleTimeoutMs);
		slot.idleTimer.unref();
	}

	#abort(p: Pending): void {
		const i = this.#queue.indexOf(p);
		if (i !== -1) this.#queue.splice(i, 1);
		// A streaming handler learns it: its stream errors, and it can stop early.
		for (const s of this.#slots)
			if (s.inFlight.get(p.id) === p)
				this.#send(s, {
					type: "cancel",
					id: p.id,
					reason: "the client went away",
				});
		// A running job keeps its worker slot until it ends or times out; only the caller stops waiting.
		this.#settle(p, undefined, p.job.signal?.reason);
		this.#checkDrained();
	}

	/** Answers the caller once. The timeout timer is the caller's to clear: an aborted job keeps it. */
	#settle(p: Pending, done: DoneMessage | undefined, err: unknown): void {
		if (p.settled) return;
		p.settled = true;
		if (p.onAbort !== undefined)
			p.job.signal?.removeEventListener("abort", p.onAbort);
		if (done !== undefined) p.resolve(done);
		else p.reject(err);
	}

	#checkDrained(): void {
		if (this.#onDrained !== undefined && this.#admitted() === 0) {
			const done = this.#onDrained;
			this.#onDrained = undefined;
			done();
		}
	}
}

function closedError(name: string): RuntimeError {
	return new RuntimeError(
		"FUNCTION_CLOSED",
		`function ${name} is shutting down or being replaced; retry`,
	);
}
