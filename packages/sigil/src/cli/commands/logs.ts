/**
 * `sigil logs [NAME] [--follow] [--since ID]`: the gateway's records of invocations and
 * authentication decisions. The key's owner sees here why a signature was refused (the likely
 * cause and the server's canonical request) — what anonymous callers are never told.
 * `--follow` polls the API with `after=<last id>`, as `tail -f` would.
 */
import { setTimeout as sleep } from "node:timers/promises";
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
	if (detail && typeof detail === "object") {
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

export const logsCommand: CommandSpec = {
	name: "logs",
	argIsFunction: true,
	summary:
		"Show invocation and authentication records (with mismatch diagnoses for the key owner)",
	usage: "logs [NAME] [--follow] [--since ID] [--limit N] [--json]",
	args: ["NAME?"],
	options: {
		follow: {
			type: "boolean",
			short: "f",
			description: "keep polling for new records until Control+C",
		},
		since: {
			type: "string",
			value: "ID",
			description: "only records after this record id",
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
		"sigil logs --since 120 --json",
	],
	async run(ctx) {
		const name = ctx.positionals[0];
		const limit = intOption(ctx.values, "limit", ctx.spec.usage) ?? 100;
		const interval = intOption(ctx.values, "interval", ctx.spec.usage) ?? 1000;
		const client = await ctx.client();
		let after = str(ctx.values, "since");
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
