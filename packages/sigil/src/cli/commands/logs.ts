/**
 * `sigil logs [NAME] [--follow] [--since 10m|TIME|ID] [--request-id ID] [--key AKID] [--outcome ok|failed|CODE] [--json]`: the gateway's
 * records of invocations and authentication decisions, each with the function's output. The key's owner sees here why a signature was refused (the likely
 * cause and the server's canonical request) — what anonymous callers are never told.
 * `--follow` polls the API with `after=<last id>`, as `tail -f` would.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { usageError } from "../cli-error.ts";
import { type CommandSpec, intOption, str } from "../command.ts";
import { cell, isoTime } from "../output.ts";

/** One record as text: a summary line, then the diagnosis and the function's output, indented. */
export function formatRecord(record: Record<string, unknown>): string {
	const duration =
		typeof record.durationMs === "number" ? `${record.durationMs}ms` : "-";
	const head = [
		isoTime(record.time),
		`#${cell(record.id)}`,
		cell(record.function ?? record.functionName),
		cell(record.scheme),
		cell(record.outcome),
		cell(record.status ?? record.httpStatus),
		duration,
		cell(record.accessKeyId ?? record.principal ?? record.principalArn),
		`request ${cell(record.requestId)}`,
	].join("  ");
	const lines = [head];
	const detail = record.detail as Record<string, unknown> | null | undefined;
	const authz = detail?.authorization as Record<string, unknown> | undefined;
	if (authz && typeof authz === "object") {
		lines.push(
			`    auth: ${cell(authz.decision)} ${cell(authz.action)} on ${cell(authz.resource)}${typeof authz.reason === "string" ? ` (${authz.reason})` : ""}`,
		);
		if (typeof authz.explanation === "string")
			lines.push(`    why: ${authz.explanation}`);
	} else if (detail && typeof detail === "object") {
		const diagnosis = (detail.diagnosis ?? detail) as Record<string, unknown>;
		if (typeof detail.message === "string")
			lines.push(`    message: ${detail.message}`);
		if (typeof diagnosis.likelyCause === "string")
			lines.push(`    likely cause: ${diagnosis.likelyCause}`);
		if (diagnosis.details && typeof diagnosis.details === "object")
			for (const [k, v] of Object.entries(
				diagnosis.details as Record<string, unknown>,
			))
				lines.push(`    ${k}: ${cell(v)}`);
		for (const key of ["canonicalRequest", "stringToSign"] as const) {
			const text = diagnosis[key];
			if (typeof text === "string")
				lines.push(
					`    ${key === "canonicalRequest" ? "canonical request" : "string to sign"} (server's):`,
					...text.split("\n").map((l) => `      ${l}`),
				);
		}
	}
	if (typeof record.logs === "string" && record.logs !== "")
		lines.push(
			"    output:",
			...record.logs
				.replace(/\n$/, "")
				.split("\n")
				.map((l) => `      ${l}`),
		);
	return lines.join("\n");
}

const UNIT_MS: Record<string, number> = {
	s: 1000,
	m: 60_000,
	h: 3_600_000,
	d: 86_400_000,
};

/** `--since`: a record id (digits), a duration back from now (`10m`), or an ISO 8601 time. */
export function parseSince(
	value: string | undefined,
	usage: string,
	now = Date.now(),
): { after?: string; time?: string } | undefined {
	if (value === undefined) return undefined;
	if (/^\d+$/.test(value)) return { after: value };
	const d = /^(\d+)([smhd])$/.exec(value);
	if (d)
		return {
			time: new Date(
				now - Number(d[1]) * (UNIT_MS[d[2] as string] as number),
			).toISOString(),
		};
	const t = Date.parse(value);
	if (/^\d{4}-\d\d-\d\d/.test(value) && Number.isFinite(t))
		return { time: new Date(t).toISOString() };
	throw usageError(
		`--since must be a duration (30s, 10m, 2h, 1d), an ISO time (2026-01-01T10:00:00Z) or a record id, got ${JSON.stringify(value)}`,
		usage,
	);
}

export const logsCommand: CommandSpec = {
	name: "logs",
	argIsFunction: true,
	summary:
		"Show invocation and authentication records (with mismatch diagnoses for the key owner)",
	usage:
		"logs [NAME] [--follow] [--since 10m|TIME|ID] [--request-id ID] [--key AKID] [--outcome ok|failed|CODE] [--limit N] [--json]",
	args: ["NAME?"],
	options: {
		follow: {
			type: "boolean",
			short: "f",
			description: "keep polling for new records until Control+C",
		},
		since: {
			type: "string",
			value: "WHEN",
			description:
				"only records from the last 30s/10m/2h/1d, since an ISO time, or after a record id",
		},
		"request-id": {
			type: "string",
			value: "ID",
			description: "only the records of this request",
		},
		key: {
			type: "string",
			value: "AKID",
			description:
				"only the records of this access key (signed with it, or refused naming it)",
		},
		outcome: {
			type: "string",
			value: "OUTCOME",
			description:
				"ok, failed (anything but OK) or an outcome code such as SIGNATURE_MISMATCH",
		},
		limit: {
			type: "string",
			value: "N",
			description: "at most N records per request (default 100)",
		},
		interval: {
			type: "string",
			value: "MS",
			description: "with --follow: poll every MS milliseconds (default 1000)",
		},
	},
	details: "With --json each record is printed as one JSON object per line.",
	examples: [
		"sigil logs hello",
		"sigil logs hello --follow",
		"sigil logs hello --since 10m",
		"sigil logs hello --request-id 3f1c…",
		"sigil logs --outcome failed --key AKIAIOSFODNN7EXAMPLE",
		"sigil logs --since 120 --json",
	],
	async run(ctx) {
		const name = ctx.positionals[0];
		const limit = intOption(ctx.values, "limit", ctx.spec.usage) ?? 100;
		const interval = intOption(ctx.values, "interval", ctx.spec.usage) ?? 1000;
		const client = await ctx.client();
		const since = parseSince(str(ctx.values, "since"), ctx.spec.usage);
		let after = since?.after;
		const requestId = str(ctx.values, "request-id");
		const key = str(ctx.values, "key");
		const outcome = str(ctx.values, "outcome");
		const emit = (records: Record<string, unknown>[]) => {
			for (const r of records)
				ctx.io.stdout.write(
					`${ctx.json ? JSON.stringify(r) : formatRecord(r)}\n`,
				);
		};
		const fetchPage = async () => {
			const page = await client.logs({
				...(name && { function: name }),
				...(after !== undefined && { after }),
				...(since?.time !== undefined && { since: since.time }),
				...(requestId !== undefined && { requestId }),
				...(key !== undefined && { key }),
				...(outcome !== undefined && { outcome }),
				limit,
			});
			emit(page.records);
			const last = page.records.at(-1)?.id;
			if (page.next !== undefined && page.next !== null)
				after = String(page.next);
			else if (last !== undefined) after = String(last);
			return page.records.length;
		};
		if (!ctx.values.follow) {
			const count = await fetchPage();
			if (count === 0 && !ctx.json)
				ctx.io.stderr.write(`no records${name ? ` for ${name}` : ""} yet\n`);
			return 0;
		}
		let stopped = false;
		const stop = ctx.io.stopSignal().then(() => {
			stopped = true;
		});
		while (!stopped) {
			// Drain whole pages at once, then wait one interval (or until Control+C).
			while ((await fetchPage()) >= limit && !stopped) {}
			await Promise.race([sleep(interval), stop]);
		}
		return 0;
	},
};
