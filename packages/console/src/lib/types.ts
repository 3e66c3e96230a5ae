/** The shapes of control-plane answers the console reads (docs/control-plane.md). */
export interface TriggerConfig {
	auth: string;
	services?: string[];
	secrets?: string[];
	header?: string;
	algorithms?: string[];
	cors?: {
		allowOrigins?: string[];
		allowMethods?: string[];
		allowHeaders?: string[];
		exposeHeaders?: string[];
		allowCredentials?: boolean;
		maxAge?: number;
	};
	maxBodyBytes?: number;
}

export interface FunctionView {
	name: string;
	arn: string;
	runtime: string;
	auth: string;
	url: string;
	revision: number | string;
	codeSha256: string;
	codeSize: number;
	/** Warm instances right now; null for runtimes that keep none (fork per request, http). */
	instances?: {
		instances: number;
		ready: number;
		busy: number;
		queued: number;
		started: number;
	} | null;
	config: {
		runtime: string;
		timeout?: string | number;
		memory?: number;
		concurrency?: {
			min?: number;
			max?: number;
			perInstance?: number;
			queue?: number;
		};
		reservedConcurrency?: number;
		network?: string;
		description?: string;
		trigger?: TriggerConfig;
	};
	createdAt?: string;
	updatedAt?: string;
}

export interface Diagnosis {
	canonicalRequest?: string;
	stringToSign?: string;
	likelyCause?: string;
	details?: Record<string, string | number>;
}

export interface LogRecord {
	id: number;
	requestId: string;
	time: string;
	function: string | null;
	principal: string | null;
	accessKeyId: string | null;
	scheme: string;
	outcome: string;
	status: number;
	durationMs: number;
	detail: {
		diagnosis?: Diagnosis;
		message?: string;
		authorization?: {
			action?: string;
			resource?: string;
			decision?: string;
			reason?: string;
			explanation?: string;
		};
	} | null;
	logs: string;
}

export interface LogPage {
	records: LogRecord[];
	next: number | null;
}

export interface Job {
	id: string;
	function: string;
	kind: string;
	status: string;
	attempts: number;
	maxAttempts: number;
	nextAttemptAt: string | null;
	lastError: string | null;
	callbackUrl: string | null;
	callback: {
		outcome: string;
		target: string;
		address: string | null;
		httpStatus: number | null;
		attempts: number;
		error: string | null;
		at: string;
	} | null;
	createdAt: string;
	updatedAt: string;
	payload?: string;
	result?: string | null;
}

export interface PolicyStatement {
	Sid?: string;
	Effect?: string;
	Principal?: unknown;
	Action?: unknown;
	Resource?: unknown;
	Condition?: unknown;
}

export interface SimulationResult {
	allowed: boolean;
	decision: string;
	reason: string;
	crossAccount: boolean;
	matched: unknown;
	decidedBy?: unknown;
	explanation: string;
}

export interface DebugAnswer {
	scheme: string;
	form?: string;
	accessKeyId?: string | null;
	outcome: "valid" | "mismatch" | "refused";
	code: string;
	message: string;
	canonicalRequest: string | null;
	stringToSign: string | null;
	likelyCause: { code: string; text: string } | null;
	differences:
		| {
				in: string;
				line: number;
				part: string;
				client: string | null;
				gateway: string | null;
		  }[]
		| null;
	details?: Record<string, unknown>;
}
