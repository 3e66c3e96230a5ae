/**
 * The first code of a Node function's own process (isolation `sandbox` or `process`): the
 * function host (`function-host.ts`) speaking length-prefixed frames on fd 3, a pipe to the
 * gateway. The first frame is the boot description; every later one a batch of invocations.
 * stdout and stderr stay the function's raw output (the gateway logs them as background).
 *
 * This file and what it imports run inside the sandbox: they import nothing outside
 * `runtime/` but Node's builtins (the sandbox binds only this folder of Sigil's source).
 */
import { Socket } from "node:net";
import { encodeFrame, FrameReader } from "./frames.ts";
import { startFunctionHost } from "./function-host.ts";
import type { ReceivedMessage, WorkerBoot } from "./worker-protocol.ts";

const PROTOCOL_FD = 3;

const channel = new Socket({ fd: PROTOCOL_FD, readable: true, writable: true });
const reader = new FrameReader();
let onBatch: ((batch: ReceivedMessage[]) => void) | undefined;
let booted = false;
/** Invocations cannot arrive before "ready", but a batch read with the boot frame is kept. */
const early: ReceivedMessage[][] = [];

channel.on("data", (chunk: Buffer) => {
	for (const frame of reader.push(chunk)) {
		if (!booted) {
			booted = true;
			startFunctionHost(
				frame as WorkerBoot,
				(batch) => channel.write(encodeFrame(batch)),
				(listener) => {
					onBatch = listener;
					for (const b of early.splice(0)) listener(b);
				},
			);
		} else if (onBatch !== undefined) onBatch(frame as ReceivedMessage[]);
		else early.push(frame as ReceivedMessage[]);
	}
});
// The gateway closed the pipe (drain, redeploy, shutdown) or went away: nothing more to serve.
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(0));
