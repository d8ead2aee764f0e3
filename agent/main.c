/* logtap's entry point: dispatches `logtap <command>` to the command implementations in agent/commands.c. */
#include "agent/commands.h"
#include "agent/error.h"

int main(int argc, char **argv)
{
    int rc = lt_main(argc, argv);
    return rc == LT_ERR_FATAL ? LT_ERR_RUNTIME : rc;
}
