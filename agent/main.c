/* logtap's entry point: dispatches `logtap <command>` to the command implementations in agent/commands.c. */
#include "agent/commands.h"

int main(int argc, char **argv)
{
    return lt_main(argc, argv);
}
