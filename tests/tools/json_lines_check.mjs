// Checks a log written with --log-format json: every line is one JSON object with "time" (RFC 3339 UTC with
// microseconds), "level" (debug, info, warn, error) and "message" (a string), and only string fields besides;
// "task", when given on the command line, must be on every line that has one. Prints the number of lines, or the
// first bad line on stderr and exits 1.
// usage: node json_lines_check.mjs FILE [TASK]
import { readFileSync } from "node:fs";

const [file, task] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
if (text !== "" && !text.endsWith("\n")) {
  console.error(`${file}: the last line has no newline`);
  process.exit(1);
}
lines.forEach((l, i) => {
  const bad = (why) => {
    console.error(`${file}:${i + 1}: ${why}: ${l}`);
    process.exit(1);
  };
  let o;
  try {
    o = JSON.parse(l);
  } catch (e) {
    bad(`not JSON (${e.message})`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) bad("not an object");
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(o.time ?? "")) bad("no RFC 3339 UTC time");
  if (!["debug", "info", "warn", "error"].includes(o.level)) bad("no level");
  if (typeof o.message !== "string") bad("no message");
  for (const [k, v] of Object.entries(o)) if (typeof v !== "string") bad(`field ${k} is not a string`);
  if (task && "task" in o && o.task !== task) bad(`task is ${o.task}`);
});
console.log(lines.length);
