/**
 * The code inside each worker thread of a {@link WorkerPool} (isolation `none`): the function
 * host (`function-host.ts`) with the worker's port as its transport. Runs only as a worker
 * (`workerData` is a {@link WorkerBoot}).
 */
import { parentPort, workerData } from "node:worker_threads";
import { startFunctionHost } from "./function-host.ts";
import type {
	HostMessage,
	WorkerBoot,
	WorkerMessage,
} from "./worker-protocol.ts";

if (parentPort === null)
	throw new Error("worker-entry.ts must run as a worker thread");
const port = parentPort;
startFunctionHost(
	workerData as WorkerBoot,
	(batch: WorkerMessage[]) => port.postMessage(batch),
	(onBatch) => port.on("message", (batch: HostMessage[]) => onBatch(batch)),
);
