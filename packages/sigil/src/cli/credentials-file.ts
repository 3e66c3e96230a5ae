/**
 * The CLI's credentials file, `~/.sigil/credentials` (or `$SIGIL_CONFIG_DIR/credentials`), in the
 * AWS INI layout so the same file works with tools that read AWS profiles:
 *
 *     [default]
 *     aws_access_key_id = AKIA…
 *     aws_secret_access_key = …
 *     region = us-east-1
 *     gateway = http://127.0.0.1:8080
 *
 * It holds secrets, so the folder is 0700 and the file 0600, re-asserted on every write.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type Profile = Readonly<Record<string, string>>;
export type Profiles = ReadonlyMap<string, Profile>;

/** Parses INI text: `[name]` sections, `key = value` lines, `#`/`;` comments. Later keys win. */
export function parseCredentials(
	text: string,
): Map<string, Record<string, string>> {
	const profiles = new Map<string, Record<string, string>>();
	let current: Record<string, string> | undefined;
	for (const rawLine of text.split(/\r?\n/)) {
		const line = rawLine.trim();
		if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
		const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
		if (section) {
			const name = section[1] as string;
			current = profiles.get(name) ?? {};
			profiles.set(name, current);
			continue;
		}
		const eq = line.indexOf("=");
		if (eq > 0 && current)
			current[line.slice(0, eq).trim().toLowerCase()] = line
				.slice(eq + 1)
				.trim();
	}
	return profiles;
}

/** One profile section as text. */
export function formatProfile(name: string, values: Profile): string {
	const lines = [`[${name}]`];
	for (const [key, value] of Object.entries(values))
		lines.push(`${key} = ${value}`);
	return `${lines.join("\n")}\n`;
}

export function credentialsPath(dir: string): string {
	return join(dir, "credentials");
}

/** Reads every profile of Sigil's credentials file in `dir`; a missing file is no profiles. */
export function readProfiles(
	dir: string,
): Promise<Map<string, Record<string, string>>> {
	return readProfileFile(credentialsPath(dir));
}

/** Reads every profile of an INI credentials file (ours or AWS's); a missing file is none. */
export async function readProfileFile(
	file: string,
): Promise<Map<string, Record<string, string>>> {
	try {
		return parseCredentials(await readFile(file, "utf8"));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
		throw error;
	}
}

/**
 * The profile name `up` writes a new root key under: `default` when free, else `sigil-<port>`,
 * then `sigil-<port>-2`, … — an existing profile is never overwritten.
 */
export function chooseProfileName(
	existing: Profiles,
	port: number | string,
): string {
	if (!existing.has("default")) return "default";
	const base = `sigil-${port}`;
	if (!existing.has(base)) return base;
	for (let i = 2; ; i++)
		if (!existing.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * Appends a new profile. Refuses to replace one (the caller picks a free name with
 * `chooseProfileName`). The file is rewritten through a 0600 temporary file and a rename, so a
 * crash never leaves it half-written and it is never readable by others, even for a moment.
 */
export async function addProfile(
	dir: string,
	name: string,
	values: Profile,
): Promise<string> {
	await mkdir(dir, { recursive: true, mode: 0o700 });
	await chmod(dir, 0o700);
	const file = credentialsPath(dir);
	let text = "";
	try {
		text = await readFile(file, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	if (parseCredentials(text).has(name))
		throw new Error(`profile ${name} already exists in ${file}`);
	const separator =
		text === "" || text.endsWith("\n\n")
			? ""
			: text.endsWith("\n")
				? "\n"
				: "\n\n";
	const temp = `${file}.${process.pid}.tmp`;
	await writeFile(temp, `${text}${separator}${formatProfile(name, values)}`, {
		mode: 0o600,
	});
	await chmod(temp, 0o600);
	await rename(temp, file);
	return file;
}

/**
 * Writes profile `name` (what `sigil configure` does): a new one is appended, an existing one is
 * replaced in place — its section only; every other line of the file is kept as it was. Same
 * 0600 temporary file and rename as `addProfile`.
 */
export async function putProfile(
	dir: string,
	name: string,
	values: Profile,
): Promise<{ file: string; replaced: boolean }> {
	await mkdir(dir, { recursive: true, mode: 0o700 });
	await chmod(dir, 0o700);
	const file = credentialsPath(dir);
	let text = "";
	try {
		text = await readFile(file, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
	const header = (line: string) =>
		/^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line.trim())?.[1];
	const kept: string[] = [];
	let skipping = false;
	let at = -1;
	for (const line of lines) {
		const section = header(line);
		if (section !== undefined) skipping = section === name;
		if (section === name && at === -1) at = kept.length;
		if (!skipping) kept.push(line);
	}
	const block = formatProfile(name, values).replace(/\n$/, "").split("\n");
	if (at === -1) {
		if (kept.length && kept[kept.length - 1]?.trim() !== "") kept.push("");
		kept.push(...block);
	} else {
		// The section's trailing blank line went with it; keep one before the next section.
		const next = kept[at];
		kept.splice(
			at,
			0,
			...block,
			...(next !== undefined && next.trim() !== "" ? [""] : []),
		);
	}
	const temp = `${file}.${process.pid}.tmp`;
	await writeFile(temp, `${kept.join("\n")}\n`, { mode: 0o600 });
	await chmod(temp, 0o600);
	await rename(temp, file);
	return { file, replaced: at !== -1 };
}
