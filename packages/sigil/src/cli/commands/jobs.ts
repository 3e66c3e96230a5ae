/**
 * `sigil jobs [NAME]` and `sigil job ID`: the durable asynchronous invocations of the account
 * (OpenFaaS `/async-function`, Lambda `Event`, InvokeAsync) — queued, running, succeeded, failed
 * or dead with their last error.
 */
import { usageError } from "../cli-error.ts";
import type { CommandSpec } from "../command.ts";
import { cell, isoTime, table } from "../output.ts";

const STATUSES = ["queued", "running", "succeeded", "failed", "dead"];

export const jobsCommand: CommandSpec = {
	name: "jobs",
	argIsFunction: true,
	summary:
		"List asynchronous invocations (queued, running, succeeded, failed, dead)",
	usage: "jobs [NAME] [--status STATUS | --dead] [--limit N] [--json]",
	args: ["NAME?"],
	options: {
		status: {
			type: "string",
			value: "STATUS",
			description: `only jobs in this state (${STATUSES.join(", ")})`,
		},
		dead: {
			type: "boolean",
			description:
				"only dead-lettered jobs (attempts spent), as the queue keeps them (the dead-letter stream on NATS)",
		},
		limit: {
			type: "string",
			value: "N",
			description: "at most N jobs (default 100, at most 1000)",
		},
	},
	examples: [
		"sigil jobs",
		"sigil jobs resize --status dead",
		"sigil jobs --dead",
	],
	async run(ctx) {
		if (ctx.values.dead && ctx.values.status !== undefined)
			throw usageError(
				"--dead is --status dead: give one of them",
				ctx.spec.usage,
			);
		const status = ctx.values.dead ? "dead" : ctx.values.status;
		if (typeof status === "string" && !STATUSES.includes(status))
			throw usageError(
				`--status must be one of ${STATUSES.join(", ")}`,
				ctx.spec.usage,
			);
		const limit = ctx.values.limit;
		if (
			limit !== undefined &&
			(typeof limit !== "string" || !/^\d+$/.test(limit))
		)
			throw usageError("--limit must be a whole number", ctx.spec.usage);
		const q = new URLSearchParams();
		if (ctx.positionals[0]) q.set("function", ctx.positionals[0]);
		if (typeof status === "string") q.set("status", status);
		if (typeof limit === "string") q.set("limit", limit);
		const client = await ctx.client();
		const answer = await client.request<{ jobs: Record<string, unknown>[] }>(
			"GET",
			`/jobs${q.size ? `?${q}` : ""}`,
		);
		if (ctx.json) {
			ctx.printJson(answer);
			return 0;
		}
		ctx.print(
			table(
				["ID", "FUNCTION", "STATUS", "ATTEMPTS", "CREATED", "LAST ERROR"],
				answer.jobs.map((j) => [
					cell(j.id),
					cell(j.function),
					cell(j.status),
					`${cell(j.attempts)}/${cell(j.maxAttempts)}`,
					isoTime(j.createdAt),
					cell(j.lastError),
				]),
			),
		);
		return 0;
	},
};

export const jobCommand: CommandSpec = {
	name: "job",
	summary: "Show one asynchronous invocation with its payload and result",
	usage: "job ID [--json]",
	args: ["ID"],
	options: {},
	async run(ctx) {
		const id = ctx.positionals[0] as string;
		const client = await ctx.client();
		const answer = await client.request<{ job: Record<string, unknown> }>(
			"GET",
			`/jobs/${encodeURIComponent(id)}`,
		);
		if (ctx.json) {
			ctx.printJson(answer);
			return 0;
		}
		const { job } = answer;
		const text = (b64: unknown) =>
			typeof b64 === "string"
				? Buffer.from(b64, "base64").toString("utf8")
				: "";
		ctx.print(
			[
				`ID:        ${cell(job.id)}`,
				`Function:  ${cell(job.function)} (${cell(job.kind)})`,
				`Status:    ${cell(job.status)} after ${cell(job.attempts)} of ${cell(job.maxAttempts)} attempts`,
				`Created:   ${isoTime(job.createdAt)}`,
				`Updated:   ${isoTime(job.updatedAt)}`,
				...(job.lastError ? [`Error:     ${cell(job.lastError)}`] : []),
				...(job.callbackUrl ? [`Callback:  ${cell(job.callbackUrl)}`] : []),
				...callbackLines(job.callback),
				"",
				"Payload:",
				text(job.payload),
				...(job.result !== null && job.result !== undefined
					? ["", "Result:", text(job.result)]
					: []),
			].join("\n"),
		);
		return 0;
	},
};

/**
 * The callback's outcome as `sigil job` shows it: a refusal (the target is not a public address)
 * or a failure is the reason a receiver never heard of the job, so it is spelled out.
 */
function callbackLines(callback: unknown): string[] {
	if (!callback || typeof callback !== "object") return [];
	const c = callback as Record<string, unknown>;
	const status = c.httpStatus === null ? "" : `, HTTP ${cell(c.httpStatus)}`;
	const where = c.address ? ` via ${cell(c.address)}` : "";
	return [
		`Delivery:  ${cell(c.outcome)} after ${cell(c.attempts)} attempt${c.attempts === 1 ? "" : "s"}${status}${where} (${cell(c.target)}, ${isoTime(c.at)})`,
		...(c.error ? [`           ${cell(c.error)}`] : []),
	];
}
