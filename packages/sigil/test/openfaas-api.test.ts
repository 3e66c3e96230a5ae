// OpenFaaS's gateway API (issue 11), driven by faas-cli's own requests against a real gateway.
// faas-cli (a Go binary) cannot be installed from the registries here, so each request is
// written out as faas-cli 0.17.0 and 0.18.x send it — read from their source (proxy/deploy.go,
// list.go, describe.go, delete.go, secret.go, client.go; commands/invoke.go):
//   - every /system call: `Authorization: Basic base64(user:password)` from `faas-cli login`,
//     `Content-Type: application/json` when there is a body, `User-Agent: faas-cli/VERSION`,
//     and Go's `Accept-Encoding: gzip`;
//   - deploy: PUT /system/functions with a FunctionDeployment first (`--update` defaults to
//     true) and, after a 404, the same body by POST; 200/201/202 is "Deployed.";
//   - remove: DELETE /system/functions `{"functionName"}`; secret create/update/remove:
//     POST/PUT/DELETE /system/secrets with a Secret (`value`, or `rawValue` from a file);
//   - invoke --sign hmac --key K: `Hmac: sha1=<hex>` up to 0.17.0, `sha256=` from 0.17.1 (so
//     0.18 sends sha256), `Content-Type: text/plain`, no Authorization (invoke never sends it).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { cp, createUser, type Keys, putUserPolicy } from "./helpers/iam.ts";

let gw: TestGateway;

before(async () => {
	gw = await startTestGateway();
});
after(async () => {
	await gw?.stop();
});

type Version = "0.17.0" | "0.18.1";
const VERSIONS: readonly Version[] = ["0.17.0", "0.18.1"];

function basic(keys: Keys): string {
	return `Basic ${Buffer.from(`${keys.accessKeyId}:${keys.secretAccessKey}`).toString("base64")}`;
}

/** The requests faas-cli VERSION makes, logged in with `keys` (`faas-cli login -u AKID`). */
function faasCli(version: Version, keys: Keys = ROOT_KEY) {
	const system = (method: string, path: string, body?: unknown) =>
		fetch(`${gw.url}${path}`, {
			method,
			headers: {
				"User-Agent": `faas-cli/${version}`,
				Authorization: basic(keys),
				"Accept-Encoding": "gzip",
				...(body !== undefined && { "Content-Type": "application/json" }),
			},
			...(body !== undefined && { body: JSON.stringify(body) }),
		});
	return {
		version: () => system("GET", "/system/info"),
		list: () => system("GET", "/system/functions"),
		describe: (name: string) => system("GET", `/system/function/${name}`),
		/** PUT, then POST after a 404: both answers, as DeployFunction sees them. */
		async deploy(body: Record<string, unknown>) {
			const put = await system("PUT", "/system/functions", body);
			if (put.status !== 404) return { put, final: put };
			await put.body?.cancel();
			const post = await system("POST", "/system/functions", body);
			return { put, final: post };
		},
		put: (body: unknown) => system("PUT", "/system/functions", body),
		post: (body: unknown) => system("POST", "/system/functions", body),
		remove: (name: string) =>
			system("DELETE", "/system/functions", { functionName: name }),
		secretCreate: (secret: Record<string, unknown>) =>
			system("POST", "/system/secrets", secret),
		secretUpdate: (secret: Record<string, unknown>) =>
			system("PUT", "/system/secrets", secret),
		secretList: () => system("GET", "/system/secrets"),
		secretRemove: (name: string) =>
			system("DELETE", "/system/secrets", { name }),
		/** `echo -n BODY | faas-cli invoke NAME [--sign hmac --key KEY]`. */
		invoke(name: string, body: string, key?: string) {
			const alg = version === "0.17.0" ? "sha1" : "sha256";
			return fetch(`${gw.url}/function/${name}`, {
				method: "POST",
				headers: {
					"Content-Type": "text/plain",
					"User-Agent": `faas-cli/${version} (openfaas; linux; amd64)`,
					"Accept-Encoding": "gzip",
					...(key !== undefined && {
						Hmac: `${alg}=${createHmac(alg, key).update(body).digest("hex")}`,
					}),
				},
				body,
			});
		},
	};
}

/** `faas-cli deploy --name N --fprocess F --image I`: the FunctionDeployment Go marshals. */
function deployment(
	name: string,
	fprocess: string,
	image = "functions/alpine:latest",
	more: Record<string, unknown> = {},
) {
	return {
		service: name,
		image,
		envProcess: fprocess,
		labels: {},
		annotations: {},
		...more,
	};
}

interface FunctionStatus {
	name: string;
	image: string;
	namespace: string;
	envProcess?: string;
	envVars?: Record<string, string>;
	secrets?: string[];
	labels: Record<string, string>;
	annotations: Record<string, string>;
	limits?: { memory?: string };
	requests?: { memory?: string };
	replicas: number;
	availableReplicas: number;
	createdAt: string;
}

const httpLines = (out: string) =>
	out.split("\n").filter((l) => l.startsWith("Http_"));

describe("faas-cli version / login: /system/info behind basic auth", () => {
	it("answers the gateway's and provider's versions in OpenFaaS's shape", async () => {
		for (const v of VERSIONS) {
			const res = await faasCli(v).version();
			assert.equal(res.status, 200);
			const info = (await res.json()) as {
				provider: {
					provider: string;
					orchestration: string;
					version: { release: string };
				};
				version: { release: string; sha: string };
				arch: string;
			};
			assert.equal(info.provider.provider, "sigil");
			assert.match(info.provider.orchestration, /^sigil/);
			assert.equal(typeof info.version.release, "string");
			assert.ok(info.arch.length > 0);
		}
	});

	it("no credentials, a wrong secret, an unknown key: 401 with a Basic challenge; the password is never logged", async () => {
		const wrong = "not-the-secret-Zq9xW3";
		const attempts = [
			await fetch(`${gw.url}/system/functions`),
			await faasCli("0.18.1", {
				accessKeyId: ROOT_KEY.accessKeyId,
				secretAccessKey: wrong,
			}).list(),
			await faasCli("0.17.0", {
				accessKeyId: "AKIANOSUCHKEY0000001",
				secretAccessKey: wrong,
			}).list(),
			await fetch(`${gw.url}/system/functions`, {
				headers: { Authorization: "Basic !!!" },
			}),
			// SigV4 is not what this API takes: faas-cli never signs.
			await gw.signed("GET", "/system/functions"),
		];
		const bodies: string[] = [];
		for (const res of attempts) {
			assert.equal(res.status, 401);
			assert.match(
				res.headers.get("www-authenticate") ?? "",
				/^Basic realm="[^"]+"/,
			);
			const body = await res.text();
			bodies.push(body);
			assert.ok(!body.includes(wrong));
		}
		// A wrong secret and an unknown key read the same: nothing tells which keys exist.
		const msg = (b: string) => {
			const { code, message } = (
				JSON.parse(b) as { error: { code: string; message: string } }
			).error;
			return { code, message };
		};
		assert.deepEqual(
			{ ...msg(bodies[1] as string) },
			{ ...msg(bodies[2] as string) },
		);
		assert.equal(msg(bodies[1] as string).code, "SIGNATURE_MISMATCH");
		assert.equal(msg(bodies[0] as string).code, "SIGNATURE_REQUIRED");
		// The owner's log says why, and never holds the password.
		const { records } = await cp<{
			records: { outcome: string; detail: unknown; accessKeyId: string }[];
		}>(gw, "GET", "/logs");
		const refused = records.filter((r) => r.outcome === "SIGNATURE_MISMATCH");
		assert.ok(refused.length >= 1, JSON.stringify(records));
		assert.match(JSON.stringify(refused), /not this access key's secret/);
		assert.ok(!JSON.stringify(records).includes(wrong));
		assert.ok(!gw.logs.join("\n").includes(wrong));
		assert.ok(!gw.logs.join("\n").includes(ROOT_KEY.secretAccessKey));
	});
});

describe("the lab's first step: faas-cli deploy --name env --fprocess env --image functions/alpine:latest", () => {
	it("PUT answers 404 (new), the POST that follows 202; the answer says the image is not pulled", async () => {
		const { put, final } = await faasCli("0.17.0").deploy(
			deployment("env", "env"),
		);
		assert.equal(put.status, 404);
		assert.equal(final.status, 202);
		const answer = (await final.json()) as {
			message: string;
			annotations: Record<string, string>;
		};
		assert.match(
			answer.message,
			/functions\/alpine:latest is recorded, not pulled/,
		);
		assert.equal(answer.annotations["sigil.dev/image-pulled"], "false");
	});

	it("faas-cli list and describe: FunctionStatus with the image, envProcess and the note that it is not pulled", async () => {
		for (const v of VERSIONS) {
			const list = await faasCli(v).list();
			assert.equal(list.status, 200);
			const fns = (await list.json()) as FunctionStatus[];
			const env = fns.find((f) => f.name === "env");
			assert.ok(env, JSON.stringify(fns));
			assert.equal(env.image, "functions/alpine:latest");
			assert.equal(env.envProcess, "env");
			assert.equal(env.namespace, "openfaas-fn");
			assert.equal(env.availableReplicas, 1);
			assert.ok(!Number.isNaN(Date.parse(env.createdAt)));

			const d = await faasCli(v).describe("env");
			assert.equal(d.status, 200);
			const status = (await d.json()) as FunctionStatus;
			assert.equal(status.name, "env");
			assert.equal(status.image, "functions/alpine:latest");
			assert.equal(status.annotations["sigil.dev/runtime"], "process");
			assert.equal(status.annotations["sigil.dev/image-pulled"], "false");
			assert.match(
				status.annotations["sigil.dev/note"] ?? "",
				/functions\/alpine:latest is recorded, not pulled or run/,
			);
		}
	});

	it("faas-cli invoke env, unsigned and with --sign hmac --key cookie (0.17.0 sha1=, 0.18 sha256=)", async () => {
		const plain = await faasCli("0.17.0").invoke("env", "The message");
		assert.equal(plain.status, 200);
		const lines = httpLines(await plain.text());
		assert.ok(lines.includes("Http_Method=POST"), lines.join("\n"));
		assert.ok(!lines.some((l) => l.startsWith("Http_Hmac=")));
		for (const v of VERSIONS) {
			const alg = v === "0.17.0" ? "sha1" : "sha256";
			const res = await faasCli(v).invoke("env", "The message", "cookie");
			assert.equal(res.status, 200);
			const hex = createHmac(alg, "cookie").update("The message").digest("hex");
			assert.ok(
				httpLines(await res.text()).includes(`Http_Hmac=${alg}=${hex}`),
				v,
			);
		}
	});

	it("invoke against a default hmac trigger: both signing generations pass, a wrong key is 401", async () => {
		await gw.putSecret("cookie-key", "cookie");
		await gw.deploy("env-checked", {
			runtime: "process",
			fprocess: "env",
			trigger: { auth: "hmac", secrets: ["cookie-key"] },
		});
		for (const v of VERSIONS) {
			const ok = await faasCli(v).invoke(
				"env-checked",
				"The message",
				"cookie",
			);
			assert.equal(ok.status, 200, `${v}: ${await ok.clone().text()}`);
			assert.ok(
				httpLines(await ok.text()).some((l) => l.startsWith("Http_Hmac=")),
			);
			const wrong = await faasCli(v).invoke(
				"env-checked",
				"The message",
				"nope",
			);
			assert.equal(wrong.status, 401);
		}
	});
});

describe("faas-cli deploy of an existing function: a rolling update by PUT", () => {
	it("envVars, secrets, limits.memory and the scale labels take effect; the trigger set by sigil is kept", async () => {
		const cli = faasCli("0.18.1");
		const first = await cli.deploy(
			deployment("printer", "env", "ghcr.io/acme/printer:1"),
		);
		assert.equal(first.final.status, 202);
		const created = await cli.secretCreate({
			name: "api-token",
			value: "s3cr3t",
		});
		assert.equal(created.status, 202);
		const { put, final } = await cli.deploy(
			deployment("printer", "env", "ghcr.io/acme/printer:2", {
				envVars: { GREETING: "hello" },
				secrets: ["api-token"],
				labels: { "com.openfaas.scale.max": "2", team: "web" },
				annotations: { owner: "ops@example.com" },
				limits: { memory: "128Mi" },
				requests: { memory: "64Mi" },
			}),
		);
		assert.equal(put.status, 202);
		assert.equal(final, put);
		const d = (await (await cli.describe("printer")).json()) as FunctionStatus;
		assert.equal(d.image, "ghcr.io/acme/printer:2");
		assert.deepEqual(d.envVars, { GREETING: "hello" });
		assert.deepEqual(d.secrets, ["api-token"]);
		assert.equal(d.limits?.memory, "128Mi");
		assert.equal(d.requests?.memory, "64Mi");
		assert.equal(d.labels.team, "web");
		assert.equal(d.annotations.owner, "ops@example.com");
		const fn = await cp<{ function: { config: Record<string, unknown> } }>(
			gw,
			"GET",
			"/functions/printer",
		);
		assert.equal(fn.function.config.memory, 128);
		assert.deepEqual(fn.function.config.concurrency, { max: 2 });
		const out = await (await cli.invoke("printer", "x")).text();
		assert.match(out, /^GREETING=hello$/m);
	});

	it("a POST of a name that exists is 409; a PUT of a function sigil deployed with its own code is 409, nothing replaced", async () => {
		const cli = faasCli("0.18.1");
		const again = await cli.post(deployment("printer", "env"));
		assert.equal(again.status, 409);
		await gw.deploy(
			"node-fn",
			{ runtime: "node" },
			{
				"index.mjs":
					"export const handler = async () => ({ statusCode: 200, body: 'node' });",
			},
		);
		const res = await cli.put(deployment("node-fn", "env"));
		assert.equal(res.status, 409);
		assert.match(await res.text(), /sigil deploy/);
		const still = await fetch(`${gw.url}/function/node-fn`);
		assert.equal(await still.text(), "node");
	});
});

describe("what OpenFaaS's FunctionDeployment says that Sigil cannot do is refused, naming it", () => {
	const cases: [string, Record<string, unknown>, RegExp][] = [
		["limits.cpu", { limits: { memory: "128Mi", cpu: "500m" } }, /limits\.cpu/],
		["requests.cpu", { requests: { cpu: "100m" } }, /requests\.cpu/],
		[
			"constraints",
			{ constraints: ["node.platform.os == linux"] },
			/constraints/,
		],
		[
			"readOnlyRootFilesystem",
			{ readOnlyRootFilesystem: true },
			/readOnlyRootFilesystem/,
		],
		["an unknown field", { replicas: 3 }, /replicas\\": not a field/],
		["a namespace", { namespace: "staging" }, /staging.*openfaas-fn/],
		["registryAuth", { registryAuth: "dXNlcjpwYXNz" }, /registryAuth/],
		[
			"an OpenFaaS behaviour label",
			{ labels: { "com.openfaas.scale.zero": "true" } },
			/labels\.com\.openfaas\.scale\.zero/,
		],
		[
			"an OpenFaaS annotation",
			{ annotations: { "com.openfaas.health.http.path": "/ready" } },
			/annotations\.com\.openfaas\.health\.http\.path/,
		],
		["a bad memory quantity", { limits: { memory: "lots" } }, /limits\.memory/],
		["a bad env name", { envVars: { "A-B": "1" } }, /envVars\.A-B/],
	];
	for (const [what, extra, named] of cases)
		it(what, async () => {
			const cli = faasCli("0.18.1");
			const { put, final } = await cli.deploy(
				deployment("refused-fn", "env", "functions/alpine:latest", extra),
			);
			assert.equal(put.status, 400);
			assert.equal(final.status, 400);
			const body = await final.text();
			assert.match(body, named);
			assert.ok(
				!body.includes("dXNlcjpwYXNz"),
				"registry credentials are not echoed",
			);
			// Nothing was stored.
			assert.equal((await cli.describe("refused-fn")).status, 404);
		});

	it("an image without envProcess: 400 saying Sigil does not pull or run images", async () => {
		const res = await faasCli("0.18.1").post({
			service: "image-only",
			image: "functions/figlet:latest",
		});
		assert.equal(res.status, 400);
		assert.match(
			await res.text(),
			/envProcess is required.*does not pull or run the image functions\/figlet:latest/,
		);
	});
});

describe("faas-cli remove", () => {
	it("DELETE {functionName}: 202, then the function is gone (404 again, describe 404, not listed)", async () => {
		for (const v of VERSIONS) {
			const cli = faasCli(v);
			const name = `gone-${v.replaceAll(".", "")}`;
			assert.equal(
				(await cli.deploy(deployment(name, "env"))).final.status,
				202,
			);
			const removed = await cli.remove(name);
			assert.equal(removed.status, 202);
			assert.equal((await cli.remove(name)).status, 404);
			assert.equal((await cli.describe(name)).status, 404);
			const fns = (await (await cli.list()).json()) as FunctionStatus[];
			assert.ok(!fns.some((f) => f.name === name));
			assert.equal((await fetch(`${gw.url}/function/${name}`)).status, 403);
		}
	});

	it("a body that is not a DeleteFunctionRequest is 400", async () => {
		const res = await fetch(`${gw.url}/system/functions`, {
			method: "DELETE",
			headers: {
				Authorization: basic(ROOT_KEY),
				"Content-Type": "application/json",
			},
			body: JSON.stringify({ name: "env" }),
		});
		assert.equal(res.status, 400);
	});
});

describe("faas-cli secret create | list | update | remove", () => {
	it("create 202, again 409; list shows names only; update 202 (404 when absent); remove 202 then 404", async () => {
		for (const v of VERSIONS) {
			const cli = faasCli(v);
			const name = `payload-secret-${v.replaceAll(".", "")}`;
			const value = "my-payload-secret";
			assert.equal((await cli.secretCreate({ name, value })).status, 202);
			assert.equal((await cli.secretCreate({ name, value })).status, 409);
			const list = await cli.secretList();
			assert.equal(list.status, 200);
			const text = await list.text();
			assert.ok(!text.includes(value), "values are never listed");
			const secrets = JSON.parse(text) as { name: string; namespace: string }[];
			assert.deepEqual(
				secrets.find((s) => s.name === name),
				{ name, namespace: "openfaas-fn" },
			);
			// `--from-file`: rawValue, Go's base64 of the bytes.
			const updated = await cli.secretUpdate({
				name,
				rawValue: Buffer.from("new\nvalue").toString("base64"),
			});
			assert.equal(updated.status, 202);
			assert.equal(
				(await cli.secretUpdate({ name: "no-such-secret", value: "x" })).status,
				404,
			);
			assert.equal((await cli.secretRemove(name)).status, 202);
			assert.equal((await cli.secretRemove(name)).status, 404);
		}
	});

	it("a secret a function uses cannot be removed (409); value and rawValue together are 400", async () => {
		const cli = faasCli("0.18.1");
		assert.equal((await cli.secretRemove("api-token")).status, 409);
		const both = await cli.secretCreate({
			name: "both",
			value: "a",
			rawValue: "Yg==",
		});
		assert.equal(both.status, 400);
	});
});

describe("IAM decides every /system route, as on Sigil's own API", () => {
	it("a user allowed only to list and describe: list/describe 200, deploy/remove/secret create 403", async () => {
		const { keys } = await createUser(gw, "faas-reader");
		await putUserPolicy(gw, "faas-reader", "read", [
			{
				Effect: "Allow",
				Action: ["lambda:ListFunctions", "lambda:GetFunction"],
				Resource: "*",
			},
		]);
		const cli = faasCli("0.18.1", keys);
		assert.equal((await cli.list()).status, 200);
		assert.equal((await cli.describe("env")).status, 200);
		const put = await cli.put(deployment("reader-fn", "env"));
		assert.equal(put.status, 403);
		assert.match(await put.text(), /lambda:UpdateFunctionCode/);
		const post = await cli.post(deployment("reader-fn", "env"));
		assert.equal(post.status, 403);
		assert.match(await post.text(), /lambda:CreateFunction/);
		assert.equal((await cli.remove("env")).status, 403);
		assert.equal(
			(await cli.secretCreate({ name: "r1", value: "x" })).status,
			403,
		);
		assert.equal((await faasCli("0.18.1").describe("env")).status, 200);
	});
});
