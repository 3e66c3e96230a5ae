/**
 * Shared by the iam-*.test.ts files: the AWS CLI driven at a real gateway (as
 * awscli-iam.test.ts drives it), IAM/STS query forms signed with @smithy/signature-v4, and
 * small XML readers.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT_KEY, signedFetch, type TestGateway } from "./helpers/gateway.ts";
import type { Keys } from "./helpers/iam.ts";

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output is read field by field, as a script would.
export type Json = Record<string, any>;

export interface AwsCli {
	/** Runs `aws …`; resolves the parsed JSON output ({} when empty). */
	aws(args: string[], keys?: Keys): Promise<Json>;
	/** Runs `aws …` expecting failure; resolves its stderr. */
	awsFails(args: string[], keys?: Keys): Promise<string>;
	close(): Promise<void>;
}

export async function awsCli(gw: TestGateway): Promise<AwsCli> {
	const dir = await mkdtemp(join(tmpdir(), "sigil-iam-cli-"));
	const env = (keys: Keys): NodeJS.ProcessEnv => ({
		PATH: process.env.PATH,
		HOME: dir,
		AWS_ACCESS_KEY_ID: keys.accessKeyId,
		AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
		...(keys.sessionToken && { AWS_SESSION_TOKEN: keys.sessionToken }),
		AWS_DEFAULT_REGION: "us-east-1",
		AWS_CONFIG_FILE: join(dir, "none"),
		AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
		AWS_MAX_ATTEMPTS: "1",
	});
	const exec = (args: string[], keys: Keys) =>
		run("aws", [...args, "--endpoint-url", gw.url, "--output", "json"], {
			env: env(keys),
			timeout: 30_000,
		});
	return {
		async aws(args, keys = ROOT_KEY) {
			const { stdout } = await exec(args, keys);
			return stdout.trim() ? (JSON.parse(stdout) as Json) : {};
		},
		async awsFails(args, keys = ROOT_KEY) {
			try {
				await exec(args, keys);
			} catch (err) {
				return (err as { stderr: string }).stderr;
			}
			throw new Error(`aws ${args.join(" ")} succeeded`);
		},
		close: () => rm(dir, { recursive: true, force: true }),
	};
}

/** A query-protocol call (form POST to `/`) signed for `service`. */
export async function query(
	gw: TestGateway,
	service: "sts" | "iam",
	params: Record<string, string>,
	credentials: Keys = ROOT_KEY,
): Promise<{ status: number; xml: string }> {
	const res = await signedFetch(gw.url, "POST", "/", {
		service,
		credentials,
		body: new URLSearchParams({
			Version: service === "sts" ? "2011-06-15" : "2010-05-08",
			...params,
		}).toString(),
		headers: { "content-type": "application/x-www-form-urlencoded" },
	});
	return { status: res.status, xml: await res.text() };
}

/** An IAM call that must succeed; resolves the XML. */
export async function iamOk(
	gw: TestGateway,
	params: Record<string, string>,
	credentials: Keys = ROOT_KEY,
): Promise<string> {
	const r = await query(gw, "iam", params, credentials);
	if (r.status !== 200)
		throw new Error(`${params.Action} → ${r.status} ${r.xml}`);
	return r.xml;
}

export function tag(xml: string, name: string): string {
	const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
	if (!m) throw new Error(`no <${name}> in ${xml}`);
	return m[1] as string;
}

export function credentialsOf(xml: string): Keys {
	return {
		accessKeyId: tag(xml, "AccessKeyId"),
		secretAccessKey: tag(xml, "SecretAccessKey"),
		sessionToken: tag(xml, "SessionToken"),
	};
}

export const doc = (statements: unknown[]) =>
	JSON.stringify({ Version: "2012-10-17", Statement: statements });

export const trustPolicy = (principal: unknown) =>
	doc([{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }]);
