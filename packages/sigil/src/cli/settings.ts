/**
 * Where the CLI finds its gateway, region and credentials (docs/cli.md, "Where settings come
 * from"). Sigil's own names first, then the AWS ones, so the key pairs and profiles people
 * already keep for the AWS CLI work unchanged, and a shell that exports both uses Sigil's.
 *
 * Credentials, the first that applies:
 *   1. `SIGIL_ACCESS_KEY_ID` + `SIGIL_SECRET_ACCESS_KEY` (+ `SIGIL_SESSION_TOKEN`)
 *   2. the profile named by `--profile`, then by `SIGIL_PROFILE`
 *   3. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`)
 *   4. the profile named by `AWS_PROFILE`, else profile `default`
 * A profile is looked up in `~/.sigil/credentials` (`SIGIL_CONFIG_DIR`), then in the AWS shared
 * credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`). The same profile
 * gives the gateway and region, below `--gateway`/`SIGIL_URL` and `--region`/`SIGIL_REGION`.
 * `AWS_REGION` is not read on purpose: it names a region of AWS, and signing for it instead of
 * the gateway's region gives a scope mismatch that looks like a wrong key.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "./cli-error.ts";
import {
	credentialsPath,
	type Profile,
	readProfileFile,
	readProfiles,
} from "./credentials-file.ts";
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
	/**
	 * Where the credentials came from, for messages: `environment` (SIGIL_*),
	 * `environment (AWS_ACCESS_KEY_ID)`, or `profile NAME (FILE)`.
	 */
	readonly credentialsSource: string;
}

/** The AWS shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials. */
export function awsCredentialsPath(env: CliIo["env"]): string {
	return (
		env.AWS_SHARED_CREDENTIALS_FILE ||
		join(env.HOME || homedir(), ".aws", "credentials")
	);
}

/**
 * The AWS file's profiles. An unreadable ~/.aws/credentials (another tool's file, perhaps not
 * ours to read) must not stop every sigil command, so it counts as empty; a file named by
 * AWS_SHARED_CREDENTIALS_FILE was asked for, so failing to read it is an error.
 */
async function readAwsProfiles(
	file: string,
	env: CliIo["env"],
): Promise<Map<string, Record<string, string>>> {
	try {
		return await readProfileFile(file);
	} catch (error) {
		if (!env.AWS_SHARED_CREDENTIALS_FILE) return new Map();
		throw new CliError(
			"CREDENTIALS_FILE_UNREADABLE",
			`cannot read AWS_SHARED_CREDENTIALS_FILE ${file}: ${(error as Error).message}`,
			"fix the path or its permissions, or unset AWS_SHARED_CREDENTIALS_FILE",
		);
	}
}

/** A key pair from `<PREFIX>_ACCESS_KEY_ID` etc., undefined when neither half is set. */
function envPair(
	env: CliIo["env"],
	prefix: "SIGIL" | "AWS",
): Credentials | undefined {
	const id = env[`${prefix}_ACCESS_KEY_ID`];
	const secret = env[`${prefix}_SECRET_ACCESS_KEY`];
	if (!id && !secret) return undefined;
	if (!id || !secret)
		throw new CliError(
			"CREDENTIALS_INCOMPLETE",
			`only one of ${prefix}_ACCESS_KEY_ID and ${prefix}_SECRET_ACCESS_KEY is set`,
			"set both, or unset both to use the profile",
		);
	const token = env[`${prefix}_SESSION_TOKEN`];
	return {
		accessKeyId: id,
		secretAccessKey: secret,
		...(token && { sessionToken: token }),
	};
}

function profilePair(profile: Profile | undefined): Credentials | undefined {
	if (!profile?.aws_access_key_id || !profile.aws_secret_access_key)
		return undefined;
	return {
		accessKeyId: profile.aws_access_key_id,
		secretAccessKey: profile.aws_secret_access_key,
		...(profile.aws_session_token && {
			sessionToken: profile.aws_session_token,
		}),
	};
}

/** Resolves settings; `fallbackGateway` is a stack file's `gateway:` (below env, above profile). */
export async function resolveSettings(
	flags: GlobalFlags,
	io: CliIo,
	fallbackGateway?: string,
): Promise<Settings> {
	const env = io.env;
	const dir = configDir(env);
	const sigilFile = credentialsPath(dir);
	const awsFile = awsCredentialsPath(env);
	const sigilProfiles = await readProfiles(dir);
	const awsProfiles = await readAwsProfiles(awsFile, env);
	// Sigil's own profile name beats AWS's, as its key variables do.
	const sigilNamed = flags.profile || env.SIGIL_PROFILE;
	const profileName = sigilNamed || env.AWS_PROFILE || "default";
	const inSigil = sigilProfiles.get(profileName);
	const profile = inSigil ?? awsProfiles.get(profileName);
	const profileFile = inSigil ? sigilFile : awsFile;
	if (!profile && (sigilNamed || env.AWS_PROFILE))
		throw new CliError(
			"PROFILE_NOT_FOUND",
			`profile ${profileName} (from ${flags.profile ? "--profile" : env.SIGIL_PROFILE ? "SIGIL_PROFILE" : "AWS_PROFILE"}) is in neither ${sigilFile} nor ${awsFile}`,
			`use one of: ${[...new Set([...sigilProfiles.keys(), ...awsProfiles.keys()])].join(", ") || "(none yet — run `sigil up` once, or `sigil configure`)"}`,
		);
	const fromProfile = profilePair(profile);
	const fromProfileSource = `profile ${profileName} (${profileFile})`;
	let credentials: Credentials | undefined;
	let credentialsSource = fromProfileSource;
	const sigilEnv = envPair(env, "SIGIL");
	if (sigilEnv) {
		credentials = sigilEnv;
		credentialsSource = "environment";
	} else if (sigilNamed) {
		credentials = fromProfile;
	} else {
		const awsEnv = envPair(env, "AWS");
		if (awsEnv) {
			credentials = awsEnv;
			credentialsSource = "environment (AWS_ACCESS_KEY_ID)";
		} else credentials = fromProfile;
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
		`no access key: profile ${settings.profile} has none and neither SIGIL_ACCESS_KEY_ID nor AWS_ACCESS_KEY_ID is set`,
		"run `sigil up` once (it writes the profile) or `sigil configure`, or set SIGIL_ACCESS_KEY_ID and SIGIL_SECRET_ACCESS_KEY, or pass --profile NAME",
	);
}
