/**
 * `sigil new --lang python3|node NAME`: faas-cli's `new`. Copies the language's skeleton into
 * `NAME/` and adds a `NAME:` entry to the stack file (created with `version: 1` when absent).
 * The stack file is edited through the `yaml` Document API, so its comments, key order and
 * other entries survive; an existing entry or folder is never overwritten.
 */
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Document, isMap, parseDocument } from "yaml";
import {
	AUTH_TYPES,
	NAME_PATTERN,
	parseFunctionConfig,
} from "../../config/function-config.ts";
import {
	skeletonDir,
	TEMPLATE_LANGS,
	type TemplateLang,
} from "../../runtime/templates-dir.ts";
import { CliError, usageError } from "../cli-error.ts";
import { type CommandSpec, list, str } from "../command.ts";

/** Reads a stack file as a Document, or a fresh `version: 1` one when the file is absent. */
async function loadStack(
	path: string,
): Promise<{ doc: Document; created: boolean }> {
	let text: string;
	try {
		text = await readFile(path, "utf8");
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
		return { doc: new Document({ version: 1, functions: {} }), created: true };
	}
	const doc = parseDocument(text, { uniqueKeys: true });
	if (doc.errors.length > 0)
		throw new CliError(
			"STACK_FILE_INVALID",
			`${path} is not valid YAML: ${doc.errors[0]?.message.split("\n")[0]}`,
			"fix the stack file, or pass -f with another one",
		);
	if (doc.contents !== null && !isMap(doc.contents))
		throw new CliError(
			"STACK_FILE_INVALID",
			`${path} is not a mapping with a 'functions' key`,
			"fix the stack file, or pass -f with another one",
		);
	// An empty file is as good as a new one.
	if (doc.contents === null) {
		const fresh = new Document({ version: 1, functions: {} });
		fresh.commentBefore = doc.commentBefore ?? doc.comment;
		return { doc: fresh, created: true };
	}
	return { doc, created: false };
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
	try {
		return (await readdir(dir)).length === 0;
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
		throw err;
	}
}

export const newCommand: CommandSpec = {
	name: "new",
	summary: "Create a function from a language template and add it to sigil.yml",
	usage:
		"new NAME --lang python3|node [--auth TYPE] [--hmac-secret NAME] [--secret NAME] [-f sigil.yml]",
	args: ["NAME"],
	options: {
		lang: {
			type: "string",
			value: "LANG",
			description:
				"python3 (handler.py with def handle(req), OpenFaaS style) | node (Lambda-style index.mjs)",
		},
		auth: {
			type: "string",
			value: "TYPE",
			description: `trigger auth: ${AUTH_TYPES.join(" | ")} (default none)`,
		},
		"hmac-secret": {
			type: "string",
			multiple: true,
			value: "NAME",
			description:
				"hmac/webhook: secret holding the trigger's shared key (required with those)",
		},
		secret: {
			type: "string",
			multiple: true,
			value: "NAME",
			description:
				"secret the function reads as a file: $SIGIL_SECRETS_DIR/NAME",
		},
		file: {
			type: "string",
			short: "f",
			value: "FILE",
			description: "stack file to add the function to (default ./sigil.yml)",
		},
	},
	details:
		"Creates NAME/ in the current folder from templates/<lang>/function/ and adds a NAME entry\nto the stack file, keeping its comments and other entries. Deploy with\n`sigil deploy --filter NAME`. Sigil installs no packages: vendor Python dependencies into\nthe folder (pip install -r requirements.txt --target NAME).",
	examples: [
		"sigil new --lang python3 hmac-protected --secret payload-secret",
		"sigil new --lang node hello --auth aws_iam",
		"sigil new --lang python3 hook --auth hmac --hmac-secret hook-key",
	],
	async run(ctx) {
		const v = ctx.values;
		const name = ctx.positionals[0] as string;
		const lang = str(v, "lang");
		if (lang === undefined)
			throw usageError(
				`--lang is required (${TEMPLATE_LANGS.join(" or ")})`,
				ctx.spec.usage,
			);
		if (!(TEMPLATE_LANGS as readonly string[]).includes(lang))
			throw usageError(
				`--lang ${JSON.stringify(lang)} has no template (available: ${TEMPLATE_LANGS.join(", ")})`,
				ctx.spec.usage,
			);
		if (!NAME_PATTERN.test(name))
			throw usageError(
				`NAME ${JSON.stringify(name)} must be lower-case letters, digits and '-' (1–64, no leading/trailing '-')`,
				ctx.spec.usage,
			);
		const auth = str(v, "auth") ?? "none";
		const hmacSecrets = list(v, "hmac-secret");
		if ((auth === "hmac" || auth === "webhook") && hmacSecrets.length === 0)
			throw usageError(
				`--auth ${auth} needs --hmac-secret NAME (the secret holding the shared key)`,
				ctx.spec.usage,
			);
		const secrets = list(v, "secret");
		const folder = resolve(ctx.io.cwd, name);
		const stackPath = resolve(ctx.io.cwd, str(v, "file") ?? "sigil.yml");
		const handler = relative(dirname(stackPath), folder).split(sep).join("/");
		const entry: Record<string, unknown> = {
			runtime: lang,
			handler: handler.startsWith(".") ? handler : `./${handler}`,
			...(secrets.length > 0 && { secrets }),
			trigger: {
				auth,
				...(hmacSecrets.length > 0 && { secrets: hmacSecrets }),
			},
		};
		const checked = parseFunctionConfig(entry, name);
		if (!checked.ok)
			throw new CliError(
				"CONFIG_INVALID",
				`the function config is not valid:\n${checked.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
				"correct the flags named above (sigil new --help lists them)",
				{ exitCode: 2 },
			);
		// Check everything before writing anything: no half-made function on a refusal.
		const { doc, created } = await loadStack(stackPath);
		if (doc.hasIn(["functions", name]))
			throw new CliError(
				"FUNCTION_EXISTS",
				`${stackPath} already declares a function ${name}`,
				"pick another NAME, or remove that entry first",
			);
		const functions = doc.get("functions");
		if (functions !== undefined && functions !== null && !isMap(functions))
			throw new CliError(
				"STACK_FILE_INVALID",
				`'functions' in ${stackPath} is not a mapping`,
				"make 'functions' a mapping of function name to its settings",
			);
		if (!(await isEmptyOrAbsent(folder)))
			throw new CliError(
				"FOLDER_EXISTS",
				`the folder ${folder} already exists and is not empty`,
				"pick another NAME, or move that folder away",
			);
		await mkdir(folder, { recursive: true });
		await cp(skeletonDir(lang as TemplateLang), folder, { recursive: true });
		const files = (await readdir(folder)).sort();
		if (!isMap(functions)) doc.set("functions", doc.createNode({}));
		doc.setIn(["functions", name], doc.createNode(entry));
		await mkdir(dirname(stackPath), { recursive: true });
		await writeFile(stackPath, doc.toString());
		if (ctx.json) {
			ctx.printJson({
				name,
				lang,
				folder,
				files,
				stackFile: stackPath,
				stackFileCreated: created,
				entry,
			});
			return 0;
		}
		const main = lang === "python3" ? "handler.py" : "index.mjs";
		ctx.print(
			[
				`created ${relative(ctx.io.cwd, folder) || "."}/ from the ${lang} template (${files.join(", ")})`,
				`${created ? "created" : "updated"} ${relative(ctx.io.cwd, stackPath)}: functions.${name}`,
				`next: edit ${join(relative(ctx.io.cwd, folder), main)}, then \`sigil deploy${str(v, "file") ? ` -f ${str(v, "file")}` : ""} --filter ${name}\``,
			].join("\n"),
		);
		return 0;
	},
};
