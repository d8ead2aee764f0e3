/* logtap's entry point: dispatches `logtap <command>` to the command implementations in agent/commands.c. */
#include "agent/commands.h"
#include "agent/error.h"

int main(int argc, char **argv)
{
    int rc = lt_main(argc, argv);
    return lt_exit_code(rc);
}
