// `sigil role list|get|delete`, `sigil sts whoami|assume-role|session-token` and `sigil deploy
// --role` (issue 11): the real CLI binary against a real gateway it started (`sigil up`).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RealGateway, runCli, startGateway } from "./cli-real-gateway.ts";

const LAMBDA_TRUST = JSON.stringify({
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			Principal: { Service: "lambda.amazonaws.com" },
			Action: "sts:AssumeRole",
		},
	],
});

let gw: RealGateway;
let account: string;
const ok = async (args: string[], env?: Record<string, string>) => {
	const r = await gw.cli(args, env ? { env } : {});
	assert.equal(r.code, 0, `sigil ${args.join(" ")}\n${r.stdout}${r.stderr}`);
	return r.stdout;
};

before(async () => {
	gw = await startGateway();
	const who = JSON.parse(await ok(["sts", "whoami", "--json"])) as {
		Account: string;
	};
	account = who.Account;
	await ok(["role", "create", "fn-runner", "--trust-policy", LAMBDA_TRUST]);
	await ok([
		"role",
		"create",
		"invoker",
		"--trust-policy",
		JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${account}:root` },
					Action: "sts:AssumeRole",
				},
			],
		}),
	]);
	await writeFile(
		join(gw.root, "caller.mjs"),
		"export const handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID ?? null });",
	);
});
after(() => gw?.stop());

describe("sigil role", () => {
	test("list: every role, and whether Lambda may assume it", async () => {
		const out = await ok(["role", "list"]);
		assert.match(out, /NAME\s+ARN\s+CREATED\s+LAMBDA MAY ASSUME/);
		assert.match(
			out,
			new RegExp(
				`fn-runner\\s+arn:aws:iam::${account}:role/fn-runner\\s+\\S+\\s+yes`,
			),
		);
		assert.match(
			out,
			new RegExp(
				`invoker\\s+arn:aws:iam::${account}:role/invoker\\s+\\S+\\s+no`,
			),
		);
		const json = JSON.parse(await ok(["role", "list", "--json"])) as {
			Roles: { RoleName: string; RoleId: string }[];
		};
		assert.deepEqual(json.Roles.map((r) => r.RoleName).sort(), [
			"fn-runner",
			"invoker",
		]);
		assert.ok(json.Roles.every((r) => r.RoleId.startsWith("AROA")));
	});

	test("get: ARN, id, the trust policy as a document, policies", async () => {
		const json = JSON.parse(
			await ok(["role", "get", "fn-runner", "--json"]),
		) as {
			Role: { Arn: string; AssumeRolePolicyDocument: unknown };
			PolicyNames: string[];
			AttachedPolicyArns: string[];
		};
		assert.equal(json.Role.Arn, `arn:aws:iam::${account}:role/fn-runner`);
		assert.deepEqual(
			json.Role.AssumeRolePolicyDocument,
			JSON.parse(LAMBDA_TRUST),
		);
		assert.deepEqual(json.PolicyNames, []);
		const text = await ok(["role", "get", "fn-runner"]);
		assert.match(text, /a function may use it as its role: yes/);
	});

	test("get of a role that does not exist: IAM's NoSuchEntity, exit 1", async () => {
		const r = await gw.cli(["role", "get", "ghost"]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /ghost cannot be found|NoSuchEntity/);
	});

	test("deploy --role: the function runs with the role's session; a role Lambda may not assume is refused", async () => {
		const arn = `arn:aws:iam::${account}:role/fn-runner`;
		await ok([
			"deploy",
			"--name",
			"caller",
			"--runtime",
			"node",
			"--handler",
			"caller.mjs",
			"--role",
			arn,
		]);
		const described = JSON.parse(
			await ok(["describe", "caller", "--json"]),
		) as Record<string, unknown>;
		assert.match(
			JSON.stringify(described),
			new RegExp(arn.replaceAll("/", "\\/")),
		);
		const invoked = await ok(["invoke", "caller"]);
		assert.match(invoked, /"id":"ASIA/);
		const refused = await gw.cli([
			"deploy",
			"--name",
			"humans",
			"--runtime",
			"node",
			"--handler",
			"caller.mjs",
			"--role",
			`arn:aws:iam::${account}:role/invoker`,
		]);
		assert.notEqual(refused.code, 0);
		assert.match(refused.stderr, /cannot be assumed by Lambda/);
		const malformed = await gw.cli([
			"deploy",
			"--name",
			"bad",
			"--runtime",
			"node",
			"--handler",
			"caller.mjs",
			"--role",
			"fn-runner",
		]);
		assert.equal(malformed.code, 2, malformed.stderr);
		assert.match(malformed.stderr, /role/);
	});
});

describe("sigil sts", () => {
	test("whoami: the root identity, as STS says", async () => {
		const who = JSON.parse(await ok(["sts", "whoami", "--json"])) as {
			Arn: string;
			UserId: string;
		};
		assert.equal(who.Arn, `arn:aws:iam::${account}:root`);
		assert.match(
			await ok(["sts", "whoami"]),
			new RegExp(`^arn:aws:iam::${account}:root\\n`),
		);
	});

	test("assume-role by name: credentials that sign as the session (SIGIL_* environment)", async () => {
		const out = JSON.parse(
			await ok([
				"sts",
				"assume-role",
				"invoker",
				"--session-name",
				"ci",
				"--duration",
				"900",
				"--json",
			]),
		) as {
			Credentials: {
				AccessKeyId: string;
				SecretAccessKey: string;
				SessionToken: string;
				Expiration: string;
			};
			AssumedRoleArn: string;
		};
		assert.equal(
			out.AssumedRoleArn,
			`arn:aws:sts::${account}:assumed-role/invoker/ci`,
		);
		assert.match(out.Credentials.AccessKeyId, /^ASIA/);
		const expiresIn = Date.parse(out.Credentials.Expiration) - Date.now();
		assert.ok(
			expiresIn > 0 && expiresIn <= 900_000,
			out.Credentials.Expiration,
		);
		const who = JSON.parse(
			await ok(["sts", "whoami", "--json"], {
				SIGIL_ACCESS_KEY_ID: out.Credentials.AccessKeyId,
				SIGIL_SECRET_ACCESS_KEY: out.Credentials.SecretAccessKey,
				SIGIL_SESSION_TOKEN: out.Credentials.SessionToken,
			}),
		) as { Arn: string };
		assert.equal(who.Arn, `arn:aws:sts::${account}:assumed-role/invoker/ci`);
	});

	test("assume-role --env: export lines a shell evaluates, for sigil and for AWS tools", async () => {
		const out = await ok([
			"sts",
			"assume-role",
			`arn:aws:iam::${account}:role/invoker`,
			"--session-name",
			"shell",
			"--env",
		]);
		const vars = Object.fromEntries(
			[...out.matchAll(/^export ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
		);
		for (const name of [
			"ACCESS_KEY_ID",
			"SECRET_ACCESS_KEY",
			"SESSION_TOKEN",
		]) {
			assert.ok(vars[`SIGIL_${name}`], out);
			assert.equal(vars[`SIGIL_${name}`], vars[`AWS_${name}`]);
		}
		const who = await runCli(
			["sts", "whoami"],
			{ ...gw.env, ...vars },
			gw.root,
		);
		assert.equal(who.code, 0, who.stderr);
		assert.match(who.stdout, /assumed-role\/invoker\/shell/);
	});

	test("assume-role of a role that trusts only Lambda: AccessDenied for a person", async () => {
		const r = await gw.cli([
			"sts",
			"assume-role",
			"fn-runner",
			"--session-name",
			"me",
		]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /not authorized to perform: sts:AssumeRole/);
	});

	test("assume-role without --session-name is a usage error (exit 2)", async () => {
		const r = await gw.cli(["sts", "assume-role", "invoker"]);
		assert.equal(r.code, 2);
		assert.match(r.stderr, /--session-name is required/);
	});

	test("session-token: credentials of the caller itself", async () => {
		const out = JSON.parse(
			await ok(["sts", "session-token", "--duration", "900", "--json"]),
		) as {
			Credentials: {
				AccessKeyId: string;
				SecretAccessKey: string;
				SessionToken: string;
			};
		};
		const who = JSON.parse(
			await ok(["sts", "whoami", "--json"], {
				SIGIL_ACCESS_KEY_ID: out.Credentials.AccessKeyId,
				SIGIL_SECRET_ACCESS_KEY: out.Credentials.SecretAccessKey,
				SIGIL_SESSION_TOKEN: out.Credentials.SessionToken,
			}),
		) as { Arn: string };
		assert.equal(who.Arn, `arn:aws:iam::${account}:root`);
	});

	test("--help of each new command names its usage", async () => {
		for (const cmd of [
			["role", "list"],
			["role", "get"],
			["role", "delete"],
			["sts", "whoami"],
			["sts", "assume-role"],
			["sts", "session-token"],
		]) {
			const help = await ok([...cmd, "--help"]);
			assert.match(help, new RegExp(`sigil ${cmd.join(" ")}`), help);
		}
	});
});

describe("sigil role delete (last: it ends the role)", () => {
	test("deletes the role and its policies, and names the functions that stop running", async () => {
		const out = await ok(["role", "delete", "fn-runner"]);
		assert.match(
			out,
			new RegExp(`deleted role arn:aws:iam::${account}:role/fn-runner`),
		);
		assert.match(
			out,
			/functions naming it as their role no longer run: caller/,
		);
		const gone = await gw.cli(["role", "get", "fn-runner"]);
		assert.notEqual(gone.code, 0);
		const invoked = await gw.cli(["invoke", "caller"]);
		assert.notEqual(invoked.code, 0);
		assert.match(invoked.stderr, /EXECUTION_ROLE_UNUSABLE|no longer exists/);
	});
});

describe("sigil up --function-url-auth", () => {
	test("a model it does not know is a usage error before anything starts", async () => {
		const r = await runCli(
			["up", "--port", "0", "--function-url-auth", "both"],
			gw.env,
			gw.root,
		);
		assert.equal(r.code, 2);
		assert.match(
			r.stderr,
			/--function-url-auth must be url-only or url-and-invoke/,
		);
	});
});
