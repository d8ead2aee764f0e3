/* The command line: `logtap <command> --config task.json [options]` (README, "Commands"). */
#ifndef LOGTAP_COMMANDS_H
#define LOGTAP_COMMANDS_H

/* Parses argv, runs the command, returns the process exit code (0 ok, 1 runtime failure, 2 usage/config). */
int lt_main(int argc, char **argv);

#endif
