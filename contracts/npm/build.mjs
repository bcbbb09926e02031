// Builds the @tradeloop/contracts npm package: the JSON Schemas of one release and
// TypeScript declarations generated from them.
//   node build.mjs SCHEMAS_DIR VERSION OUT_DIR
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { compile } from "json-schema-to-typescript";

const [schemasDir, version, outDir] = process.argv.slice(2);
if (!schemasDir || !version || !outDir) {
  console.error("usage: node build.mjs SCHEMAS_DIR VERSION OUT_DIR");
  process.exit(2);
}

const banner = `/* Generated from tradeloop-contracts ${version} JSON Schemas. Do not edit. */`;
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await cp(schemasDir, path.join(outDir, "schemas"), { recursive: true });

const exports = [];
for (const kind of ["requests", "responses", "events"]) {
  const files = (await readdir(path.join(schemasDir, kind))).filter((f) => f.endsWith(".json")).sort();
  await mkdir(path.join(outDir, "types", kind), { recursive: true });
  for (const file of files) {
    const schema = JSON.parse(await readFile(path.join(schemasDir, kind, file), "utf8"));
    const name = schema.title;
    const module = file.replace(/\.json$/, "");
    const source = await compile(schema, name, {
      bannerComment: banner,
      additionalProperties: false,
      format: false,
      strictIndexSignatures: true,
    });
    await writeFile(path.join(outDir, "types", kind, `${module}.d.ts`), source);
    exports.push(`export type { ${name} } from "./types/${kind}/${module}.js";`);
  }
}

await writeFile(path.join(outDir, "index.d.ts"), `${banner}\n${exports.join("\n")}\n`);
await writeFile(path.join(outDir, "index.js"), "export {};\n");
await writeFile(
  path.join(outDir, "package.json"),
  JSON.stringify(
    {
      name: "@tradeloop/contracts",
      version,
      description: "Tradeloop API bodies and events: JSON Schemas and TypeScript types.",
      license: "Apache-2.0",
      type: "module",
      main: "index.js",
      types: "index.d.ts",
      files: ["index.js", "index.d.ts", "types", "schemas"],
      exports: { ".": { types: "./index.d.ts", default: "./index.js" }, "./schemas/*": "./schemas/*" },
    },
    null,
    2,
  ) + "\n",
);
console.log(`built @tradeloop/contracts ${version} in ${outDir} (${exports.length} types)`);
