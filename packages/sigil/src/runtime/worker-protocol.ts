/** Messages between a {@link WorkerPool} and its worker threads (`worker-entry.ts`). */

/** `workerData` of each worker: what to load and how to describe the function to it. */
export interface WorkerBoot {
	readonly codeDir: string;
	readonly handler: string;
	readonly functionName: string;
	readonly memoryMb: number;
	readonly invokedFunctionArn?: string;
}

/** One invocation sent to a worker. The event travels as JSON text, as it would over the wire. */
export interface InvokeMessage {
	readonly type: "invoke";
	readonly id: number;
	readonly requestId: string;
	readonly eventJson: string;
	/** Epoch ms when the pool will kill the invocation (for `getRemainingTimeInMillis`). */
	readonly deadline: number;
	readonly clientContext?: string;
}

/** The error shape Lambda reports for an unhandled exception. */
export interface HandlerErrorInfo {
	readonly errorType: string;
	readonly errorMessage: string;
	readonly trace: readonly string[];
}

export type DoneMessage =
	| {
			readonly type: "done";
			readonly id: number;
			readonly ok: true;
			/** The handler's result serialized as JSON (`undefined` → `null`). */
			readonly resultJson: string;
			readonly logs: string;
			/** Lambda's `Max Memory Used` as the instance measured it. */
			readonly memoryUsedMb?: number;
	  }
	| {
			readonly type: "done";
			readonly id: number;
			readonly ok: false;
			readonly error: HandlerErrorInfo;
			readonly logs: string;
			/** Lambda's `Max Memory Used` as the instance measured it. */
			readonly memoryUsedMb?: number;
	  };

export type WorkerMessage =
	| { readonly type: "ready" }
	| { readonly type: "startFailed"; readonly detail: string }
	| DoneMessage
	/** Output written outside any invocation (module init, timers, unhandled rejections). */
	| { readonly type: "log"; readonly text: string };
