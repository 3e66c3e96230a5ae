/**
 * `sigil configure` writes a profile of ~/.sigil/credentials, as `aws configure` does for AWS:
 * it asks for what the flags did not give (access key id, secret access key, region, gateway),
 * an empty answer keeping the current value, then checks the key against the gateway.
 * `sigil whoami` says who the gateway takes the caller for, and where the key came from.
 *
 * The secret is never a flag: a flag lands in shell history and `ps`. It is read from standard
 * input (piped, one answer a line) or typed without echo on a terminal.
 */
import { CliError, usageError } from "../cli-error.ts";
import { type CommandSpec, str } from "../command.ts";
import { ControlPlaneClient } from "../control-plane-client.ts";
import { putProfile, readProfiles } from "../credentials-file.ts";
import { type CliIo, configDir } from "../io.ts";
import { DEFAULT_GATEWAY, DEFAULT_REGION } from "../settings.ts";

/** What ends a line typed in raw mode: Enter (CR or LF), Ctrl-C, Ctrl-D. */
const RAW_ENDS = "\r\n\u0003\u0004";

function firstOf(text: string, chars: string): number {
	for (let i = 0; i < text.length; i++)
		if (chars.includes(text[i] as string)) return i;
	return -1;
}

/** Each DEL (what Backspace sends) removes the character before it. */
function applyBackspaces(line: string): string {
	const out: string[] = [];
	for (const c of line) {
		if (c === "\u007f") out.pop();
		else out.push(c);
	}
	return out.join("");
}

/** Reads answers one line at a time from stdin; on a terminal, can read one without echo. */
class Answers {
	readonly #io: CliIo;
	#buffer = "";
	#done = false;
	#it: AsyncIterator<unknown> | undefined;
	constructor(io: CliIo) {
		this.#io = io;
	}

	async #more(): Promise<boolean> {
		if (this.#done) return false;
		this.#it ??= this.#io.stdin[Symbol.asyncIterator]();
		const next = await this.#it.next();
		if (next.done) {
			this.#done = true;
			return false;
		}
		this.#buffer +=
			typeof next.value === "string"
				? next.value
				: Buffer.from(next.value as Uint8Array).toString("utf8");
		return true;
	}

	/** One answer; `undefined` at the end of input. `hidden` turns off the terminal's echo. */
	async ask(prompt: string, hidden = false): Promise<string | undefined> {
		const tty = this.#io.stdin.isTTY === true;
		const stdin = this.#io.stdin as CliIo["stdin"] & {
			setRawMode?: (on: boolean) => void;
		};
		const raw = tty && hidden && typeof stdin.setRawMode === "function";
		// Echo off before the prompt shows: whatever is typed once it is visible stays hidden.
		if (raw) stdin.setRawMode?.(true);
		if (tty) this.#io.stderr.write(prompt);
		try {
			for (;;) {
				const end = firstOf(this.#buffer, raw ? RAW_ENDS : "\n");
				if (end !== -1) {
					const stop = this.#buffer[end];
					let line = this.#buffer.slice(0, end);
					this.#buffer = this.#buffer.slice(end + 1);
					if (raw) {
						this.#io.stderr.write("\n");
						if (stop === "\u0003")
							throw new CliError(
								"ABORTED",
								"configure interrupted",
								"nothing was written; run it again",
							);
						// In raw mode the terminal does not apply backspace: do it here.
						line = applyBackspaces(line);
					}
					return line.replace(/\r$/, "").trim();
				}
				if (!(await this.#more())) {
					const rest = this.#buffer;
					this.#buffer = "";
					return rest === "" ? undefined : rest.trim();
				}
			}
		} finally {
			if (raw) stdin.setRawMode?.(false);
		}
	}

	close(): void {
		void this.#it?.return?.();
	}
}

/** `AKIA…WXYZ`: enough to recognise a key, never the whole of a secret. */
function tail(value: string | undefined, secret: boolean): string {
	if (!value) return "none";
	return secret ? `****${value.slice(-4)}` : value;
}

export const configureCommand: CommandSpec = {
	name: "configure",
	summary:
		"Write a profile of ~/.sigil/credentials (asks for what the flags do not give)",
	usage:
		"configure [--profile NAME] [--access-key-id ID] [--region REGION] [--gateway URL] [--skip-check]",
	options: {
		"access-key-id": {
			type: "string",
			value: "ID",
			description:
				"the access key id (asked when absent; the secret is always asked)",
		},
		"skip-check": {
			type: "boolean",
			description:
				"do not ask the gateway whether the key works (GET /sigil/v1/whoami)",
		},
	},
	details:
		"The profile (--profile, default 'default') is created, or replaced in place keeping every other profile.\nAnswers come from standard input, one a line: access key id (unless --access-key-id), secret access key,\nregion (unless --region), gateway URL (unless --gateway); an empty answer keeps the current value.\nOn a terminal the secret is typed without echo. The file is mode 0600 in a 0700 folder.",
	examples: [
		"sigil configure --profile ci --gateway https://sigil.example:8443",
		'printf \'%s\\n\' "$KEY_ID" "$SECRET" | sigil configure --profile ci --region us-east-1 --gateway http://127.0.0.1:8080',
	],
	async run(ctx) {
		const name = ctx.globals.profile || "default";
		if (!/^[A-Za-z0-9_.@+-]{1,64}$/.test(name))
			throw usageError(
				`--profile ${JSON.stringify(name)} must be 1–64 letters, digits or _.@+-`,
				ctx.spec.usage,
			);
		const dir = configDir(ctx.io.env);
		const current = (await readProfiles(dir)).get(name) ?? {};
		const answers = new Answers(ctx.io);
		let keyId: string | undefined;
		let secret: string | undefined;
		let region: string | undefined;
		let gateway: string | undefined;
		try {
			keyId =
				str(ctx.values, "access-key-id") ??
				(await answers.ask(
					`Access key ID [${tail(current.aws_access_key_id, false)}]: `,
				));
			secret = await answers.ask(
				`Secret access key [${tail(current.aws_secret_access_key, true)}]: `,
				true,
			);
			region =
				ctx.globals.region ??
				(await answers.ask(`Region [${current.region ?? DEFAULT_REGION}]: `));
			gateway =
				ctx.globals.gateway ??
				(await answers.ask(
					`Gateway URL [${current.gateway ?? DEFAULT_GATEWAY}]: `,
				));
		} finally {
			answers.close();
		}
		keyId = keyId || current.aws_access_key_id;
		// A new key id with the old secret would be a pair that never worked: ask for both.
		const sameKey = keyId === current.aws_access_key_id;
		secret = secret || (sameKey ? current.aws_secret_access_key : undefined);
		if (!keyId || !secret)
			throw new CliError(
				"CREDENTIALS_INCOMPLETE",
				!keyId
					? "no access key id given"
					: `no secret access key given for ${keyId}`,
				'give both, one a line on standard input (`printf \'%s\\n\' "$ID" "$SECRET" | sigil configure …`), or type them when asked',
			);
		if (/\s/.test(keyId) || /\s/.test(secret))
			throw usageError(
				"an access key id or secret cannot hold spaces",
				ctx.spec.usage,
			);
		region = region || current.region || DEFAULT_REGION;
		if (!/^[a-z0-9-]{1,32}$/.test(region))
			throw usageError(
				`region ${JSON.stringify(region)} is not a region name`,
				ctx.spec.usage,
			);
		gateway = (gateway || current.gateway || DEFAULT_GATEWAY).replace(
			/\/+$/,
			"",
		);
		if (!/^https?:\/\/[^\s/]+/.test(gateway))
			throw new CliError(
				"GATEWAY_INVALID",
				`gateway ${JSON.stringify(gateway)} is not an http(s) URL`,
				"give it as http://HOST:PORT",
			);
		// Keys this command does not manage stay; a session token belonged to the old key only.
		const { aws_session_token: oldToken, ...others } = current;
		const values = {
			...others,
			aws_access_key_id: keyId,
			aws_secret_access_key: secret,
			region,
			gateway,
			...(sameKey && oldToken && { aws_session_token: oldToken }),
		};
		const { file, replaced } = await putProfile(dir, name, values);
		let identity: { Arn: string; Account: string } | undefined;
		let checkError: CliError | undefined;
		if (!ctx.values["skip-check"]) {
			try {
				identity = await new ControlPlaneClient({
					gateway,
					region,
					credentials: {
						accessKeyId: keyId,
						secretAccessKey: secret,
						...(values.aws_session_token && {
							sessionToken: values.aws_session_token,
						}),
					},
				}).whoami();
			} catch (error) {
				checkError = error instanceof CliError ? error : undefined;
				if (!checkError) throw error;
			}
		}
		if (ctx.json)
			ctx.printJson({
				profile: name,
				file,
				replaced,
				accessKeyId: keyId,
				region,
				gateway,
				...(identity && { arn: identity.Arn, account: identity.Account }),
				...(checkError && {
					check: { code: checkError.code, message: checkError.message },
				}),
			});
		else {
			ctx.print(
				`${replaced ? "updated" : "saved"} profile ${name} in ${file} (key ${keyId}, region ${region}, gateway ${gateway})`,
			);
			if (identity) ctx.print(`the gateway knows this key: ${identity.Arn}`);
		}
		if (checkError)
			throw new CliError(
				checkError.code,
				`profile ${name} was saved, but the gateway did not accept it: ${checkError.message}`,
				checkError.code === "GATEWAY_UNREACHABLE"
					? `start the gateway or fix the URL (\`sigil configure --profile ${name}\` again), or pass --skip-check`
					: checkError.fix,
				checkError.requestId ? { requestId: checkError.requestId } : {},
			);
		return 0;
	},
};

export const whoamiCommand: CommandSpec = {
	name: "whoami",
	summary:
		"Show the identity the gateway sees for your credentials, and where they came from",
	usage: "whoami [--profile NAME] [--json]",
	options: {},
	details:
		"GET /sigil/v1/whoami, signed like every call. Credentials come from, first that applies:\nSIGIL_ACCESS_KEY_ID/SIGIL_SECRET_ACCESS_KEY, --profile or SIGIL_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,\nAWS_PROFILE, profile default (docs/cli.md).",
	async run(ctx) {
		const settings = await ctx.settings();
		const client = await ctx.client();
		const who = await client.whoami();
		if (ctx.json) {
			ctx.printJson({
				...who,
				credentials: settings.credentialsSource,
				gateway: settings.gateway,
				region: settings.region,
			});
			return 0;
		}
		const rows: [string, string][] = [
			["Account", who.Account],
			["Arn", who.Arn],
			["UserId", who.UserId],
			["AccessKeyId", who.AccessKeyId],
			["Credentials", settings.credentialsSource],
			["Gateway", `${settings.gateway} (region ${settings.region})`],
		];
		ctx.print(rows.map(([k, v]) => `${`${k}:`.padEnd(13)} ${v}`).join("\n"));
		return 0;
	},
};
