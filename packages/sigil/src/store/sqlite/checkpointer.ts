/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses the threshold, on the committing connection — here, the gateway's main thread — and
 * copies pages with fsyncs: a periodic stall of ~10 ms that set the gateway's p99 latency. With
 * auto-checkpointing off on the main connection, this worker thread checkpoints on its own
 * connection every `intervalMs` (PASSIVE: it never waits on readers or the writer). If the worker
 * fails, the main connection turns auto-checkpointing back on, so the WAL never grows unbounded.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(workerData.path);
db.exec("PRAGMA busy_timeout = 1000");
const checkpoint = (mode) => { try { db.exec("PRAGMA wal_checkpoint(" + mode + ")"); } catch {} };
const timer = setInterval(() => checkpoint("PASSIVE"), workerData.intervalMs);
parentPort.on("message", (msg) => {
	if (msg !== "stop") return;
	clearInterval(timer);
	checkpoint("PASSIVE");
	db.close();
	parentPort.postMessage("stopped");
});
`;

export class Checkpointer {
	readonly #worker: Worker;
	#stopped = false;

	/** @param onFailure called once if the worker dies; the caller restores auto-checkpointing. */
	constructor(
		path: string,
		intervalMs: number,
		onFailure: (err: unknown) => void,
	) {
		this.#worker = new Worker(WORKER_SOURCE, {
			eval: true,
			workerData: { path, intervalMs },
		});
		this.#worker.unref();
		this.#worker.on("error", (err) => {
			if (!this.#stopped) onFailure(err);
		});
		this.#worker.on("exit", (code) => {
			if (!this.#stopped)
				onFailure(new Error(`the checkpoint worker exited with code ${code}`));
		});
	}

	/** Final passive checkpoint, then the worker ends. */
	async stop(): Promise<void> {
		if (this.#stopped) return;
		this.#stopped = true;
		const done = new Promise<void>((resolve) => {
			this.#worker.once("message", () => resolve());
			this.#worker.once("exit", () => resolve());
		});
		this.#worker.postMessage("stop");
		await Promise.race([
			done,
			new Promise((r) => setTimeout(r, 2_000).unref()),
		]);
		await this.#worker.terminate();
	}
}
