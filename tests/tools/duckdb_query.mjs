// Runs SQL in an in-memory DuckDB and prints each result row as tab-separated text (NULL as \N).
// DuckDB is the independent reader the tests use: if DuckDB cannot read a file logtap wrote, the file is wrong.
// Usage: node duckdb_query.mjs "SQL" [more SQL statements...]   (only the last statement's rows are printed)
import { DuckDBInstance } from '@duckdb/node-api';

const statements = process.argv.slice(2);
if (statements.length === 0) {
  console.error('usage: duckdb_query.mjs SQL [SQL...]');
  process.exit(2);
}
try {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  let reader;
  for (const sql of statements) reader = await conn.runAndReadAll(sql);
  for (const row of reader.getRows()) {
    console.log(row.map((v) => (v === null ? '\\N' : typeof v === 'object' ? String(v) : String(v))).join('\t'));
  }
} catch (e) {
  console.error(`duckdb: ${e.message}`);
  process.exit(1);
}
