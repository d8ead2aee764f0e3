/* logtap's commands: argument parsing, help texts, and the full-load and status commands. */
#include "agent/commands.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cdc.h"
#include "agent/check.h"
#include "agent/config.h"
#include "agent/did_you_mean.h"
#include "agent/full_load.h"
#include "agent/log.h"
#include "agent/merge.h"
#include "agent/progress.h"
#include "agent/reload.h"
#include "agent/retire.h"
#include "agent/signals.h"
#include "agent/source.h"
#include "agent/task_lock.h"
#include "agent/task_metrics.h"
#include "agent/utc_time.h"
#include "agent/validate.h"
#include "agent/version.h"
#include "state/state_store.h"

struct command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(const struct lt_task_config *cfg, int argc, char **argv);
};

static const char main_usage[] =
    "logtap %s: change-data-capture from PostgreSQL and MySQL/MariaDB into CSV and Parquet files\n"
    "\n"
    "usage: logtap <command> --config task.json [options]\n"
    "\n"
    "commands:\n"
    "%s"
    "\n"
    "--metrics-file PATH (replicate, full-load, merge): metrics in Prometheus text format, written atomically to\n"
    "PATH at every flush and at least every 15 s, for node_exporter's textfile collector (README.md lists them).\n"
    "\n"
    "options for every command:\n"
    "  -c, --config FILE   the task config (JSON)\n"
    "  -q, --quiet         only warnings and errors on stderr (--log-level warn)\n"
    "  --log-level LEVEL   debug, info (default), warn or error\n"
    "  --log-format FORMAT text (default) or json: one JSON object per line on stderr (time, level, task,\n"
    "                      schema and table where the line is about one, message)\n"
    "  -h, --help          help for the command\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 usage or config error\n"
    "`logtap <command> --help` describes one command.\n";

static int run_full_load(const struct lt_task_config *cfg, int argc, char **argv);
static int run_status(const struct lt_task_config *cfg, int argc, char **argv);
static int run_replicate(const struct lt_task_config *cfg, int argc, char **argv);
static int run_merge(const struct lt_task_config *cfg, int argc, char **argv);
static int run_validate(const struct lt_task_config *cfg, int argc, char **argv);
static int run_check(const struct lt_task_config *cfg, int argc, char **argv);
static int run_reload(const struct lt_task_config *cfg, int argc, char **argv);
static int run_drop(const struct lt_task_config *cfg, int argc, char **argv);

static const struct command commands[] = {
    {"check", "pre-flight: every problem that would stop or harm the task, changing nothing",
     "usage: logtap check --config task.json [--json]\n"
     "\n"
     "Connects to the source and reports every problem that would stop the task or harm the source, for the\n"
     "task's migration_type, without changing anything (no publication, no slot, no state file, no files):\n"
     "source settings (PostgreSQL wal_level; MySQL/MariaDB log_bin, binlog_format, binlog_row_image), the\n"
     "user's privileges (REPLICATION, SELECT, table ownership for the publication; RELOAD, REPLICATION CLIENT,\n"
     "REPLICATION SLAVE), the replication slot, server_id, and the selected tables: tables without a primary key\n"
     "or replica identity (source.tables_without_key), unlogged tables, views, partitions named instead of their\n"
     "root, databases that do not exist. Each finding is an error, a warning or an info line naming the object\n"
     "and the fix. `replicate` and `full-load` run the same checks first and stop on an error.\n"
     "Exit 0 when the task can run (warnings allowed), 2 when it cannot run as configured, 1 when the source\n"
     "cannot be reached. --json prints the findings as one JSON document.\n",
     run_check},
    {"full-load", "load every selected table from one consistent snapshot, then exit",
     "usage: logtap full-load --config task.json [--metrics-file PATH] [--quiet]\n"
     "\n"
     "Reads every table the task's table_mappings select from one consistent snapshot of the source and writes\n"
     "<target.path>/<schema>/<table>/LOAD00000001.<csv|parquet>, ... A re-run replaces the previous load of each\n"
     "table. Progress goes to stderr (redrawn in place on a terminal). It first runs the checks of `logtap check`\n"
     "that concern a full load, and stops (exit 2) before writing anything when one finds an error.\n",
     run_full_load},
    {"replicate", "run the task: full load and/or change data capture, until stopped",
     "usage: logtap replicate --config task.json [--until now|POSITION] [--start-over] [--metrics-file PATH]\n"
     "       [--quiet]\n"
     "\n"
     "Runs the task's migration_type:\n"
     "  full-load          the same as `logtap full-load`\n"
     "  cdc                change data capture from now on (creates the publication and the replication slot)\n"
     "  full-load-and-cdc  a full load from the slot's snapshot, then change data capture from exactly there\n"
     "Changes go to <target.path>/<schema>/<table>/<YYYYMMDD-HHMMSSmmm>.<ext> with an Op column (I, U, D),\n"
     "a file closing every CdcMaxBatchInterval seconds or CdcMinFileSize KB. Every flush is durable before the\n"
     "checkpoint moves and before the source is told; a restart resumes from the checkpoint.\n"
     "Runs until SIGINT/SIGTERM (flushes, exits 0), or with --until: `now` (the source's position when the\n"
     "command started) or a checkpoint as `logtap status` prints it (PostgreSQL: an LSN like 0/16B3748;\n"
     "MySQL/MariaDB: file:position like mysql-bin.000003:1234), then exits 0 once all of it is durable, at once\n"
     "when it already is. A position that does not parse exits 2 before anything connects.\n"
     "It first runs the checks of `logtap check` and stops (exit 2) before creating a publication or a slot or\n"
     "writing anything when one finds an error; warnings are logged.\n"
     "A task without a checkpoint whose slot exists (not created by its state store) or whose tables' folders\n"
     "hold files is refused (exit 1): its state store was lost. --start-over begins the task again on purpose:\n"
     "the state store and the tables' folders are moved aside to _replaced-<time> folders, then a new full load.\n",
     run_replicate},
    {"merge", "write point-in-time snapshots of every table from the load and the changes",
     "usage: logtap merge --config task.json [--as-of TIME|POSITION] [--metrics-file PATH] [--quiet]\n"
     "\n"
     "For every table, applies the CDC files recorded after its newest snapshot (or its full load) and writes\n"
     "<merge.path>/<schema>/<table>/snapshot=<YYYYMMDDTHHMMSSZ>/part-00000.<ext>, named after the commit time of\n"
     "its newest change, atomically; older snapshots beyond merge.keep are removed. Default: everything up to the\n"
     "last checkpoint. --as-of takes a UTC time: transactions committed at or before it (2024-01-31T12:00:00Z,\n"
     "2024-01-31 12:00:00.5+00, 2024-01-31T14:00:00+02:00; a date alone is midnight UTC; no offset means UTC);\n"
     "or a checkpoint as `logtap status` prints it (an LSN like 0/16B3748, mysql-bin.000003:1234): transactions\n"
     "that ended at or before it; or a _logtap_pos value: changes up to and including it. A point before the\n"
     "task's full load, or one that does not parse, exits 2. Running it again with nothing new writes nothing.\n"
     "Safe while `replicate` runs; a second concurrent merge exits with an error. Memory stays within\n"
     "merge.memory_limit_mb (default 256): larger tables spill to partition files beside the snapshots.\n",
     run_merge},
    {"validate", "compare the newest snapshot of each table with the live source",
     "usage: logtap validate --config task.json\n"
     "\n"
     "For every table, counts the rows of its newest snapshot and of the live source table, and compares an\n"
     "order-independent checksum of the rows computed on both sides (md5 of each row's canonical text, summed).\n"
     "Prints one line per table; exits 1 on any mismatch. Changes made since the snapshot count as differences:\n"
     "validate a quiet source right after `logtap replicate --until now` and `logtap merge`.\n",
     run_validate},
    {"reload", "load one table again while the change stream goes on",
     "usage: logtap reload --config task.json --table SCHEMA.TABLE [--no-wait] [--quiet]\n"
     "\n"
     "Loads the table again (DMS's \"reload table\"), exactly at its seam with the change stream: its new LOAD\n"
     "files come from a snapshot at a position of the stream, and only its changes after that position count.\n"
     "When `logtap replicate` runs, it does the load while its stream goes on and reload waits for it\n"
     "(--no-wait: just ask); otherwise reload loads the table itself. SCHEMA is the database for MySQL/MariaDB;\n"
     "quote a name holding a dot: \"my.schema\".orders. The table must be selected by table_mappings.\n",
     run_reload},
    {"drop", "retire the task: remove its replication slot and publications",
     "usage: logtap drop --config task.json --confirm\n"
     "\n"
     "Removes what the task holds on the source (PostgreSQL: its replication slot, which keeps the server's WAL\n"
     "for as long as it exists, and its publications). Without --confirm it only lists them. The task's files\n"
     "and state store stay; the task cannot resume afterwards. Refused while a runner of the task is active.\n",
     run_drop},
    {"status", "show the task's tables, their state and statistics",
     "usage: logtap status --config task.json [--json]\n"
     "\n"
     "Prints, from the task's state store, each table's state (pending, loading, loaded, failed), full-load rows,\n"
     "inserts, updates, deletes, files and bytes; the CDC checkpoint, the source's position and the lag; the\n"
     "snapshots. --json prints the same as one JSON document: times in RFC 3339 UTC (2024-01-31T12:00:00.123456Z),\n"
     "positions as checkpoints (what --until and --as-of take), _logtap_pos values under keys ending in\n"
     "logtap_pos (README.md lists the fields).\n",
     run_status},
};

static const int ncommands = (int)(sizeof commands / sizeof commands[0]);

static void print_main_usage(FILE *out)
{
    char list[2048];
    size_t n = 0;
    for (int i = 0; i < ncommands; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, main_usage, LOGTAP_VERSION, list);
}

static int usage_error(const char *what, const char *arg)
{
    lt_log_message(LT_LOG_ERROR, "logtap: %s%s%s%s", what, arg ? " \"" : "", arg ? arg : "", arg ? "\"" : "");
    lt_log_message(LT_LOG_ERROR, "Try `logtap --help`.");
    return LT_ERR_CONFIG;
}

static void unexpected_arg(const char *cmd, const char *arg)
{
    lt_log_message(LT_LOG_ERROR, "logtap %s: unexpected argument \"%s\"", cmd, arg);
    lt_log_message(LT_LOG_ERROR, "Try `logtap %s --help`.", cmd);
}

/* --log-level and --log-format, taken before anything is printed (so even a usage error follows them; the format
 * first, so that a bad level is said in the format asked for). */
static int log_options(int argc, char **argv)
{
    const char *level = NULL, *format = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strncmp(a, "--log-level", 11) ? &level : !strncmp(a, "--log-format", 12) ? &format : NULL;
        if (!slot)
            continue;
        size_t n = slot == &level ? 11 : 12;
        if (a[n] == '=')
            *slot = a + n + 1;
        else if (a[n] == '\0')
            *slot = i + 1 < argc ? argv[++i] : "";
    }
    enum lt_log_level lv;
    enum lt_log_format fmt;
    const char *bad = NULL;
    if (format && lt_log_parse_format(format, &fmt))
        lt_log_set_format(fmt);
    else if (format)
        bad = "--log-format";
    if (!bad && level && lt_log_parse_level(level, &lv))
        lt_log_set_level(lv);
    else if (!bad && level)
        bad = "--log-level";
    if (!bad)
        return LT_OK;
    bool is_level = bad[6] == 'l';
    lt_log_message(LT_LOG_ERROR, "logtap: %s \"%s\": must be %s", bad, is_level ? level : format,
                   is_level ? "debug, info, warn or error" : "text or json");
    lt_log_message(LT_LOG_ERROR, "Try `logtap --help`.");
    return LT_ERR_CONFIG;
}

int lt_main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stderr);
        return LT_ERR_CONFIG;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_main_usage(stdout);
        return LT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("logtap %s\n", LOGTAP_VERSION);
        return LT_OK;
    }
    if (log_options(argc, argv))
        return LT_ERR_CONFIG;
    const struct command *cmd = NULL;
    const char *names[16];
    for (int i = 0; i < ncommands && i < 15; i++) {
        names[i] = commands[i].name;
        names[i + 1] = NULL;
        if (!strcmp(argv[1], commands[i].name))
            cmd = &commands[i];
    }
    if (!cmd) {
        char hint[128];
        lt_did_you_mean(argv[1], names, hint, sizeof hint);
        lt_log_message(LT_LOG_ERROR, "logtap: unknown command \"%s\"%s", argv[1], hint);
        lt_log_message(LT_LOG_ERROR, "Try `logtap --help`.");
        return LT_ERR_CONFIG;
    }

    /* Common options; command-specific ones stay in argv for the command. */
    const char *config_path = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    rest[nrest++] = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(cmd->usage, stdout);
            free(rest);
            return LT_OK;
        } else if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
            if (i + 1 >= argc) {
                free(rest);
                return usage_error("--config needs a file name", NULL);
            }
            config_path = argv[++i];
        } else if (!strncmp(a, "--config=", 9)) {
            config_path = a + 9;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            lt_log_set_quiet(1);
        } else if (!strcmp(a, "--log-level") || !strcmp(a, "--log-format")) {
            i++; /* taken by log_options */
        } else if (!strncmp(a, "--log-level=", 12) || !strncmp(a, "--log-format=", 13)) {
            continue;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (!config_path) {
        free(rest);
        lt_log_message(LT_LOG_ERROR, "logtap %s: --config is required", cmd->name);
        if (lt_log_get_format() == LT_LOG_TEXT)
            fprintf(stderr, "\n%s", cmd->usage);
        else
            lt_log_message(LT_LOG_ERROR, "Try `logtap %s --help`.", cmd->name);
        return LT_ERR_CONFIG;
    }
    struct lt_task_config cfg;
    struct lt_error err = {0};
    if (lt_config_load_file(config_path, &cfg, &err)) {
        lt_log_message(LT_LOG_ERROR, "logtap: %s", err.msg);
        lt_config_free(&cfg);
        free(rest);
        return LT_ERR_CONFIG;
    }
    lt_log_set_task(cfg.task);
    lt_signals_install();
    int rc = cmd->run(&cfg, nrest, rest);
    lt_config_free(&cfg);
    free(rest);
    return rc;
}

/* Rejects any argument a command does not take. */
static int no_more_args(const char *cmd, int argc, char **argv)
{
    if (argc > 1) {
        unexpected_arg(cmd, argv[1]);
        return LT_ERR_CONFIG;
    }
    return LT_OK;
}

/* --metrics-file PATH (or --metrics-file=PATH) at argv[*i]: true when it is one, *path set, *i moved past it. */
static bool metrics_option(int argc, char **argv, int *i, const char **path)
{
    if (!strcmp(argv[*i], "--metrics-file")) {
        *path = *i + 1 < argc ? argv[++*i] : "";
        return true;
    }
    if (!strncmp(argv[*i], "--metrics-file=", 15)) {
        *path = argv[*i] + 15;
        return true;
    }
    return false;
}

/* A --metrics-file that cannot be written is a usage error, said before anything is locked or connected. */
static int check_metrics_path(const char *cmd, const char *path)
{
    struct lt_error err = {0};
    if (path && lt_task_metrics_check_path(path, &err)) {
        lt_log_message(LT_LOG_ERROR, "logtap %s: %s", cmd, err.msg);
        return LT_ERR_CONFIG;
    }
    return LT_OK;
}

/* Starts the metrics file (after the task's lock is held: a second runner, refused, must not overwrite it). */
static int start_metrics(const struct lt_task_config *cfg, const char *cmd, const char *path)
{
    struct lt_error err = {0};
    if (path && lt_task_metrics_start(cfg, cmd, path, &err)) {
        lt_log_error("%s", err.msg);
        return err.code ? err.code : LT_ERR_CONFIG;
    }
    return LT_OK;
}

static int run_full_load(const struct lt_task_config *cfg, int argc, char **argv)
{
    const char *metrics = NULL;
    for (int i = 1; i < argc; i++) {
        if (!metrics_option(argc, argv, &i, &metrics)) {
            unexpected_arg("full-load", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    if (check_metrics_path("full-load", metrics))
        return LT_ERR_CONFIG;
    struct lt_full_load_options opt = {.progress_tty = lt_progress_use_tty(), .log_interval_s = 10};
    struct lt_error err = {0};
    struct lt_task_lock *lock;
    if (lt_task_lock_acquire(cfg, "full-load", &lock, &err)) {
        lt_log_error("%s", err.msg);
        return LT_ERR_RUNTIME;
    }
    int rc = start_metrics(cfg, "full-load", metrics);
    if (!rc) {
        rc = lt_run_full_load(cfg, &opt, &err);
        if (rc)
            lt_task_metrics_error_code(err.code ? err.code : rc);
        lt_task_metrics_stop(lt_exit_code(rc));
    }
    lt_task_lock_release(lock);
    if (rc && err.msg[0]) {
        lt_log_error("full load failed: %s", err.msg);
        return rc;
    }
    printf("full load complete: files under %s, state in %s\n", cfg->target.path, cfg->state_path);
    return LT_OK;
}

static int run_check(const struct lt_task_config *cfg, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            unexpected_arg("check", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    struct lt_error err = {0};
    int rc = lt_run_check(cfg, json, &err);
    if (rc && err.msg[0])
        lt_log_error("check failed: %s", err.msg);
    return rc;
}

static int run_replicate(const struct lt_task_config *cfg, int argc, char **argv)
{
    struct lt_replicate_options opt = {.load = {.progress_tty = lt_progress_use_tty(), .log_interval_s = 10}};
    const char *metrics = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--start-over")) {
            opt.start_over = true;
        } else if (!strcmp(argv[i], "--until") && i + 1 < argc) {
            opt.until = argv[++i];
        } else if (!strncmp(argv[i], "--until=", 8)) {
            opt.until = argv[i] + 8;
        } else if (metrics_option(argc, argv, &i, &metrics)) {
            continue;
        } else {
            unexpected_arg("replicate", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    struct lt_error err = {0};
    char until[LT_CHECKPOINT_MAX];
    if (lt_replicate_check_options(cfg, &opt, until, &err)) { /* bad input: exit 2 before taking the lock */
        lt_log_error("replicate: %s", err.msg);
        return LT_ERR_CONFIG;
    }
    if (check_metrics_path("replicate", metrics))
        return LT_ERR_CONFIG;
    struct lt_task_lock *lock;
    if (lt_task_lock_acquire(cfg, "replicate", &lock, &err)) {
        lt_log_error("%s", err.msg);
        return LT_ERR_RUNTIME;
    }
    int rc = start_metrics(cfg, "replicate", metrics);
    if (!rc) {
        rc = lt_run_replicate(cfg, &opt, &err); /* it counts its errors in the metrics itself */
        lt_task_metrics_stop(lt_exit_code(rc));
    }
    lt_task_lock_release(lock);
    if (rc) {
        lt_log_error("replicate failed: %s", err.msg);
        return rc;
    }
    return LT_OK;
}

static int run_merge(const struct lt_task_config *cfg, int argc, char **argv)
{
    struct lt_merge_options opt = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--as-of") && i + 1 < argc) {
            opt.as_of = argv[++i];
        } else if (!strncmp(argv[i], "--as-of=", 8)) {
            opt.as_of = argv[i] + 8;
        } else if (metrics_option(argc, argv, &i, &opt.metrics_file)) {
            continue;
        } else {
            unexpected_arg("merge", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    if (check_metrics_path("merge", opt.metrics_file))
        return LT_ERR_CONFIG;
    struct lt_error err = {0};
    int rc = lt_run_merge(cfg, &opt, &err); /* starts the metrics once it holds the merge's lock */
    lt_task_metrics_stop(lt_exit_code(rc));
    if (rc)
        lt_log_error("merge failed: %s", err.msg);
    return rc;
}

static int run_reload(const struct lt_task_config *cfg, int argc, char **argv)
{
    const char *table = NULL;
    bool wait = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--table") && i + 1 < argc) {
            table = argv[++i];
        } else if (!strncmp(argv[i], "--table=", 8)) {
            table = argv[i] + 8;
        } else if (!strcmp(argv[i], "--no-wait")) {
            wait = false;
        } else {
            unexpected_arg("reload", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    if (!table) {
        lt_log_message(LT_LOG_ERROR, "logtap reload: --table SCHEMA.TABLE is required");
        lt_log_message(LT_LOG_ERROR, "Try `logtap reload --help`.");
        return LT_ERR_CONFIG;
    }
    struct lt_error err = {0};
    int rc = lt_run_reload(cfg, table, wait, &err);
    if (rc)
        lt_log_error("reload failed: %s", err.msg);
    return rc ? (err.code == LT_ERR_CONFIG ? LT_ERR_CONFIG : LT_ERR_RUNTIME) : LT_OK;
}

static int run_drop(const struct lt_task_config *cfg, int argc, char **argv)
{
    bool confirm = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--confirm")) {
            confirm = true;
        } else {
            unexpected_arg("drop", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    struct lt_error err = {0};
    int rc = lt_run_drop(cfg, confirm, &err);
    if (rc)
        lt_log_error("drop: %s", err.msg);
    return rc ? (err.code == LT_ERR_CONFIG ? LT_ERR_CONFIG : LT_ERR_RUNTIME) : LT_OK;
}

static int run_validate(const struct lt_task_config *cfg, int argc, char **argv)
{
    if (no_more_args("validate", argc, argv))
        return LT_ERR_CONFIG;
    struct lt_error err = {0};
    int rc = lt_run_validate(cfg, &err);
    if (rc)
        lt_log_message(LT_LOG_ERROR, "logtap validate: %s", err.msg);
    return rc;
}

struct status_ctx {
    bool json;
    const struct logtap_source_ops *source;
    const char *reference;  /* a checkpoint of the task, to name positions in checkpoint form */
    cJSON *tables;
    int count;
    /* for the snapshots pass, which cannot run inside the table iteration */
    int64_t ids[4096];
    char names[4096][96];
    cJSON *objs[4096];
};

/* A time the state store keeps as text ("2024-01-31T12:00:00.123Z", "2024-01-31 12:00:00.123456") in the one form
 * status prints, RFC 3339 UTC with microseconds; "" when there is none. */
static void status_time_text(const char *text, char out[LT_UTC_TIME_MAX])
{
    int64_t us;
    out[0] = '\0';
    if (text && text[0] && lt_utc_time_parse(text, &us, NULL) == LT_OK)
        lt_utc_time_format(us, out);
}

/* The same for microseconds since 1970 (as text, from the meta table). */
static void status_time_us(const char *us_text, char out[LT_UTC_TIME_MAX])
{
    long long us = us_text && us_text[0] ? strtoll(us_text, NULL, 10) : 0;
    out[0] = '\0';
    if (us > 0)
        lt_utc_time_format(us, out);
}

/* A _logtap_pos in the form the CLI takes (a checkpoint); "" when the source cannot name it. */
static void status_checkpoint_of(const struct status_ctx *c, const char *pos, char out[LT_CHECKPOINT_MAX])
{
    out[0] = '\0';
    if (pos && pos[0] && c->source && c->source->position_checkpoint(pos, c->reference, out, NULL) != LT_OK)
        out[0] = '\0';
}

static void add_string_if(cJSON *o, const char *key, const char *value)
{
    if (value && value[0])
        cJSON_AddStringToObject(o, key, value);
}

static int status_row(void *arg, const struct lt_table_status *t)
{
    struct status_ctx *c = arg;
    int slot = c->count++;
    if (slot < 4096) {
        c->ids[slot] = t->id;
        snprintf(c->names[slot], sizeof c->names[slot], "%s.%s", t->schema_name, t->table_name);
        c->objs[slot] = NULL;
    }
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        if (slot < 4096)
            c->objs[slot] = o;
        cJSON_AddStringToObject(o, "schema", t->schema_name);
        cJSON_AddStringToObject(o, "table", t->table_name);
        cJSON_AddStringToObject(o, "state", t->state);
        cJSON_AddNumberToObject(o, "full_load_rows", (double)t->full_load_rows);
        cJSON_AddNumberToObject(o, "inserts", (double)t->inserts);
        cJSON_AddNumberToObject(o, "updates", (double)t->updates);
        cJSON_AddNumberToObject(o, "deletes", (double)t->deletes);
        cJSON_AddNumberToObject(o, "truncates", (double)t->truncates);
        cJSON_AddNumberToObject(o, "ddls", (double)t->ddls);
        cJSON_AddNumberToObject(o, "files", (double)t->files);
        cJSON_AddNumberToObject(o, "bytes", (double)t->bytes);
        char when[LT_UTC_TIME_MAX], cp[LT_CHECKPOINT_MAX];
        status_time_text(t->full_load_started, when);
        add_string_if(o, "full_load_started", when);
        status_time_text(t->full_load_finished, when);
        add_string_if(o, "full_load_finished", when);
        status_checkpoint_of(c, t->load_pos, cp);
        add_string_if(o, "load_position", cp);
        add_string_if(o, "load_logtap_pos", t->load_pos);
        add_string_if(o, "last_error", t->last_error);
        cJSON_AddStringToObject(o, "capture", t->capture[0] ? t->capture : "all");
        if (t->reload_requested)
            cJSON_AddBoolToObject(o, "reload_requested", true);
        if (strcmp(t->state, "loaded") != 0)
            cJSON_AddStringToObject(o, "merge_skipped", lt_merge_skip_reason(t->state));
        cJSON_AddItemToArray(c->tables, o);
        return 0;
    }
    /* names and messages come from the source: control characters are escaped, one table per line */
    char raw[520], name[2100], note[2100];
    snprintf(raw, sizeof raw, "%s.%s", t->schema_name, t->table_name);
    lt_escape_controls(raw, name, sizeof name);
    printf("%-40s %-8s %14lld %10lld %10lld %10lld %6lld %14lld\n", name, t->state, (long long)t->full_load_rows,
           (long long)t->inserts, (long long)t->updates, (long long)t->deletes, (long long)t->files,
           (long long)t->bytes);
    if (!strcmp(t->capture, "inserts"))
        printf("    captured for INSERT and TRUNCATE only (no key or replica identity; source.tables_without_key)\n");
    if (t->reload_requested)
        printf("    reload requested\n");
    if (strcmp(t->state, "loaded") != 0)
        printf("    merge skips it: %s\n", lt_merge_skip_reason(t->state));
    if (*t->last_error) {
        lt_escape_controls(t->last_error, note, sizeof note);
        printf("    %s: %s\n", !strcmp(t->state, "failed") ? "error" : "note", note);
    }
    return 0;
}

struct snap_list {
    const struct status_ctx *ctx;
    cJSON *array;   /* JSON: every snapshot */
    char newest[32];
    char newest_position[LT_CHECKPOINT_MAX];
    int64_t rows;
    int n;
};

static int status_snapshot(void *arg, const struct lt_snapshot_record *r)
{
    struct snap_list *l = arg;
    char cp[LT_CHECKPOINT_MAX];
    status_checkpoint_of(l->ctx, r->pos, cp);
    if (l->n++ == 0) {
        snprintf(l->newest, sizeof l->newest, "%s", r->name);
        snprintf(l->newest_position, sizeof l->newest_position, "%s", cp[0] ? cp : r->pos);
        l->rows = r->rows;
    }
    if (l->array) {
        cJSON *o = cJSON_CreateObject();
        char when[LT_UTC_TIME_MAX] = "";
        if (r->commit_ts_us > 0)
            lt_utc_time_format(r->commit_ts_us, when);
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "path", r->path);
        add_string_if(o, "time", when);
        add_string_if(o, "position", cp);
        cJSON_AddStringToObject(o, "last_change_logtap_pos", r->pos);
        cJSON_AddNumberToObject(o, "rows", (double)r->rows);
        cJSON_AddNumberToObject(o, "bytes", (double)r->bytes);
        cJSON_AddItemToArray(l->array, o);
    }
    return 0;
}

/* The snapshots of every table listed by status_row (newest first). */
static int status_snapshots(struct lt_state *st, struct status_ctx *c, struct lt_error *err)
{
    bool header = false;
    for (int i = 0; i < c->count && i < 4096; i++) {
        struct snap_list l = {.ctx = c};
        if (c->json && c->objs[i])
            l.array = cJSON_AddArrayToObject(c->objs[i], "snapshots");
        if (lt_state_each_snapshot(st, c->ids[i], status_snapshot, &l, err))
            return LT_ERR_RUNTIME;
        if (!c->json && l.n) {
            if (!header)
                printf("\n%-40s %-18s %12s %10s  %s\n", "table", "newest snapshot", "rows", "snapshots", "as of");
            header = true;
            printf("%-40s %-18s %12lld %10d  %s\n", c->names[i], l.newest, (long long)l.rows, l.n,
                   l.newest_position);
        }
    }
    return LT_OK;
}

static int run_status(const struct lt_task_config *cfg, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            unexpected_arg("status", argv[i]);
            return LT_ERR_CONFIG;
        }
    }
    struct lt_state *st;
    struct lt_error err = {0};
    if (lt_state_open_existing(cfg->state_path, &st, &err)) {
        lt_log_message(LT_LOG_ERROR, "logtap status: %s", err.msg);
        return LT_ERR_RUNTIME;
    }
    char snap_pos[64], snap_cp[LT_CHECKPOINT_MAX], snap_time[32], finished[64], checkpoint[LT_CHECKPOINT_MAX],
        cp_time[32], last_commit[32], cdc_start[LT_CHECKPOINT_MAX];
    lt_state_get_meta(st, "full_load_snapshot_pos", snap_pos, sizeof snap_pos, &err);
    lt_state_get_meta(st, "full_load_snapshot_checkpoint", snap_cp, sizeof snap_cp, &err);
    lt_state_get_meta(st, "full_load_snapshot_time_us", snap_time, sizeof snap_time, &err);
    lt_state_get_meta(st, "full_load_finished", finished, sizeof finished, &err);
    lt_state_get_meta(st, "checkpoint", checkpoint, sizeof checkpoint, &err);
    lt_state_get_meta(st, "checkpoint_time_us", cp_time, sizeof cp_time, &err);
    lt_state_get_meta(st, "last_commit_ts_us", last_commit, sizeof last_commit, &err);
    lt_state_get_meta(st, "cdc_start", cdc_start, sizeof cdc_start, &err);
    /* "time|tries|message" while a running replicate keeps failing (cleared by its next checkpoint) */
    char stream_error[1100], failing_since[32] = "", *failing_msg = NULL;
    int failing_tries = 0;
    lt_state_get_meta(st, "stream_error", stream_error, sizeof stream_error, &err);
    char *bar1 = strchr(stream_error, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (bar1 && bar2) {
        snprintf(failing_since, sizeof failing_since, "%.*s", (int)(bar1 - stream_error), stream_error);
        failing_tries = atoi(bar1 + 1);
        failing_msg = bar2 + 1;
    }
    const struct logtap_source_ops *ops = lt_source_for(&cfg->source);
    struct status_ctx *ctx = calloc(1, sizeof *ctx); /* large: holds the table list for the snapshots pass */
    if (!ctx) {
        lt_state_close(st);
        return LT_ERR_RUNTIME;
    }
    ctx->json = json;
    ctx->source = ops;
    ctx->reference = checkpoint[0] ? checkpoint : snap_cp[0] ? snap_cp : cdc_start;
    /* the full load's snapshot as a checkpoint (stores from before it was recorded: named from its position) */
    if (!snap_cp[0])
        status_checkpoint_of(ctx, snap_pos, snap_cp);
    /* the source's position and the lag, when the source answers */
    char current[LT_CHECKPOINT_MAX] = "", source_error[300] = "", lag_error[300] = "", slot_error[300] = "";
    int64_t lag_bytes = -1;
    struct lt_slot_status slot = {.retained_bytes = -1};
    char runner[128] = "";
    bool running = lt_task_lock_held(cfg, runner, sizeof runner);
    if (checkpoint[0] && ops && ops->current_position) {
        struct lt_source *src = NULL;
        struct lt_error serr = {0};
        if (ops->open(&src, cfg, &serr) == LT_OK && ops->current_position(src, current, &serr) == LT_OK) {
            struct lt_error lerr = {0};
            if (ops->slot_status && ops->slot_status(src, &slot, &lerr) != LT_OK)
                snprintf(slot_error, sizeof slot_error, "%s", lerr.msg);
            if (ops->lag_bytes && ops->lag_bytes(src, checkpoint, current, &lag_bytes, &lerr) != LT_OK) {
                lag_bytes = -1;
                snprintf(lag_error, sizeof lag_error, "%s", lerr.msg);
            }
        } else {
            snprintf(source_error, sizeof source_error, "%s", serr.msg);
            current[0] = '\0';
        }
        if (src)
            ops->close(src);
    }
    double lag_s = -1;
    if (checkpoint[0] && current[0])
        lag_s = lag_bytes == 0 ? 0 : (double)(lt_now_us() - strtoll(cp_time, NULL, 10)) / 1e6;
    char last_commit_text[LT_UTC_TIME_MAX], cp_time_text[LT_UTC_TIME_MAX], snap_time_text[LT_UTC_TIME_MAX],
        finished_text[LT_UTC_TIME_MAX];
    status_time_us(last_commit, last_commit_text);
    status_time_us(cp_time, cp_time_text);
    status_time_us(snap_time, snap_time_text);
    status_time_text(finished, finished_text);
    int rc;
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "task", cfg->task);
        cJSON_AddStringToObject(root, "engine", cfg->source.engine);
        cJSON_AddStringToObject(root, "migration_type", lt_migration_type_name(cfg->migration_type));
        cJSON_AddStringToObject(root, "target_path", cfg->target.path);
        cJSON_AddStringToObject(root, "state", cfg->state_path);
        if (*snap_pos) {
            add_string_if(root, "full_load_snapshot_position", snap_cp);
            cJSON_AddStringToObject(root, "full_load_snapshot_logtap_pos", snap_pos);
            add_string_if(root, "full_load_snapshot_time", snap_time_text);
            add_string_if(root, "full_load_finished", finished_text);
        }
        if (*checkpoint) {
            cJSON *cdc = cJSON_AddObjectToObject(root, "cdc");
            cJSON_AddStringToObject(cdc, "checkpoint", checkpoint);
            add_string_if(cdc, "checkpoint_time", cp_time_text);
            add_string_if(cdc, "start_position", cdc_start);
            add_string_if(cdc, "last_commit_time", last_commit_text);
            add_string_if(cdc, "source_position", current);
            if (lag_bytes >= 0)
                cJSON_AddNumberToObject(cdc, "lag_bytes", (double)lag_bytes);
            else if (*lag_error)
                cJSON_AddStringToObject(cdc, "lag_bytes_error", lag_error);
            if (lag_s >= 0)
                cJSON_AddNumberToObject(cdc, "lag_seconds", lag_s);
            add_string_if(cdc, "source_error", source_error);
            if (slot.exists) {
                cJSON *so = cJSON_AddObjectToObject(cdc, "slot");
                cJSON_AddStringToObject(so, "name", cfg->source.slot);
                cJSON_AddBoolToObject(so, "active", slot.active);
                if (slot.active_pid)
                    cJSON_AddNumberToObject(so, "active_pid", slot.active_pid);
                if (slot.retained_bytes >= 0)
                    cJSON_AddNumberToObject(so, "retained_wal_bytes", (double)slot.retained_bytes);
                add_string_if(so, "confirmed_flush_position", slot.confirmed);
                add_string_if(so, "wal_status", slot.wal_status);
            } else if (ops && ops->slot_status && *current) {
                cJSON_AddStringToObject(cdc, "slot_error", *slot_error ? slot_error : "the replication slot does not exist");
            }
        }
        if (running)
            cJSON_AddStringToObject(root, "runner", runner);
        if (failing_msg) {
            cJSON *f = cJSON_AddObjectToObject(root, "failing");
            char since[LT_UTC_TIME_MAX];
            status_time_text(failing_since, since);
            add_string_if(f, "since", since);
            cJSON_AddNumberToObject(f, "tries", failing_tries);
            cJSON_AddStringToObject(f, "error", failing_msg);
        }
        ctx->tables = cJSON_AddArrayToObject(root, "tables");
        rc = lt_state_each_table(st, status_row, ctx, &err);
        if (!rc)
            rc = status_snapshots(st, ctx, &err);
        if (!rc) {
            char *text = cJSON_PrintUnformatted(root);
            printf("%s\n", text);
            free(text);
        }
        cJSON_Delete(root);
    } else {
        printf("task:      %s (%s, %s)\n", cfg->task, cfg->source.engine, lt_migration_type_name(cfg->migration_type));
        printf("target:    %s (%s)\n", cfg->target.path, cfg->target.format == LT_FORMAT_CSV ? "csv" : "parquet");
        printf("state:     %s\n", cfg->state_path);
        if (*snap_pos)
            printf("full load: snapshot at %s%s%s%s, %s%s\n", snap_cp[0] ? snap_cp : snap_pos,
                   *snap_time_text ? " (" : "", snap_time_text, *snap_time_text ? ")" : "",
                   *finished_text ? "finished " : "not finished", finished_text);
        if (*checkpoint) {
            printf("cdc:       checkpoint %s%s%s\n", checkpoint, *last_commit_text ? ", last commit " : "",
                   last_commit_text);
            if (*current && lag_bytes >= 0)
                printf("source:    at %s, lag %lld bytes, %.1f s\n", current, (long long)lag_bytes, lag_s);
            else if (*current)
                printf("source:    at %s, lag in bytes unknown (%s), %.1f s\n", current,
                       *lag_error ? lag_error : "not measurable", lag_s);
            else if (*source_error)
                printf("source:    not reachable (%s)\n", source_error);
            if (slot.exists)
                printf("slot:      %s, %s, keeps %.1f MB of WAL%s%s\n", cfg->source.slot,
                       slot.active ? "active" : "inactive", slot.retained_bytes >= 0 ? slot.retained_bytes / 1048576.0 : 0,
                       *slot.wal_status ? ", wal_status " : "", slot.wal_status);
            else if (ops && ops->slot_status && *current)
                printf("slot:      %s\n", *slot_error ? slot_error : "MISSING: the replication slot does not exist");
        }
        printf("runner:    %s\n", running ? runner : "none (no replicate, full-load or reload runs)");
        if (failing_msg) {
            char line[1200];
            lt_escape_controls(failing_msg, line, sizeof line);
            printf("FAILING:   since %s, %d tries: %s\n", failing_since, failing_tries, line);
        }
        printf("\n%-40s %-8s %14s %10s %10s %10s %6s %14s\n", "table", "state", "full-load rows", "inserts",
               "updates", "deletes", "files", "bytes");
        rc = lt_state_each_table(st, status_row, ctx, &err);
        if (!rc && ctx->count == 0)
            printf("(no tables yet)\n");
        if (!rc)
            rc = status_snapshots(st, ctx, &err);
    }
    lt_state_close(st);
    free(ctx);
    if (rc) {
        lt_log_message(LT_LOG_ERROR, "logtap status: %s", err.msg);
        return LT_ERR_RUNTIME;
    }
    return LT_OK;
}
