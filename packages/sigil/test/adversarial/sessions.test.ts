// Adversarial: sessions bound to the identity they were issued to (issue 8, "Sessions outlive
// their user"). A real gateway, credentials from its own STS, every request signed by a peer
// signer (@smithy/signature-v4 for SigV4, `signAcs3` for ACS3), users and roles managed through
// the IAM query API as the AWS CLI would.
//
// AWS's behaviour, which these tests pin down:
// - deleting the user or role ends its sessions; a new principal of the same name is another
//   principal (another `AIDA…`/`AROA…` id) and never inherits them;
// - deactivating or deleting the long-term key that called GetSessionToken does not end the
//   session (IAM User Guide, "Disabling permissions for temporary security credentials"; AWS
//   Security Blog, "What to do if you inadvertently expose an AWS access key": rotating keys
//   does not invalidate temporary credentials, a deny on aws:TokenIssueTime or deleting the user
//   does);
// - "revoke active sessions" is a Deny on `aws:TokenIssueTime` older than a time, which long-term
//   credentials (no token, so no issue time) are not subject to.
import assert from "node:assert/strict";
import { createCipheriv, hkdfSync, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { signAcs3 } from "@sigil/signature";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "../helpers/gateway.ts";
import { callUrl, deployWithPolicy, fnArn, type Keys } from "../helpers/iam.ts";

const MASTER_HEX = "5a".repeat(32);
/** The gateway's identity cache TTL: how long another gateway's write may take to bite. */
const CACHE_TTL_MS = 5_000;
let gw: TestGateway;
let A: string;
/** Every session token handed out here, to prove none reaches a log or an audit record. */
const tokens: string[] = [];

async function query(
	service: "sts" | "iam",
	params: Record<string, string>,
	credentials: Keys,
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

function tag(xml: string, name: string): string {
	const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
	if (!m) throw new Error(`no <${name}> in ${xml}`);
	return m[1] as string;
}

/** An IAM call as root that must succeed. */
async function iam(params: Record<string, string>): Promise<string> {
	const r = await query("iam", params, ROOT_KEY);
	assert.equal(r.status, 200, `${params.Action}: ${r.xml}`);
	return r.xml;
}

async function sts(
	action: "GetSessionToken" | "AssumeRole",
	keys: Keys,
	extra: Record<string, string> = {},
): Promise<Keys> {
	const r = await query("sts", { Action: action, ...extra }, keys);
	assert.equal(r.status, 200, `${action}: ${r.xml}`);
	const creds = {
		accessKeyId: tag(r.xml, "AccessKeyId"),
		secretAccessKey: tag(r.xml, "SecretAccessKey"),
		sessionToken: tag(r.xml, "SessionToken"),
	};
	tokens.push(creds.sessionToken);
	return creds;
}

const policy = (statements: unknown[]) =>
	JSON.stringify({ Version: "2012-10-17", Statement: statements });
const invokeApi = () =>
	policy([
		{
			Effect: "Allow",
			Action: "lambda:InvokeFunctionUrl",
			Resource: [fnArn(A, "api"), fnArn(A, "fc")],
		},
	]);
const everything = policy([{ Effect: "Allow", Action: "*", Resource: "*" }]);
const revokeOlderThan = (iso: string) =>
	policy([
		{
			Effect: "Deny",
			Action: "*",
			Resource: "*",
			Condition: { DateLessThan: { "aws:TokenIssueTime": iso } },
		},
	]);

/** A user with an inline policy and one access key, through the IAM query API. */
async function newUser(name: string, document: string) {
	const created = await iam({ Action: "CreateUser", UserName: name });
	await iam({
		Action: "PutUserPolicy",
		UserName: name,
		PolicyName: "p",
		PolicyDocument: document,
	});
	const key = await iam({ Action: "CreateAccessKey", UserName: name });
	return {
		userId: tag(created, "UserId"),
		arn: tag(created, "Arn"),
		keys: {
			accessKeyId: tag(key, "AccessKeyId"),
			secretAccessKey: tag(key, "SecretAccessKey"),
		},
	};
}

/** Deletes a user the way AWS requires it: policies and keys first (no DeleteConflict). */
async function deleteUser(name: string, accessKeyIds: string[]) {
	await iam({ Action: "DeleteUserPolicy", UserName: name, PolicyName: "p" });
	for (const id of accessKeyIds)
		await iam({ Action: "DeleteAccessKey", UserName: name, AccessKeyId: id });
	await iam({ Action: "DeleteUser", UserName: name });
}

async function newRole(name: string, trustedArn: string, document: string) {
	const created = await iam({
		Action: "CreateRole",
		RoleName: name,
		AssumeRolePolicyDocument: policy([
			{
				Effect: "Allow",
				Principal: { AWS: trustedArn },
				Action: "sts:AssumeRole",
			},
		]),
	});
	await iam({
		Action: "PutRolePolicy",
		RoleName: name,
		PolicyName: "p",
		PolicyDocument: document,
	});
	return { roleId: tag(created, "RoleId") };
}

/** Who the credentials are, or the query-protocol error code. */
async function whoAmI(keys: Keys): Promise<{ arn?: string; code?: string }> {
	const r = await query("sts", { Action: "GetCallerIdentity" }, keys);
	if (r.status === 200) return { arn: tag(r.xml, "Arn") };
	return { code: tag(r.xml, "Code") };
}

/** A GET of the `fc` trigger signed with ACS3 and the session's x-acs-security-token. */
async function acs3Call(keys: Keys): Promise<Response> {
	const s = signAcs3({
		method: "GET",
		target: "/function/fc/",
		headers: { host: new URL(gw.url).host },
		accessKeyId: keys.accessKeyId,
		accessKeySecret: keys.secretAccessKey,
		securityToken: keys.sessionToken as string,
		now: Date.now(),
	});
	const headers: Record<string, string> = { ...s.headers };
	delete headers.host;
	return fetch(`${gw.url}/function/fc/`, { headers });
}

/** Asserts the session is refused everywhere as AWS refuses an invalid token. */
async function assertRefused(keys: Keys, why: string) {
	assert.deepEqual(
		await whoAmI(keys),
		{ code: "InvalidClientTokenId" },
		`${why}: STS`,
	);
	const r = await query("sts", { Action: "GetCallerIdentity" }, keys);
	assert.equal(
		tag(r.xml, "Message"),
		"The security token included in the request is invalid.",
	);
	const url = await callUrl(gw, "api", keys);
	assert.equal(url.status, 403, `${why}: function URL`);
	assert.equal(
		url.headers.get("x-amzn-errortype"),
		"UnrecognizedClientException",
	);
	assert.deepEqual(await url.json(), {
		message: "The security token included in the request is invalid.",
	});
	const fc = await acs3Call(keys);
	assert.equal(fc.status, 403, `${why}: ACS3`);
	const body = (await fc.json()) as { ErrorCode?: string };
	assert.equal(body.ErrorCode, "InvalidSecurityToken", `${why}: ACS3 code`);
}

async function assertInvokes(keys: Keys, why: string) {
	const url = await callUrl(gw, "api", keys);
	assert.equal(url.status, 200, `${why}: ${await url.clone().text()}`);
	assert.equal(await url.text(), "ok");
}

before(async () => {
	gw = await startTestGateway({ env: { SIGIL_MASTER_KEY: MASTER_HEX } });
	A = gw.gateway.rootAccountId;
	await deployWithPolicy(
		gw,
		"api",
		{ auth: "aws_iam", services: ["lambda"] },
		null,
	);
	// Anyone in the account whose identity policy allows it may call the ACS3 trigger.
	await deployWithPolicy(gw, "fc", { auth: "acs3" }, null);
});

after(async () => {
	// No session token in any log line or audit record of the run.
	await gw.gateway.store.audit.flush();
	const { records } = await gw.gateway.store.audit.query({
		accountId: A,
		limit: 1000,
	});
	const audit = JSON.stringify(records);
	const logs = gw.logs.join("\n");
	for (const t of tokens) {
		assert.ok(!logs.includes(t), "a session token reached the gateway log");
		assert.ok(!audit.includes(t), "a session token reached the audit log");
	}
	await gw.stop();
});

describe("GetSessionToken sessions end with their user", () => {
	test("temp → session works; its key deleted → still works (AWS); temp deleted → refused; a new temp never inherits it", async () => {
		const temp = await newUser("temp", invokeApi());
		const session = await sts("GetSessionToken", temp.keys, {
			DurationSeconds: "900",
		});
		assert.deepEqual(await whoAmI(session), { arn: temp.arn });
		await assertInvokes(session, "temp's session");
		const fc = await acs3Call(session);
		assert.equal(fc.status, 200, await fc.text());

		// AWS: the session outlives the long-term key that asked for it.
		await iam({
			Action: "DeleteAccessKey",
			UserName: "temp",
			AccessKeyId: temp.keys.accessKeyId,
		});
		await assertInvokes(session, "after its source key is deleted");

		await deleteUser("temp", []);
		await assertRefused(session, "temp deleted");
		// The caller hears "invalid"; the account's own audit log says why.
		await gw.gateway.store.audit.flush();
		const { records } = await gw.gateway.store.audit.query({
			accountId: A,
			limit: 50,
		});
		assert.ok(
			records.some(
				(r) =>
					r.accessKeyId === session.accessKeyId &&
					JSON.stringify(r.detail).includes(temp.userId) &&
					JSON.stringify(r.detail).includes("no longer exists"),
			),
			"the refusal and its reason are in the owner's audit log",
		);

		// A namesake with broader permissions is another principal.
		const again = await newUser("temp", everything);
		assert.notEqual(again.userId, temp.userId);
		await assertRefused(session, "temp re-created with Allow *");
		// The new temp's own sessions work, at once (no stale "absent" answer in the way).
		const fresh = await sts("GetSessionToken", again.keys);
		await assertInvokes(fresh, "the new temp's own session");
		assert.deepEqual(await whoAmI(fresh), { arn: again.arn });
		await deleteUser("temp", [again.keys.accessKeyId]);
		await assertRefused(fresh, "the new temp deleted");
	});

	test("a deactivated source key does not end the session either (AWS)", async () => {
		const u = await newUser("keyoff", invokeApi());
		const session = await sts("GetSessionToken", u.keys);
		await iam({
			Action: "UpdateAccessKey",
			UserName: "keyoff",
			AccessKeyId: u.keys.accessKeyId,
			Status: "Inactive",
		});
		const direct = await callUrl(gw, "api", u.keys);
		assert.equal(direct.status, 403, "the inactive key itself is refused");
		await direct.arrayBuffer();
		await assertInvokes(session, "session of an inactive key");
		await deleteUser("keyoff", [u.keys.accessKeyId]);
		await assertRefused(session, "keyoff deleted");
	});
});

describe("AssumeRole sessions end with their role", () => {
	test("role deleted → its session refused; re-created with Allow * → still refused; new sessions work", async () => {
		const assumer = await newUser(
			"assumer",
			policy([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }]),
		);
		const roleArn = `arn:aws:iam::${A}:role/ops`;
		const role = await newRole("ops", assumer.arn, invokeApi());
		const session = await sts("AssumeRole", assumer.keys, {
			RoleArn: roleArn,
			RoleSessionName: "s1",
		});
		await assertInvokes(session, "the role session");
		assert.deepEqual(await whoAmI(session), {
			arn: `arn:aws:sts::${A}:assumed-role/ops/s1`,
		});

		// Sigil has no DeleteRole yet: delete in the store, as another gateway's delete would
		// look to this one, so the bound is the identity cache's TTL.
		await gw.gateway.store.roles.delete(A, "ops");
		const deadline = Date.now() + CACHE_TTL_MS + 2_000;
		while ((await whoAmI(session)).code === undefined) {
			assert.ok(
				Date.now() < deadline,
				"a deleted role's session still works past the cache TTL",
			);
			await sleep(250);
		}
		await assertRefused(session, "role deleted");

		const again = await newRole("ops", assumer.arn, everything);
		assert.notEqual(again.roleId, role.roleId);
		await assertRefused(session, "role re-created with Allow *");
		const fresh = await sts("AssumeRole", assumer.keys, {
			RoleArn: roleArn,
			RoleSessionName: "s1",
		});
		await assertInvokes(fresh, "a session of the new role");
	});
});

describe("aws:TokenIssueTime: revoking active sessions the AWS way", () => {
	test("a role's AWSRevokeOlderSessions denies sessions issued before the time, not after", async () => {
		const assumer = await newUser(
			"revoker",
			policy([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }]),
		);
		const roleArn = `arn:aws:iam::${A}:role/rev`;
		await newRole("rev", assumer.arn, invokeApi());
		const old = await sts("AssumeRole", assumer.keys, {
			RoleArn: roleArn,
			RoleSessionName: "old",
		});
		await assertInvokes(old, "before the revocation");
		await sleep(20);
		const cutoff = new Date().toISOString();
		await sleep(20);
		await iam({
			Action: "PutRolePolicy",
			RoleName: "rev",
			PolicyName: "AWSRevokeOlderSessions",
			PolicyDocument: revokeOlderThan(cutoff),
		});
		const denied = await callUrl(gw, "api", old);
		assert.equal(denied.status, 403, "a session issued before the cutoff");
		assert.equal(
			denied.headers.get("x-amzn-errortype"),
			"AccessDeniedException",
			"an explicit deny, not a bad token",
		);
		await denied.arrayBuffer();
		const fresh = await sts("AssumeRole", assumer.keys, {
			RoleArn: roleArn,
			RoleSessionName: "new",
		});
		await assertInvokes(fresh, "a session issued after the cutoff");
	});

	test("on a user: older GetSessionToken sessions denied, newer ones and the long-term key not", async () => {
		const u = await newUser("revu", invokeApi());
		const old = await sts("GetSessionToken", u.keys);
		await assertInvokes(old, "before the revocation");
		await sleep(20);
		const cutoff = new Date().toISOString();
		await sleep(20);
		await iam({
			Action: "PutUserPolicy",
			UserName: "revu",
			PolicyName: "revoke",
			PolicyDocument: revokeOlderThan(cutoff),
		});
		const denied = await callUrl(gw, "api", old);
		assert.equal(denied.status, 403, "a session issued before the cutoff");
		await denied.arrayBuffer();
		await assertInvokes(await sts("GetSessionToken", u.keys), "a newer one");
		// Long-term credentials carry no token, so the key is absent and the Deny does not apply.
		await assertInvokes(u.keys, "the long-term key");
	});
});

describe("tokens in the old format", () => {
	test("a well-sealed SGL1 token (minted before sessions were bound) is refused cleanly", async () => {
		// The previous format, reproduced from its documentation: AES-256-GCM under
		// HKDF(master, "sigil-sts", "session-token-seal-v1"), AAD "SGL1", claims without the
		// principal's unique id.
		const master = Buffer.from(MASTER_HEX, "hex");
		const key = Buffer.from(
			hkdfSync("sha256", master, "sigil-sts", "session-token-seal-v1", 32),
		);
		const accessKeyId = "ASIAAAAAAAAAAAAAAAAA";
		const body = {
			accountId: A,
			arn: `arn:aws:iam::${A}:root`,
			userId: A,
			type: "Account",
			expiresAt: Date.now() + 600_000,
			accessKeyId,
			issuedAt: Date.now(),
			n: randomBytes(16).toString("base64url"),
		};
		const iv = randomBytes(12);
		const cipher = createCipheriv("aes-256-gcm", key, iv);
		cipher.setAAD(Buffer.from("SGL1"));
		const sealed = Buffer.concat([
			iv,
			cipher.update(JSON.stringify(body)),
			cipher.final(),
			cipher.getAuthTag(),
		]);
		const keys = {
			accessKeyId,
			// Whatever the secret: the token must be refused before the signature matters.
			secretAccessKey: "x".repeat(40),
			sessionToken: `SGL1${sealed.toString("base64url")}`,
		};
		tokens.push(keys.sessionToken);
		assert.deepEqual(await whoAmI(keys), { code: "InvalidClientTokenId" });
		const url = await callUrl(gw, "api", keys);
		assert.equal(url.status, 403);
		assert.equal(
			url.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
		await url.arrayBuffer();
		// And the gateway is still serving.
		assert.deepEqual(await whoAmI(ROOT_KEY), {
			arn: `arn:aws:iam::${A}:root`,
		});
	});
});
