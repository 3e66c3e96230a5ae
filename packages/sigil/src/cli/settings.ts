/**
 * Where the CLI finds its gateway, region and credentials. Order, most specific first:
 * flag (`--gateway`, `--profile`, `--region`) → environment (`SIGIL_URL`, `SIGIL_PROFILE`,
 * `SIGIL_REGION`, `SIGIL_ACCESS_KEY_ID`/`SIGIL_SECRET_ACCESS_KEY`/`SIGIL_SESSION_TOKEN`) →
 * the selected profile of `~/.sigil/credentials` → built-in default.
 */
import { CliError } from "./cli-error.ts";
import { credentialsPath, readProfiles } from "./credentials-file.ts";
import { type CliIo, configDir } from "./io.ts";

export const DEFAULT_GATEWAY = "http://127.0.0.1:8080";
export const DEFAULT_REGION = "us-east-1";

export interface Credentials {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly sessionToken?: string;
}

export interface GlobalFlags {
	readonly gateway?: string | undefined;
	readonly profile?: string | undefined;
	readonly region?: string | undefined;
}

export interface Settings {
	readonly gateway: string;
	readonly region: string;
	readonly profile: string;
	/** Undefined when neither the environment nor the profile holds a key pair. */
	readonly credentials: Credentials | undefined;
	/** Where the credentials came from, for messages: `environment` or `profile NAME`. */
	readonly credentialsSource: string;
}

/** Resolves settings; `fallbackGateway` is a stack file's `gateway:` (below env, above profile). */
export async function resolveSettings(
	flags: GlobalFlags,
	io: CliIo,
	fallbackGateway?: string,
): Promise<Settings> {
	const env = io.env;
	const profileName = flags.profile || env.SIGIL_PROFILE || "default";
	const dir = configDir(env);
	const profiles = await readProfiles(dir);
	const profile = profiles.get(profileName);
	const explicitProfile = Boolean(flags.profile || env.SIGIL_PROFILE);
	if (!profile && explicitProfile)
		throw new CliError(
			"PROFILE_NOT_FOUND",
			`profile ${profileName} is not in ${credentialsPath(dir)}`,
			`use one of: ${[...profiles.keys()].join(", ") || "(none yet — run `sigil up` once)"}`,
		);
	let credentials: Credentials | undefined;
	let credentialsSource = `profile ${profileName}`;
	if (env.SIGIL_ACCESS_KEY_ID || env.SIGIL_SECRET_ACCESS_KEY) {
		if (!env.SIGIL_ACCESS_KEY_ID || !env.SIGIL_SECRET_ACCESS_KEY)
			throw new CliError(
				"CREDENTIALS_INCOMPLETE",
				"only one of SIGIL_ACCESS_KEY_ID and SIGIL_SECRET_ACCESS_KEY is set",
				"set both, or unset both to use the profile",
			);
		credentials = {
			accessKeyId: env.SIGIL_ACCESS_KEY_ID,
			secretAccessKey: env.SIGIL_SECRET_ACCESS_KEY,
			...(env.SIGIL_SESSION_TOKEN && { sessionToken: env.SIGIL_SESSION_TOKEN }),
		};
		credentialsSource = "environment";
	} else if (profile?.aws_access_key_id && profile.aws_secret_access_key) {
		credentials = {
			accessKeyId: profile.aws_access_key_id,
			secretAccessKey: profile.aws_secret_access_key,
			...(profile.aws_session_token && {
				sessionToken: profile.aws_session_token,
			}),
		};
	}
	const gateway =
		flags.gateway ||
		env.SIGIL_URL ||
		fallbackGateway ||
		profile?.gateway ||
		DEFAULT_GATEWAY;
	if (!/^https?:\/\/[^\s/]+/.test(gateway))
		throw new CliError(
			"GATEWAY_INVALID",
			`gateway ${JSON.stringify(gateway)} is not an http(s) URL`,
			"pass --gateway http://HOST:PORT or set SIGIL_URL",
		);
	return {
		gateway: gateway.replace(/\/+$/, ""),
		region:
			flags.region || env.SIGIL_REGION || profile?.region || DEFAULT_REGION,
		profile: profileName,
		credentials,
		credentialsSource,
	};
}

/** The credentials, or the error that says how to get some. */
export function requireCredentials(settings: Settings): Credentials {
	if (settings.credentials) return settings.credentials;
	throw new CliError(
		"CREDENTIALS_MISSING",
		`no access key: profile ${settings.profile} has none and SIGIL_ACCESS_KEY_ID is not set`,
		"run `sigil up` once (it writes the profile), or set SIGIL_ACCESS_KEY_ID and SIGIL_SECRET_ACCESS_KEY, or pass --profile NAME",
	);
}
