// A strict check of a Prometheus text exposition file (format 0.0.4, as node_exporter's textfile collector reads
// it): every line is a # HELP, a # TYPE or a sample; names and label names follow the format's grammar; label
// values use only the escapes \\ \" \n and are valid UTF-8; values are floats, NaN, +Inf or -Inf; a family's HELP
// and TYPE come once, before its samples, and its samples stand together; no series appears twice; counters end in
// _total; the file ends with a newline. Prints each sample as "name<TAB>label=value,...<TAB>value" with the label
// values decoded (for the test to query), or the first violation on stderr and exits 1.
// usage: node prom_check.mjs FILE
import { readFileSync } from "node:fs";

const file = process.argv[2];
const bytes = readFileSync(file);
const fail = (line, why) => {
  console.error(`${file}:${line}: ${why}`);
  process.exit(1);
};
let text;
try {
  text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
} catch {
  fail(0, "not valid UTF-8");
}
if (text.length === 0) fail(0, "empty file");
if (!text.endsWith("\n")) fail(0, "does not end with a newline");
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;
const TYPES = new Set(["counter", "gauge", "untyped", "summary", "histogram"]);
const help = new Map(), type = new Map(), done = new Set(), series = new Set();
let current = null;
const out = [];
const lines = text.slice(0, -1).split("\n");
lines.forEach((l, i) => {
  const n = i + 1;
  if (l.startsWith("#")) {
    const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(l);
    if (!m) fail(n, "a comment that is neither # HELP nor # TYPE");
    const [, kind, name, rest] = m;
    if (!NAME.test(name)) fail(n, `bad metric name ${name}`);
    if (done.has(name)) fail(n, `${name}: its family appears again after other families`);
    if (current !== null && current !== name) done.add(current);
    current = name;
    if (kind === "HELP") {
      if (help.has(name)) fail(n, `${name}: HELP twice`);
      if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) fail(n, `${name}: HELP has an escape other than \\\\ or \\n`);
      help.set(name, rest);
    } else {
      if (type.has(name)) fail(n, `${name}: TYPE twice`);
      if (!TYPES.has(rest)) fail(n, `${name}: unknown type ${rest}`);
      if (out.some((s) => s.name === name)) fail(n, `${name}: TYPE after its samples`);
      if (rest === "counter" && !name.endsWith("_total")) fail(n, `${name}: a counter whose name does not end in _total`);
      type.set(name, rest);
    }
    return;
  }
  // a sample: name, optional {labels}, a space, the value (no timestamps: the textfile collector refuses them)
  const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(l);
  if (!nm) fail(n, "not a sample line");
  const name = nm[1];
  let p = name.length;
  const labels = [];
  if (l[p] === "{") {
    p++;
    while (l[p] !== "}") {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(l.slice(p));
      if (!lm) fail(n, `bad label at column ${p + 1}`);
      p += lm[0].length;
      let v = "";
      for (;;) {
        if (p >= l.length) fail(n, "label value not closed");
        const c = l[p];
        if (c === '"') break;
        if (c === "\\") {
          const e = l[p + 1];
          if (e === "\\") v += "\\";
          else if (e === '"') v += '"';
          else if (e === "n") v += "\n";
          else fail(n, `label ${lm[1]}: bad escape \\${e}`);
          p += 2;
        } else {
          v += c;
          p++;
        }
      }
      p++;
      if (!LABEL.test(lm[1]) || lm[1].startsWith("__")) fail(n, `bad label name ${lm[1]}`);
      if (labels.some(([k]) => k === lm[1])) fail(n, `label ${lm[1]} twice`);
      labels.push([lm[1], v]);
      if (l[p] === ",") p++;
      else if (l[p] !== "}") fail(n, `expected , or } at column ${p + 1}`);
    }
    p++;
  }
  if (l[p] !== " ") fail(n, "expected a space before the value");
  const value = l.slice(p + 1);
  if (!VALUE.test(value)) fail(n, `bad value "${value}" (or a timestamp)`);
  if (current !== name) {
    if (done.has(name) || out.some((s) => s.name === name)) fail(n, `${name}: samples not together`);
    if (current !== null) done.add(current);
    current = name;
  }
  if (!type.has(name) || !help.has(name)) fail(n, `${name}: a sample without HELP and TYPE before it`);
  const key = name + "{" + labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort().join(",") + "}";
  if (series.has(key)) fail(n, `series ${key} twice`);
  series.add(key);
  out.push({ name, labels, value });
});
for (const s of out)
  console.log(`${s.name}\t${s.labels.map(([k, v]) => `${k}=${v.replace(/\n/g, "\\n")}`).join(",")}\t${s.value}`);
