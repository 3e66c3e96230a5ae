/**
 * OpenFaaS asynchronous invocation (`POST /async-function/NAME[/path]`) and the control-plane
 * view of the job queue (`GET /sigil/v1/jobs`, `GET /sigil/v1/jobs/{id}`). The async route
 * authenticates with the function's own trigger, exactly as `/function/NAME` does; the request is
 * then stored whole (less credential headers) and answered 202 with `X-Call-Id`, as OpenFaaS's
 * gateway does. `X-Callback-Url` later receives the function's answer, signed (docs/async.md).
 */
import { asyncOf, checkCallbackUrl } from "../async/index.ts";
import { decodeJobSpec, storableHeaders } from "../async/job-spec.ts";
import { SigilError } from "../errors.ts";
import type { Job, JobStatus } from "../store/types.ts";
import { send, sendJson } from "./respond.ts";
import type { Call, TriggerTarget } from "./route.ts";
import type { AccountTarget, JobTarget } from "./targets.ts";
import { callerOf } from "./trigger.ts";

const STATUSES = new Set<JobStatus>([
	"queued",
	"running",
	"succeeded",
	"failed",
	"dead",
]);

/** `POST /async-function/{name}/*`: enqueue durably, answer 202 with `X-Call-Id`. */
export async function invokeAsyncFunction({
	ex,
	ctx,
	principal,
	target,
}: Call<TriggerTarget>): Promise<void> {
	const { fn } = target;
	const rawCallback = ex.header("x-callback-url");
	let callbackUrl: string | undefined;
	if (rawCallback !== undefined && rawCallback !== "") {
		const checked = checkCallbackUrl(rawCallback);
		if (!checked.ok)
			throw new SigilError(
				"INVALID_CALLBACK_URL",
				`X-Callback-Url is refused: ${checked.reason}`,
			);
		callbackUrl = checked.url;
	}
	const caller = callerOf(principal);
	const job = await asyncOf(ctx).enqueue({
		id: ex.id,
		accountId: fn.accountId,
		functionName: fn.name,
		payload: ex.body,
		spec: {
			kind: "http",
			method: ex.method,
			path: target.path,
			rawQuery: ex.rawQuery,
			rawHeaders: storableHeaders(ex.req.rawHeaders),
			host: ex.header("host") ?? "",
			sourceIp: ex.sourceIp,
			receivedAt: ex.receivedAt,
			...(caller && { caller }),
		},
		...(callbackUrl !== undefined && { callbackUrl }),
	});
	send(ex, 202, Buffer.alloc(0), {
		"x-call-id": job.id,
		"x-start-time": String(ex.receivedAt * 1_000_000),
	});
}

function iso(ms: number | null): string | null {
	return ms === null ? null : new Date(ms).toISOString();
}

/** A job as the API shows it: never the stored request headers, the payload only on `get`. */
export function jobView(job: Job, withData: boolean) {
	const spec = decodeJobSpec(job.headers);
	return {
		id: job.id,
		function: job.functionName,
		kind: spec?.kind ?? "unknown",
		...(spec?.kind === "http" && {
			method: spec.method,
			path: spec.path,
		}),
		status: job.status,
		attempts: job.attempts,
		maxAttempts: job.maxAttempts,
		nextAttemptAt: job.status === "queued" ? iso(job.nextAttemptAt) : null,
		lastError: job.lastError,
		callbackUrl: job.callbackUrl,
		// How the callback went: refused (not a public address), failed or delivered; null before.
		callback: job.callback
			? { ...job.callback, at: iso(job.callback.at) }
			: null,
		createdAt: iso(job.createdAt),
		updatedAt: iso(job.updatedAt),
		...(withData && {
			payload: job.payload.toString("base64"),
			result: job.result === null ? null : job.result.toString("base64"),
		}),
	};
}

/** `GET /sigil/v1/jobs?function=&status=&after=&limit=`: the caller's account's jobs, oldest first. */
export async function listJobs({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const q = new URLSearchParams(ex.rawQuery);
	const status = q.get("status") ?? undefined;
	if (status !== undefined && !STATUSES.has(status as JobStatus))
		throw new SigilError(
			"BAD_REQUEST",
			`status must be one of ${[...STATUSES].join(", ")}`,
		);
	const limitText = q.get("limit");
	const limit = limitText === null ? 100 : Number(limitText);
	if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
		throw new SigilError(
			"BAD_REQUEST",
			"limit must be a whole number from 1 to 1000",
		);
	const fn = q.get("function") ?? undefined;
	const after = q.get("after") ?? undefined;
	const service = asyncOf(ctx);
	// On JetStream the store keeps no job records: dead jobs are read from the dead-letter stream.
	if (status === "dead" && !service.recordsInStore) {
		const dead = (
			await service.dead({
				accountId: target.accountId,
				...(after !== undefined && { after }),
				limit,
			})
		).filter((j) => fn === undefined || j.functionName === fn);
		sendJson(ex, 200, {
			jobs: dead.map((j) => ({
				id: j.id,
				function: j.functionName,
				status: "dead",
				attempts: j.attempts,
				maxAttempts: j.attempts,
				lastError: j.lastError,
				createdAt: iso(j.enqueuedAt),
				updatedAt: iso(j.deadAt),
			})),
			next: dead.length === limit ? (dead.at(-1)?.cursor ?? null) : null,
		});
		return;
	}
	const jobs = await ctx.store.jobs.list({
		accountId: target.accountId,
		...(fn !== undefined && { functionName: fn }),
		...(status !== undefined && { status: status as JobStatus }),
		...(after !== undefined && { after }),
		limit,
	});
	sendJson(ex, 200, {
		jobs: jobs.map((j) => jobView(j, false)),
		next: jobs.length === limit ? (jobs.at(-1)?.id ?? null) : null,
	});
}

/** `GET /sigil/v1/jobs/{id}`: one job of the caller's account, with payload and result. */
export async function getJob({ ex, target }: Call<JobTarget>): Promise<void> {
	const { job } = target;
	// Another account's job is "not found": ids must not reveal what other accounts run.
	if (!job)
		throw new SigilError(
			"JOB_NOT_FOUND",
			`job '${target.id}' does not exist in account ${target.accountId}`,
		);
	sendJson(ex, 200, { job: jobView(job, true) });
}
