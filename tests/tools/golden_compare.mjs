// Compares logtap's CDC files with pgcopydb's expected pgoutput changes (the cdc-pgoutput golden test, see
// tests/integration/test_pg_golden.sh). Node only, no packages.
//
// usage: node golden_compare.mjs EXPECTED.pgout LAKE_DIR CATALOG.json STATUS.json [EVENTS.json]
//   EXPECTED.pgout  pgcopydb's JSON array of changes: {action I|U|D|T, nspname, relname, old_type O|K|null,
//                   cols: JSON text of [{section N|O|K, pos, name, status t|n|u, value}]}
//   LAKE_DIR        logtap's target.path (CSV, AddColumnName true, CsvNullValue NULL, no TimestampColumnName)
//   CATALOG.json    [{schema, table, root_schema, root_table, columns: [non-generated, in table order],
//                     generated: [...], key: [primary key columns of the root]}] for every source table
//   STATUS.json     `logtap status --json`
//   EVENTS.json     optional: [{schema, table, kind, pos}] from the state store's events table
//
// Each expected change is mapped to the records logtap must have written, under logtap's documented
// transformations (README, "Change data capture (PostgreSQL)" and "Files"):
//   partition    a change of a partition is written under its partitioned root table (publish_via_partition_root)
//   nokey-U      on a table without a primary key (REPLICA IDENTITY FULL) an UPDATE is D of the old row + I of the new
//   key-U        an UPDATE that changes the primary key is D of the old key + I of the new row
//   key-only-D   a D under the default replica identity carries the key; the other columns are NULL and listed in
//                _logtap_unchanged
//   truncate     TRUNCATE is not a row: it is counted in the state store (status "truncates", events table)
//   generated    generated columns are not captured (absent from the header)
// and one caveat of the expected file itself: pgcopydb renders an empty string as value null with status 't'.
// Every expected record must match one logtap record (same table, op, values, _logtap_unchanged), in commit
// order by _logtap_pos; every logtap record must be matched. Prints a report; exits 0 only when all match.
import fs from 'node:fs';
import path from 'node:path';

const [expectedPath, lakeDir, catalogPath, statusPath, eventsPath] = process.argv.slice(2);
if (!statusPath) {
  console.error('usage: node golden_compare.mjs EXPECTED.pgout LAKE_DIR CATALOG.json STATUS.json [EVENTS.json]');
  process.exit(2);
}
const NULL_VALUE = 'NULL';
let failures = 0;
const fail = (msg) => { failures++; console.log(`FAILED: ${msg}`); };
const ok = (msg) => console.log(`ok: ${msg}`);

// RFC 4180: fields separated by `,`, records by LF or CRLF, a quoted field may hold `,`, `"` (doubled) and line
// breaks. Each field is {v, q}: its text and whether it was quoted (an unquoted NULL is SQL NULL).
function parseCsv(text) {
  const rows = [];
  let row = [], i = 0;
  const n = text.length;
  if (n === 0) return rows;
  for (;;) {
    let v = '', q = false;
    if (text[i] === '"') {
      q = true;
      i++;
      for (;;) {
        if (i >= n) throw new Error('CSV: unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += text[i++];
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
        throw new Error(`CSV: text after a closing quote at offset ${i}`);
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '"') throw new Error(`CSV: quote inside an unquoted field at offset ${i}`);
        v += text[i++];
      }
    }
    row.push({ v, q });
    if (i >= n) { rows.push(row); break; }
    if (text[i] === ',') { i++; continue; }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    rows.push(row);
    row = [];
    if (i >= n) break;
  }
  return rows;
}

// agent/path_escape.c, as documented: letters, digits, `_ - .` and bytes >= 0x80 stay, others become %XX (a
// leading `.` too). Names whose escaped form passes 240 bytes are cut and hashed: not needed here.
function escapeComponent(name) {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0) return '%';
  let out = '';
  bytes.forEach((c, i) => {
    const keep = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f ||
      c === 0x2d || c === 0x2e || c >= 0x80;
    out += keep && !(i === 0 && c === 0x2e) ? String.fromCharCode(c) : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  });
  if (out.length > 240) throw new Error(`name too long for this comparator: ${name}`);
  return Buffer.from(out, 'latin1').toString('utf8');
}

const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));
const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
const status = JSON.parse(fs.readFileSync(statusPath, 'utf8'));
const events = eventsPath ? JSON.parse(fs.readFileSync(eventsPath, 'utf8')) : null;
const tkey = (s, t) => JSON.stringify([s, t]);
const catByName = new Map(catalog.map((c) => [tkey(c.schema, c.table), c]));
const show = (s, t) => `${s}.${t}`;

// ---- logtap's records: every CDC file of every table folder, header checked against the catalog
const roots = new Map(); // tkey(root) -> catalog entry of the root
for (const c of catalog) if (c.schema === c.root_schema && c.table === c.root_table) roots.set(tkey(c.schema, c.table), c);
const folderOf = new Map(); // escaped "schema/table" -> root entry
for (const c of roots.values()) folderOf.set(`${escapeComponent(c.schema)}/${escapeComponent(c.table)}`, c);

// The names of a _logtap_unchanged list: comma-separated, a name holding a comma, starting with a quote, or empty
// in double quotes with its quotes doubled (README, "Change data capture").
function unchangedNames(list) {
  const names = [];
  let i = 0;
  while (i < list.length) {
    let name = '';
    if (list[i] === '"') {
      i++;
      for (;;) {
        if (i >= list.length) throw new Error(`unterminated quote in _logtap_unchanged [${list}]`);
        if (list[i] === '"' && list[i + 1] === '"') { name += '"'; i += 2; continue; }
        if (list[i] === '"') { i++; break; }
        name += list[i++];
      }
    } else {
      while (i < list.length && list[i] !== ',') name += list[i++];
    }
    names.push(name);
    if (list[i] === ',') i++;
  }
  return names;
}

const records = []; // {schema, table, op, vals: Map name -> {v, isNull}, unchanged: Set, pos, file, used}
const CDC_FILE = /^\d{8}-\d{9}\.csv$/;
function listCdcFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && /^\d{4}$|^\d{2}$/.test(e.name)) out.push(...listCdcFiles(p)); // DatePartitionEnabled
    else if (e.isFile() && CDC_FILE.test(e.name)) out.push(p);
  }
  return out;
}
for (const s of fs.readdirSync(lakeDir, { withFileTypes: true })) {
  if (!s.isDirectory() || s.name === '_state') continue;
  for (const t of fs.readdirSync(path.join(lakeDir, s.name), { withFileTypes: true })) {
    const folder = `${s.name}/${t.name}`;
    const root = folderOf.get(folder);
    if (!root) { fail(`folder ${folder} is no source table's escaped root name`); continue; }
    const wantHeader = ['Op', ...root.columns, '_logtap_pos', '_logtap_unchanged'];
    for (const file of listCdcFiles(path.join(lakeDir, folder)).sort()) {
      const rel = path.relative(lakeDir, file);
      let rows;
      try { rows = parseCsv(fs.readFileSync(file, 'utf8')); } catch (e) { fail(`${rel}: ${e.message}`); continue; }
      const header = rows.shift() || [];
      if (JSON.stringify(header.map((f) => f.v)) !== JSON.stringify(wantHeader)) {
        fail(`${rel}: header ${JSON.stringify(header.map((f) => f.v))}, expected ${JSON.stringify(wantHeader)}`);
        continue;
      }
      const gen = (root.generated || []).filter((g) => header.some((f) => f.v === g));
      if (gen.length) fail(`${rel}: generated columns in the header: ${gen.join(', ')}`);
      for (const [ri, r] of rows.entries()) {
        if (r.length !== header.length) { fail(`${rel} row ${ri + 2}: ${r.length} fields, header has ${header.length}`); continue; }
        const vals = new Map();
        root.columns.forEach((c, k) => {
          const f = r[k + 1];
          vals.set(c, { v: f.v, isNull: !f.q && f.v === NULL_VALUE });
        });
        const un = r[header.length - 1];
        records.push({
          schema: root.schema, table: root.table, op: r[0].v, vals, pos: r[header.length - 2].v,
          unchanged: new Set(unchangedNames(un.v)), unchangedNull: !un.q && un.v === NULL_VALUE,
          where: `${rel} row ${ri + 2}`, used: false,
        });
      }
    }
  }
}
records.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
ok(`read ${records.length} records from the CDC files of ${new Set(records.map((r) => tkey(r.schema, r.table))).size} tables`);

// ---- expected changes -> the records logtap must have written
function sectionOf(cols, name) {
  const m = new Map();
  for (const c of cols) if (c.section === name) m.set(c.name, c);
  return m.size ? m : null;
}
// One expected column -> {kind: 'value', v} | {kind: 'null'} | {kind: 'unchanged'}; notes collects caveats used.
function expectColumn(c, keyOnly, isKey, notes) {
  if (!c) return keyOnly && !isKey ? { kind: 'unchanged' } : { kind: 'missing' };
  if (c.status === 'u') return { kind: 'unchanged' };
  if (c.status === 'n') return keyOnly && !isKey ? { kind: 'unchanged' } : { kind: 'null' };
  if (c.status === 't') {
    if (c.value === null) { notes.add('empty-string'); return { kind: 'value', v: '' }; }
    return { kind: 'value', v: c.value };
  }
  return { kind: 'bad', why: `status ${c.status}` };
}
function derive(e) { // -> {target, recs: [{op, cols: Map name -> expectation}], transforms: Set, notes: Set}
  const src = catByName.get(tkey(e.nspname, e.relname));
  const transforms = new Set(), notes = new Set();
  if (!src) return { error: `no table ${show(e.nspname, e.relname)} in the source catalog` };
  const root = roots.get(tkey(src.root_schema, src.root_table));
  if (root !== src) transforms.add('partition');
  const target = { schema: root.schema, table: root.table };
  if (e.action === 'T') { transforms.add('truncate'); return { target, truncate: true, recs: [], transforms, notes }; }
  const cols = e.cols ? JSON.parse(e.cols) : [];
  const N = sectionOf(cols, 'N');
  const old = sectionOf(cols, 'O') || sectionOf(cols, 'K');
  const oldIsKeyOnly = !sectionOf(cols, 'O');
  const key = new Set(root.key);
  const rec = (op, sec, keyOnly) => {
    const m = new Map();
    for (const c of root.columns) m.set(c, expectColumn(sec.get(c), keyOnly, key.has(c), notes));
    for (const name of sec.keys())
      if (!root.columns.includes(name)) m.set(name, { kind: 'absent' }); // a column logtap does not have
    if (keyOnly && [...m.values()].some((x) => x.kind === 'unchanged')) transforms.add('key-only-D');
    return { op, cols: m };
  };
  if (e.action !== 'D' && !N) return { error: `${e.action} without a new tuple` };
  if (e.action === 'D' && !old) return { error: 'D without an old tuple' };
  if (e.action === 'I') return { target, recs: [rec('I', N, false)], transforms, notes };
  if (e.action === 'D') return { target, recs: [rec('D', old, oldIsKeyOnly)], transforms, notes };
  if (e.action !== 'U') return { error: `unknown action ${e.action}` };
  let split = null;
  if (key.size === 0) split = 'nokey-U';
  else if (old) {
    for (const k of key) {
      const a = old.get(k), b = N.get(k);
      if (a && b && (a.status !== b.status || a.value !== b.value)) split = 'key-U';
    }
  }
  if (!split) return { target, recs: [rec('U', N, false)], transforms, notes };
  if (!old) return { error: `U needs D+I (${split}) but has no old tuple` };
  transforms.add(split);
  return { target, recs: [rec('D', old, oldIsKeyOnly), rec('I', N, false)], transforms, notes };
}

function mismatches(exp, r) { // differences between one expected record and one logtap record, as text
  const out = [];
  if (exp.op !== r.op) out.push(`op ${r.op}, expected ${exp.op}`);
  const wantUnchanged = new Set();
  for (const [name, x] of exp.cols) {
    const got = r.vals.get(name);
    if (x.kind === 'absent') { out.push(`column ${name} of the expected change is not in logtap's header`); continue; }
    if (x.kind === 'missing') { out.push(`column ${name}: not in the expected change`); continue; }
    if (x.kind === 'bad') { out.push(`column ${name}: ${x.why}`); continue; }
    const gotText = got.isNull ? 'NULL' : JSON.stringify(got.v);
    if (x.kind === 'unchanged') {
      wantUnchanged.add(name);
      if (!got.isNull) out.push(`${name}: ${gotText}, expected NULL (unchanged)`);
    } else if (x.kind === 'null') {
      if (!got.isNull) out.push(`${name}: ${gotText}, expected NULL`);
    } else if (got.isNull || got.v !== x.v) {
      out.push(`${name}: ${gotText}, expected ${JSON.stringify(x.v)}`);
    }
  }
  if (r.unchangedNull) out.push('_logtap_unchanged is NULL');
  const a = [...r.unchanged].sort().join(','), b = [...wantUnchanged].sort().join(',');
  if (a !== b) out.push(`_logtap_unchanged [${a}], expected [${b}]`);
  return out;
}

// ---- match, in expected order: each expected record takes the first unused logtap record of its table and op
// with the same values; a record of the right table and op that differs is reported against the expectation.
const truncatesExpected = new Map();
const derived = [];
let exact = 0, exactWithCaveat = 0, transformed = 0, failed = 0;
const transformCounts = new Map(), noteCounts = new Map();
const sequence = []; // matched logtap positions (and truncate markers) in expected order
for (const [i, e] of expected.entries()) {
  const d = derive(e);
  derived.push(d);
  const label = `#${i} ${e.action} ${show(e.nspname, e.relname)}`;
  if (d.error) { failed++; fail(`${label}: ${d.error}`); continue; }
  if (d.truncate) {
    const k = tkey(d.target.schema, d.target.table);
    truncatesExpected.set(k, (truncatesExpected.get(k) || 0) + 1);
    sequence.push({ truncate: k, label });
    continue;
  }
  const problems = [];
  for (const x of d.recs) {
    const cands = records.filter((r) => !r.used && r.schema === d.target.schema && r.table === d.target.table && r.op === x.op);
    const hit = cands.find((r) => mismatches(x, r).length === 0);
    if (hit) { hit.used = true; sequence.push({ pos: hit.pos, label, where: hit.where }); continue; }
    if (!cands.length) problems.push(`no unmatched ${x.op} record in ${show(d.target.schema, d.target.table)}`);
    else {
      const near = cands.map((r) => ({ r, m: mismatches(x, r) })).reduce((a, b) => (b.m.length < a.m.length ? b : a));
      problems.push(`${x.op}: nearest ${near.r.where}: ${near.m.join('; ')}`);
    }
  }
  if (problems.length) { failed++; fail(`${label}: ${problems.join(' | ')}`); continue; }
  if (d.transforms.size) transformed++;
  else if (d.notes.size) exactWithCaveat++;
  else exact++;
  for (const t of d.transforms) transformCounts.set(t, (transformCounts.get(t) || 0) + 1);
  for (const t of d.notes) noteCounts.set(t, (noteCounts.get(t) || 0) + 1);
}

// TRUNCATE: status counts per table, and the events table (when given) with positions in commit order
const statusTables = new Map((status.tables || []).map((t) => [tkey(t.schema, t.table), t]));
for (const [k, n] of truncatesExpected) {
  const [s, t] = JSON.parse(k);
  const got = statusTables.get(k)?.truncates ?? 0;
  if (got !== n) { fail(`TRUNCATE of ${show(s, t)}: status says ${got}, expected ${n}`); failed++; }
  else {
    ok(`TRUNCATE of ${show(s, t)}: status truncates = ${n}`);
    transformCounts.set('truncate', (transformCounts.get('truncate') || 0) + n);
    transformed += n;
  }
}
for (const t of status.tables || []) {
  if (t.truncates && !truncatesExpected.has(tkey(t.schema, t.table)))
    fail(`status counts ${t.truncates} TRUNCATE of ${show(t.schema, t.table)}, none expected`);
}
if (events) {
  const evs = events.filter((x) => x.kind === 'truncate');
  for (const item of sequence.filter((x) => x.truncate)) {
    const j = evs.findIndex((x) => !x.used && tkey(x.schema, x.table) === item.truncate);
    if (j < 0) { fail(`${item.label}: no truncate row in the events table`); continue; }
    evs[j].used = true;
    item.pos = evs[j].pos;
    item.where = 'events';
  }
  for (const x of evs) if (!x.used) fail(`events: truncate of ${show(x.schema, x.table)} at ${x.pos} not expected`);
  if (evs.length && evs.every((x) => x.used)) ok(`events table: ${evs.length} truncate row(s), one per expected T`);
}

// commit order: positions of the matched records must increase in the order of the expected changes
const placed = sequence.filter((x) => x.pos);
let orderOk = true;
for (let j = 1; j < placed.length; j++) {
  if (placed[j].pos <= placed[j - 1].pos) {
    orderOk = false;
    fail(`order: ${placed[j].label} (${placed[j].where}, ${placed[j].pos}) is not after ${placed[j - 1].label} (${placed[j - 1].pos})`);
  }
}
if (orderOk) ok(`commit order: ${placed.length} matched records${events ? ' and truncates' : ''} have increasing _logtap_pos in the expected order`);

// counts per (schema, table, op): expected after the transformations vs written
const count = (m, k) => m.set(k, (m.get(k) || 0) + 1);
const want = new Map(), got = new Map();
for (const d of derived) if (d.recs) for (const x of d.recs) count(want, `${show(d.target.schema, d.target.table)} ${x.op}`);
for (const [k, n] of truncatesExpected) want.set(`${show(...JSON.parse(k))} T`, n);
for (const r of records) count(got, `${show(r.schema, r.table)} ${r.op}`);
for (const t of status.tables || []) if (t.truncates) got.set(`${show(t.schema, t.table)} T`, t.truncates);
const keys = [...new Set([...want.keys(), ...got.keys()])].sort();
console.log('counts per (schema.table, op): expected after transformations / written by logtap');
for (const k of keys) {
  const a = want.get(k) || 0, b = got.get(k) || 0;
  console.log(`  ${a === b ? '  ' : '!!'} ${k}: ${a} / ${b}`);
  if (a !== b) fail(`count of ${k}: logtap wrote ${b}, expected ${a}`);
}

const extra = records.filter((r) => !r.used);
for (const r of extra)
  fail(`extra logtap record ${r.op} ${show(r.schema, r.table)} at ${r.pos} (${r.where}): ` +
    [...r.vals].map(([k, v]) => `${k}=${v.isNull ? 'NULL' : JSON.stringify(v.v)}`).join(' '));

console.log(`expected changes: ${expected.length}; identical: ${exact + exactWithCaveat} (${exactWithCaveat} of them reading ` +
  `pgcopydb's null-with-status-t as ''); equal after documented transformations: ${transformed}; different: ${failed}`);
for (const [t, n] of [...transformCounts].sort()) console.log(`  transformation ${t}: ${n} change(s)`);
for (const [t, n] of [...noteCounts].sort()) console.log(`  caveat ${t} (pgcopydb renders '' as null with status t): ${n} change(s)`);
console.log(`logtap records: ${records.length}; matched: ${records.length - extra.length}; extra: ${extra.length}`);
console.log(failures ? `golden comparison FAILED (${failures} problem(s))` : 'golden comparison passed');
process.exit(failures ? 1 : 0);
