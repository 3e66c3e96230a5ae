// The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
// gateway serving a fresh build of packages/console: sign in, functions, invoke and its log
// line, resource policy, simulator, the signature debugger's likely causes, a principal with no
// permissions, HTML in function logs, and where secrets may (not) end up. Screenshots of every
// page go to test-artifacts/console/ for a person to look at.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import {
	REGION,
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const REPO = join(import.meta.dirname, "..", "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test-artifacts", "console");

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
	throw new Error(
		`${CHROMIUM} is missing: npm run setup installs Debian's chromium; the console's browser tests cannot run without it`,
	);

/** The function whose log lines are HTML that must stay text. */
const HOSTILE_LOG = `console.log('marker-7f3c <img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2</script>');`;
const HOSTILE_SOURCE = `export const handler = async () => {
	${HOSTILE_LOG}
	return { statusCode: 200, headers: { "content-type": "text/html" }, body: '<img src=x onerror="alert(2)">' };
};
`;

/** A refused SigV4 request to the aws_iam example, signed by `signer` with the root key. */
async function refusedWith(
	gw: TestGateway,
	region: string,
	signedHost?: string,
): Promise<{ requestId: string; raw: string; status: number }> {
	const u = new URL("/function/whoami", gw.url);
	const body = '{"from":"node"}';
	const request = new HttpRequest({
		method: "POST",
		protocol: "http:",
		hostname: u.hostname,
		port: Number(u.port),
		path: u.pathname,
		headers: {
			host: signedHost ?? u.host,
			"content-type": "application/json",
		},
		body,
	});
	const signer = new SignatureV4({
		credentials: ROOT_KEY,
		region,
		service: "lambda",
		sha256: Sha256,
	});
	const s = await signer.sign(request);
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(s.headers))
		if (k !== "host") headers[k] = v;
	const res = await fetch(u, { method: "POST", headers, body });
	await res.text();
	const lines = [
		`POST ${u.pathname} HTTP/1.1`,
		`Host: ${u.host}`,
		...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
		`Content-Length: ${Buffer.byteLength(body)}`,
		"",
		body,
	];
	return {
		requestId: res.headers.get("x-sigil-request-id") ?? "",
		raw: lines.join("\r\n"),
		status: res.status,
	};
}

async function sigil(
	gw: TestGateway,
	method: string,
	path: string,
	body?: unknown,
): Promise<Record<string, unknown>> {
	const res = await gw.signed(method, `/sigil/v1${path}`, {
		...(body !== undefined && {
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
		}),
	});
	const text = await res.text();
	assert.ok(res.status < 300, `${method} ${path} → ${res.status} ${text}`);
	return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

describe("the web console in Chromium", {
	skip: haveChromium
		? false
		: `${CHROMIUM} is not installed (CI fails here instead)`,
}, () => {
	let gw: TestGateway;
	let context: BrowserContext;
	let page: Page;
	let profile: string;
	let distDir: string;
	let nobody: { AccessKeyId: string; SecretAccessKey: string };
	let ACCOUNT: string;
	const dialogs: string[] = [];
	const urls: string[] = [];
	const cspViolations: string[] = [];

	async function shot(name: string): Promise<void> {
		await page.screenshot({
			path: join(ARTIFACTS, `${name}.png`),
			fullPage: true,
		});
	}

	async function signIn(
		keyId: string,
		secret: string,
		byKeyboard = false,
	): Promise<void> {
		await page.goto(`${gw.url}/console/`);
		if (byKeyboard) {
			// Keyboard only: focus the first field, type, Tab to the next, Enter submits.
			await page.getByLabel("Access key id").focus();
			await page.keyboard.type(keyId);
			await page.keyboard.press("Tab");
			await page.keyboard.type(secret);
			await page.keyboard.press("Enter");
		} else {
			await page.getByLabel("Access key id").fill(keyId);
			await page.getByLabel("Secret access key").fill(secret);
			await page.getByRole("button", { name: "Sign in" }).click();
		}
		await page.getByRole("button", { name: "Sign out" }).waitFor();
	}

	/** Form controls a screen reader could not name. */
	async function unlabelledControls(): Promise<string[]> {
		return page.evaluate<string[]>(
			`[...document.querySelectorAll("input, select, textarea, button")]
				.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
				.map((e) => e.outerHTML.slice(0, 80))`,
		);
	}

	before(async () => {
		await mkdir(ARTIFACTS, { recursive: true });
		// A build of its own, so the test sees the current source and never races another test
		// reading packages/console/dist.
		distDir = await mkdtemp(join(tmpdir(), "sigil-console-dist-"));
		const build = spawnSync(
			process.execPath,
			[
				join(REPO, "node_modules", "vite", "bin", "vite.js"),
				"build",
				"--config",
				join(REPO, "packages", "console", "vite.config.ts"),
				"--outDir",
				distDir,
				"--emptyOutDir",
				"--logLevel",
				"error",
				// Vite refuses a second build of one project at once; this one writes only its own
				// folder, so another test (or a person) building dist at the same time is no conflict.
				"--bypass-lock",
			],
			{
				cwd: join(REPO, "packages", "console"),
				encoding: "utf8",
				timeout: 120_000,
			},
		);
		assert.equal(build.status, 0, `vite build failed: ${build.stderr}`);
		gw = await startTestGateway({
			examplesDir: join(REPO, "examples"),
			consoleDir: distDir,
		});
		await gw.deploy(
			"shouty",
			{ runtime: "node", trigger: { auth: "none" } },
			{ "index.mjs": HOSTILE_SOURCE },
		);
		ACCOUNT = String((await sigil(gw, "GET", "/whoami")).Account);
		await sigil(gw, "POST", "/users", { userName: "nobody" });
		const key = await sigil(gw, "POST", "/users/nobody/keys", {});
		nobody = key.AccessKey as typeof nobody;
		profile = await mkdtemp(join(tmpdir(), "sigil-chromium-profile-"));
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: [
				"--no-sandbox",
				"--disable-gpu",
				"--disable-background-networking",
			],
			viewport: { width: 1280, height: 800 },
		});
		page = context.pages()[0] ?? (await context.newPage());
		page.setDefaultTimeout(20_000);
		page.on("dialog", (d) => {
			dialogs.push(d.message());
			void d.dismiss();
		});
		page.on("request", (r) => urls.push(r.url()));
		page.on("console", (m) => {
			if (/Content Security Policy/i.test(m.text()))
				cspViolations.push(m.text());
		});
	});

	after(async () => {
		await context?.close();
		await gw?.stop();
		await rm(profile, { recursive: true, force: true });
		await rm(distDir, { recursive: true, force: true });
	});

	test("sign in: the root key is exchanged for session credentials; the functions are listed", async () => {
		await signIn(ROOT_KEY.accessKeyId, ROOT_KEY.secretAccessKey, true);
		await page
			.getByText(`arn:aws:iam::${ACCOUNT}:root`, { exact: true })
			.waitFor();
		const table = page.getByRole("region", { name: "Functions" });
		for (const name of ["hello", "whoami", "hmac-echo", "shouty"])
			await table.getByRole("link", { name, exact: true }).waitFor();
		const stored = await page.evaluate(() => ({
			session: JSON.stringify(
				Object.fromEntries(Object.entries(sessionStorage)),
			),
			local: localStorage.length,
		}));
		assert.equal(stored.local, 0, "nothing in localStorage");
		assert.ok(
			!stored.session.includes(ROOT_KEY.secretAccessKey),
			"no long-term secret in sessionStorage",
		);
		assert.ok(
			!stored.session.includes(ROOT_KEY.accessKeyId),
			"not even the long-term key id",
		);
		const kept = JSON.parse(
			JSON.parse(stored.session)["sigil.console.session"],
		) as Record<string, string>;
		assert.match(kept.accessKeyId ?? "", /^ASIA/, "only session credentials");
		await shot("functions");
	});

	test("a function's detail: trigger, URL, limits; invoking it shows its log line", async () => {
		await page.getByRole("link", { name: "whoami", exact: true }).click();
		await page.getByRole("heading", { name: "whoami" }).waitFor();
		assert.equal(
			await page.getByRole("textbox", { name: "Trigger URL" }).inputValue(),
			`${gw.url}/function/whoami`,
		);
		await page.getByText("aws_iam", { exact: true }).first().waitFor();
		// Its warm instances right now (the deploy's load probe started one).
		await page
			.getByText(
				/^[1-9]\d* \([1-9]\d* ready, \d+ busy, \d+ waiting; \d+ started\)$/,
			)
			.waitFor();
		await page.getByRole("button", { name: "Invoke" }).click();
		// The aws_iam trigger accepted the browser's SigV4 signature made with the session.
		await page
			.getByText(
				/HTTP 200 · signed as SigV4, service lambda, session credentials/,
			)
			.waitFor();
		const versions = page.getByRole("region", { name: "Versions and aliases" });
		await versions.getByText("$LATEST", { exact: true }).waitFor();
		await versions.getByRole("button", { name: "Publish version" }).click();
		await versions
			.locator(".versions")
			.getByText("1", { exact: true })
			.waitFor();
		await shot("function-detail");

		// An acs3 trigger: the console has no ACS3 signer and says it used the Lambda Invoke API.
		await page.goto(`${gw.url}/console/#/functions/fc-whoami`);
		await page.getByRole("heading", { name: "fc-whoami" }).waitFor();
		await page.getByRole("button", { name: "Invoke" }).click();
		await page
			.locator(".invoke-result", {
				hasText: /^HTTP 200 · signed as Lambda Invoke API/,
			})
			.waitFor();

		// The hmac trigger: the page reads the trigger's secret (sigil:GetSecretValue) and signs the body.
		await page.goto(`${gw.url}/console/#/functions/hmac-echo`);
		await page.getByRole("heading", { name: "hmac-echo" }).waitFor();
		await page.getByRole("button", { name: "Invoke" }).click();
		await page
			.getByText(
				/HTTP 200 · signed as payload HMAC sha256 with secret example-hmac-key/,
			)
			.waitFor();

		await page.goto(`${gw.url}/console/#/functions/shouty`);
		await page.getByRole("heading", { name: "shouty" }).waitFor();
		await page.getByRole("button", { name: "Invoke" }).click();
		await page.locator(".invoke-result", { hasText: "HTTP 200" }).waitFor();
		const logs = page.locator(".log-lines", { hasText: "marker-7f3c" });
		for (let i = 0; i < 20 && (await logs.count()) === 0; i++) {
			await page
				.getByRole("region", { name: "Recent invocations and logs" })
				.getByRole("button", { name: "Refresh" })
				.click();
			await page.waitForTimeout(250);
		}
		const text = await logs.first().textContent();
		assert.ok(
			text?.includes('<img src=x onerror="window.__pwned=1;alert(1)">'),
			`log shown as text: ${text}`,
		);
		assert.ok(text?.includes("<script>window.__pwned=2</script>"));
		await shot("function-logs-html-as-text");
	});

	test("HTML in a function's log or answer does not inject: no dialog, no element, nothing run", async () => {
		// Browser-side expressions as text: this file is type-checked without the DOM library.
		const injected = await page.evaluate(`({
			pwned: window.__pwned ?? null,
			imgs: document.querySelectorAll('img[src="x"]').length,
			scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
		})`);
		assert.deepEqual(injected, { pwned: null, imgs: 0, scripts: 0 });
		assert.deepEqual(dialogs, []);
	});

	test("resource policy: a statement is added and removed", async () => {
		await page.goto(`${gw.url}/console/#/functions/hello`);
		const policy = page.getByRole("region", { name: "Resource policy" });
		await policy.getByRole("button", { name: "Add statement" }).waitFor();
		assert.equal(await policy.locator('li[data-sid="consoleTest"]').count(), 0);
		await policy.getByLabel("Statement id").fill("consoleTest");
		await policy.getByLabel("Principal").fill("111122223333");
		await policy.getByRole("button", { name: "Add statement" }).click();
		const item = policy.locator('li[data-sid="consoleTest"]');
		await item.waitFor();
		assert.match(
			(await item.textContent()) ?? "",
			/arn:aws:iam::111122223333:root/,
		);
		const stored = await sigil(gw, "GET", "/functions/hello/policy");
		assert.match(String(stored.Policy), /consoleTest/);
		await shot("resource-policy");
		await policy
			.getByRole("button", { name: "Remove statement consoleTest" })
			.click();
		await item.waitFor({ state: "detached" });
		const res = await gw.signed("GET", "/sigil/v1/functions/hello/policy");
		const after = await res.text();
		assert.ok(
			res.status === 404 ||
				(res.status === 200 && !after.includes("consoleTest")),
			`the statement is gone on the gateway too: ${res.status} ${after}`,
		);
	});

	test("the simulator shows the decision and why", async () => {
		await page.goto(`${gw.url}/console/#/simulator`);
		await page
			.getByLabel("Principal ARN")
			.fill(`arn:aws:iam::${ACCOUNT}:user/nobody`);
		await page.getByLabel("Action").fill("lambda:InvokeFunction");
		await page
			.getByLabel("Resource ARN")
			.fill(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`);
		await page.getByRole("button", { name: "Simulate" }).click();
		await page.getByText("Denied", { exact: true }).waitFor();
		const explanation = await page
			.locator(".simulation-explanation")
			.textContent();
		assert.ok(
			explanation && explanation.length > 10,
			`an explanation: ${explanation}`,
		);
		await shot("simulator-denied");
		await page.getByLabel("Principal ARN").fill(`arn:aws:iam::${ACCOUNT}:root`);
		await page.getByRole("button", { name: "Simulate" }).click();
		await page.getByText("Allowed", { exact: true }).waitFor();
		await shot("simulator-allowed");
	});

	test("debugger: a pasted raw request signed for the wrong region reads REGION", async () => {
		const refused = await refusedWith(gw, "eu-west-1");
		assert.equal(refused.status, 403);
		await page.goto(`${gw.url}/console/#/debugger`);
		await page.getByRole("radio", { name: "A raw HTTP request" }).check();
		await page
			.getByRole("textbox", { name: /^Raw HTTP request/ })
			.fill(refused.raw);
		await page.getByRole("button", { name: "Check the signature" }).click();
		await page
			.getByRole("heading", { name: /^Likely cause: REGION/ })
			.waitFor();
		await shot("debugger-region");
		assert.deepEqual(await unlabelledControls(), []);
	});

	test("debugger: a request signed without the port in Host, picked from the auth log, reads HOST_PORT", async () => {
		const refused = await refusedWith(gw, REGION, "127.0.0.1");
		assert.equal(refused.status, 403);
		await page.goto(`${gw.url}/console/#/auth-log`);
		await page.getByLabel("Outcome").selectOption("failed");
		await page.getByRole("button", { name: "Apply filters" }).click();
		const row = page.locator(`tr[data-request-id="${refused.requestId}"]`);
		await row.waitFor();
		await shot("auth-log");
		// Live: a decision made now appears without a refresh.
		await page.getByRole("checkbox", { name: "Live" }).check();
		const later = await refusedWith(gw, "ap-south-1");
		await page.locator(`tr[data-request-id="${later.requestId}"]`).waitFor();
		await page.getByRole("checkbox", { name: "Live" }).uncheck();
		await row.getByRole("link", { name: "Debug" }).click();
		await page
			.getByRole("heading", { name: /^Likely cause: HOST_PORT/ })
			.waitFor();
		const canonical = await page.locator(".canonical-request").textContent();
		const host = new URL(gw.url).host;
		assert.match(canonical ?? "", /^POST\n\/function\/whoami\n/);
		assert.ok(
			canonical?.includes(`host:${host}`),
			"the gateway's host line has the port",
		);
		await shot("debugger-host-port");
	});

	test("debugger: a curl command (headers signed for the wrong region) reads REGION", async () => {
		const refused = await refusedWith(gw, "eu-west-1");
		const [, ...rest] = refused.raw.split("\r\n");
		const blank = rest.indexOf("");
		const headers = rest
			.slice(0, blank)
			.filter((h) => !/^(host|content-length):/i.test(h));
		const curl = [
			"curl -s -X POST",
			...headers.map((h) => `-H '${h}'`),
			`-d '${rest.slice(blank + 1).join("\r\n")}'`,
			`${gw.url}/function/whoami`,
		].join(" \\\n  ");
		await page.goto(`${gw.url}/console/#/debugger`);
		await page.getByRole("radio", { name: "A curl command" }).check();
		await page.getByRole("textbox", { name: "curl command" }).fill(curl);
		await page.getByRole("button", { name: "Check the signature" }).click();
		await page
			.getByRole("heading", { name: /^Likely cause: REGION/ })
			.waitFor();
		await shot("debugger-curl");
	});

	test("keys: a new key's secret is shown once; the policy editor points at the line and column", async () => {
		// A policy document holding HTML (a Deny, so nobody still may do nothing) is shown as text.
		await sigil(gw, "PUT", "/users/nobody/policies/html", {
			document: {
				Version: "2012-10-17",
				Statement: [
					{
						Sid: "HtmlInCondition",
						Effect: "Deny",
						Action: "*",
						Resource: "*",
						Condition: {
							StringEquals: {
								"aws:UserAgent": '<img src=x onerror="alert(3)">',
							},
						},
					},
				],
			},
		});
		await page.goto(`${gw.url}/console/#/access`);
		await page.getByRole("button", { name: "nobody", exact: true }).click();
		await page
			.getByText('"aws:UserAgent": "<img src=x onerror=\\"alert(3)\\">"')
			.waitFor();
		assert.equal(await page.locator('img[src="x"]').count(), 0);
		const keys = page.getByRole("region", { name: "Access keys of nobody" });
		await keys.locator(`tr[data-key="${nobody.AccessKeyId}"]`).waitFor();
		const editor = page
			.getByRole("region", { name: "Inline policies of user nobody" })
			.getByLabel("Policy document");
		await editor.fill('{\n  "Version": "2012-10-17"\n  "Statement": []\n}');
		await page
			.getByText(/^Line 3, column 3: JSON: expected ',' or '}'/)
			.waitFor();
		await editor.fill(
			'{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]\n}',
		);
		await page
			.getByText(
				/^Line 3, column 28: Statement 1: Effect must be "Allow" or "Deny"/,
			)
			.waitFor();
		await shot("access-policy-editor");
		assert.deepEqual(
			await unlabelledControls(),
			[],
			"every control has a label",
		);
		await keys.getByRole("button", { name: "Create access key" }).click();
		const secretBox = keys.getByLabel("Secret access key");
		await secretBox.waitFor();
		const shown = await secretBox.inputValue();
		assert.match(shown, /^[A-Za-z0-9/+=]{40}$/);
		await shot("access-new-key");
		await keys.getByRole("button", { name: "I have saved it" }).click();
		assert.equal(await page.getByText(shown).count(), 0);
		assert.equal(
			(await page.content()).includes(shown),
			false,
			"the secret is gone from the page",
		);
	});

	test("jobs: an async invocation is listed with its status and attempts", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/hello/invocations",
			{
				service: "lambda",
				body: '{"name":"async"}',
				headers: { "x-amz-invocation-type": "Event" },
			},
		);
		assert.equal(res.status, 202);
		const id = res.headers.get("x-amzn-requestid") ?? "";
		await page.goto(`${gw.url}/console/#/jobs`);
		const link = page.getByRole("link", { name: id });
		await link.waitFor();
		await link.click();
		await page.getByRole("heading", { name: `Job ${id}` }).waitFor();
		await shot("jobs");
	});

	test("a narrow screen (390 wide): every page reads without sideways scrolling", async () => {
		await page.setViewportSize({ width: 390, height: 844 });
		const pages: [string, string, () => Promise<void>][] = [
			[
				"functions",
				"#/functions",
				() => page.getByRole("link", { name: "hello", exact: true }).waitFor(),
			],
			[
				"function-detail",
				"#/functions/shouty",
				() => page.locator(".log-lines").first().waitFor(),
			],
			[
				"auth-log",
				"#/auth-log",
				() => page.locator("tr[data-request-id]").first().waitFor(),
			],
			[
				"debugger",
				"#/debugger",
				() =>
					page.getByRole("button", { name: "Check the signature" }).waitFor(),
			],
			[
				"access",
				"#/access",
				() => page.getByRole("region", { name: "Managed policies" }).waitFor(),
			],
			[
				"simulator",
				"#/simulator",
				() => page.getByRole("button", { name: "Simulate" }).waitFor(),
			],
			["jobs", "#/jobs", () => page.locator("td.mono").first().waitFor()],
		];
		for (const [name, hash, ready] of pages) {
			await page.goto(`${gw.url}/console/${hash}`);
			await ready();
			const overflow = await page.evaluate<number>(
				"document.documentElement.scrollWidth - window.innerWidth",
			);
			await shot(`${name}-390`);
			assert.ok(
				overflow <= 0,
				`${name}: no sideways scrolling of the page (${overflow}px)`,
			);
			await shot(`${name}-390`);
		}
		await page.setViewportSize({ width: 1280, height: 800 });
	});

	test("a user with no permissions sees 'Not allowed' and no data", async () => {
		await page.getByRole("button", { name: "Sign out" }).click();
		await signIn(nobody.AccessKeyId, nobody.SecretAccessKey);
		await page
			.getByText(`arn:aws:iam::${ACCOUNT}:user/nobody`, { exact: true })
			.waitFor();
		const functions = page.getByRole("region", { name: "Functions" });
		await functions.getByRole("alert").getByText("Not allowed.").waitFor();
		assert.equal(await functions.locator("table").count(), 0);
		assert.equal(
			await page.getByRole("link", { name: "hello", exact: true }).count(),
			0,
		);
		await shot("not-allowed-functions");
		await page.goto(`${gw.url}/console/#/auth-log`);
		await page.getByRole("alert").getByText("Not allowed.").waitFor();
		assert.equal(await page.locator("tr[data-request-id]").count(), 0);
		await shot("not-allowed-auth-log");
	});

	test("no secret in localStorage, any URL, or (long-term) in sessionStorage; no CSP violation", async () => {
		const stored = await page.evaluate(() => ({
			session: JSON.stringify(
				Object.fromEntries(Object.entries(sessionStorage)),
			),
			local: JSON.stringify(Object.fromEntries(Object.entries(localStorage))),
		}));
		const session = JSON.parse(
			JSON.parse(stored.session)["sigil.console.session"],
		) as Record<string, string>;
		assert.match(session.accessKeyId ?? "", /^ASIA/);
		for (const secret of [
			ROOT_KEY.secretAccessKey,
			nobody.SecretAccessKey,
			nobody.AccessKeyId,
		]) {
			assert.ok(!stored.session.includes(secret));
			assert.ok(!stored.local.includes(secret));
		}
		assert.equal(stored.local, "{}");
		assert.ok(urls.length > 20, "the requests were seen");
		for (const u of urls)
			for (const secret of [
				ROOT_KEY.secretAccessKey,
				nobody.SecretAccessKey,
				session.secretAccessKey ?? "-",
				session.sessionToken ?? "-",
			])
				assert.ok(!decodeURIComponent(u).includes(secret), `a secret in ${u}`);
		assert.deepEqual(cspViolations, []);
		assert.deepEqual(dialogs, []);
	});
});
