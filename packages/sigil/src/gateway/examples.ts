/**
 * `sigil up --examples`: deploys the functions of the examples' stack file into the root account,
 * so a first start has something to call. A shared secret an example's trigger needs is made on
 * first start and reported once, like the root key.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseStackFile } from "../config/stack-file.ts";
import {
	bundleBytes,
	decodeBundle,
	packDirectory,
} from "../functions/bundle.ts";
import type { GatewayContext } from "./context.ts";

export interface ExampleInfo {
	readonly name: string;
	readonly auth: string;
	readonly path: string;
	/** Secrets created for this example on this start: name → value (shown once). */
	readonly createdSecrets?: Readonly<Record<string, string>>;
	/** The secrets its trigger checks, by name. */
	readonly triggerSecrets?: readonly string[];
}

export async function deployExamples(
	dir: string,
	accountId: string,
	ctx: GatewayContext,
): Promise<ExampleInfo[]> {
	const file = join(dir, "sigil.yml");
	const stack = parseStackFile(await readFile(file, "utf8"), file, dir);
	const out: ExampleInfo[] = [];
	for (const fn of stack.functions) {
		const created: Record<string, string> = {};
		const trigger = fn.config.trigger;
		for (const name of [
			...(fn.config.secrets ?? []),
			...(trigger?.secrets ?? []),
		]) {
			if (await ctx.store.secrets.get(accountId, name)) continue;
			const value = randomBytes(24).toString("base64url");
			await ctx.store.secrets.put(accountId, name, Buffer.from(value));
			created[name] = value;
		}
		const code = fn.handlerDir
			? await packDirectory(fn.handlerDir)
			: { files: [] };
		// A restart with unchanged examples keeps their revision instead of redeploying them.
		const existing = await ctx.store.functions.get(accountId, fn.name);
		const unchanged =
			existing?.codeSha256 === bundleBytes(decodeBundle(code)).sha256 &&
			JSON.stringify(existing.config) === JSON.stringify(fn.config);
		if (!unchanged)
			// The operator's own stack file, deployed as the root account's root identity: a
			// `role:` in it is passed by that identity (iam/execution-role.ts).
			await ctx.functions.deploy(accountId, fn.name, fn.config, code, {
				accountId,
				arn: `arn:aws:iam::${accountId}:root`,
				userId: accountId,
				accessKeyId: "",
				scheme: "sigv4",
			});
		out.push({
			name: fn.name,
			auth: trigger?.auth ?? "none",
			path: `/function/${fn.name}`,
			...(Object.keys(created).length && { createdSecrets: created }),
			...(trigger?.secrets && { triggerSecrets: trigger.secrets }),
		});
	}
	return out;
}
